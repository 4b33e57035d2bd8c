package dev.sandman.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandman.workflows.SandmanJson;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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
}
