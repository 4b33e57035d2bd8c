package dev.sandman.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.workflows.SandmanJson;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
  /** The answer's body as bytes: raw bytes, text, or an object written as JSON. */
  static byte[] bytes(Reply reply) throws IOException {
    if (reply.body() instanceof byte[] raw) {
      return raw;
    }
    if (reply.body() instanceof String text) {
      return text.getBytes(StandardCharsets.UTF_8);
    }
    return JSON.writeValueAsBytes(reply.body());
  }

  /** The route a path matched, as a metrics label. */
  private static final Set<String> ACTIONS = Set.of("activity", "pause", "resume", "holds", "policy");

  /** The route a path matches, from a fixed set ({@code unmatched} otherwise): a metrics label. */
  static String routeName(List<String> p) {
    int n = p.size();
    if (n == 1 && Set.of("healthz", "metrics", "openapi.json").contains(p.get(0))) {
      return "/" + p.get(0);
    }
    if (n < 2 || !p.get(0).equals("v1")) {
      return "unmatched";
    }
    String resource = p.get(1);
    if (n == 2 && Set.of("sandboxes", "report").contains(resource)) {
      return "/v1/" + resource;
    }
    if (resource.equals("projects")) {
      return n == 4 && p.get(3).equals("policy") ? "/v1/projects/{id}/policy" : "unmatched";
    }
    if (!resource.equals("sandboxes")) {
      return "unmatched";
    }
    if (n == 3) {
      return "/v1/sandboxes/{id}";
    }
    if (n == 4 && ACTIONS.contains(p.get(3))) {
      return "/v1/sandboxes/{id}/" + p.get(3);
    }
    return n == 5 && p.get(3).equals("holds") ? "/v1/sandboxes/{id}/holds/{holdId}" : "unmatched";
  }
}
