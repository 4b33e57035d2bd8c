package dev.sandman.http;

import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpFields;

/**
 * Which browser origins may call the API ({@code SANDMAN_CORS_ORIGINS}, exact origins such as
 * {@code https://app.example.com}): their requests get the CORS headers, their preflights an answer;
 * other origins get neither, so a browser keeps their pages from reading anything.
 */
final class Cors {
  static final String ALLOWED_HEADERS = "Authorization, Content-Type, Last-Event-ID, X-Sandman-User";
  private final Set<String> origins;

  Cors(List<String> origins) {
    this.origins = Set.copyOf(origins);
  }

  boolean allows(String origin) {
    return origin != null && origins.contains(origin);
  }

  /** The headers every answer to an allowed origin carries. */
  void addTo(HttpFields.Mutable headers, String origin) {
    headers.add("Vary", "Origin");
    if (allows(origin)) {
      headers.put("Access-Control-Allow-Origin", origin);
    }
  }

  /** What a preflight from an allowed origin is told. */
  void addPreflight(HttpFields.Mutable headers) {
    headers.put("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
    headers.put("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    headers.put("Access-Control-Max-Age", "600");
  }
}
