package dev.sandman.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.sandman.workflows.SandmanJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reading requests and writing answers on the wire: path, query and body in; status, headers and body out. */
final class Wire {
  private static final ObjectMapper JSON = SandmanJson.mapper();

  private Wire() {}

  /** An answer: a status, a body (an object written as JSON, a string or bytes) and its content type. */
  record Reply(int status, Object body, String contentType) {
    static Reply json(int status, Object body) {
      return new Reply(status, body, "application/json");
    }
  }

  static List<String> segments(String rawPath) {
    List<String> segments = new ArrayList<>();
    for (String raw : rawPath.split("/")) {
      if (raw.isEmpty()) {
        continue;
      }
      try {
        segments.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_argument", "malformed percent-encoding in the path", null);
      }
    }
    return segments;
  }
  static Map<String, String> query(String raw) {
    Map<String, String> params = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name;
      String value;
      try {
        name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_argument", "malformed percent-encoding in the query", null);
      }
      if (params.put(name, value) != null) {
        throw ApiException.badRequest("invalid_argument", "query parameter '" + Body.printable(name) + "' given twice", Body.printable(name));
      }
    }
    return params;
  }
  static byte[] body(HttpExchange exchange, int maxBodyBytes) throws IOException {
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > maxBodyBytes) {
          throw tooLarge(maxBodyBytes);
        }
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("bad_request", "invalid Content-Length", null);
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readNBytes(maxBodyBytes + 1);
      if (bytes.length > maxBodyBytes) {
        throw tooLarge(maxBodyBytes);
      }
      return bytes;
    }
  }
  private static ApiException tooLarge(int maxBodyBytes) {
    return new ApiException(413, "payload_too_large", "request body is larger than " + maxBodyBytes + " bytes", null);
  }
  static void send(HttpExchange exchange, Reply reply) throws IOException {
    byte[] bytes;
    if (reply.body() instanceof byte[] raw) {
      bytes = raw;
    } else if (reply.body() instanceof String text) {
      bytes = text.getBytes(StandardCharsets.UTF_8);
    } else {
      bytes = JSON.writeValueAsBytes(reply.body());
    }
    exchange.getResponseHeaders().set("Content-Type", reply.contentType());
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
  /** The route a path matched, as a metrics label. */
  static String routeName(List<String> path) {
    if (path.size() >= 3 && path.get(0).equals("v1") && path.get(1).equals("projects")) {
      return "/v1/projects/{id}/policy";
    }
    if (path.size() == 5) {
      return "/v1/sandboxes/{id}/holds/{holdId}";
    }
    if (path.size() >= 3 && path.get(0).equals("v1")) {
      return "/v1/sandboxes/{id}" + (path.size() == 4 ? "/" + Body.printable(path.get(3)) : "");
    }
    return "/" + String.join("/", path.size() <= 2 ? path : path.subList(0, 2));
  }}
