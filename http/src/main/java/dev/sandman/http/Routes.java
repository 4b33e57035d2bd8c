package dev.sandman.http;

import dev.sandman.http.Wire.Reply;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.pathmap.MatchedResource;
import org.eclipse.jetty.http.pathmap.PathMappings;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;

/**
 * The API's routes: URI templates ({@code /v1/sandboxes/{sandboxId}}) matched by Jetty's path mappings,
 * each with a handler per method. The template is also the route's metrics label, so the routes are
 * known in one place.
 */
final class Routes {
  /** Answers one request on a route, given its caller and its decoded path parameters. */
  interface Handler {
    Reply handle(Auth.Principal caller, Call call, Map<String, String> params);
  }

  /** A template and what each method does on it. */
  record Route(String template, Map<String, Handler> methods) {
    String allowed() {
      return String.join(", ", methods.keySet());
    }
  }

  /** What a path matched: the route and its parameters, decoded; or no route. */
  record Match(Route route, Map<String, String> params) {
    String label() {
      return route == null ? "unmatched" : route.template();
    }
  }

  private final PathMappings<Route> mappings = new PathMappings<>();

  Routes on(String method, String template, Handler handler) {
    UriTemplatePathSpec spec = new UriTemplatePathSpec(template);
    Route route = mappings.get(spec);
    if (route == null) {
      route = new Route(template, new LinkedHashMap<>());
      mappings.put(spec, route);
    }
    route.methods().put(method, handler);
    return this;
  }

  /** Every route, for the check that the OpenAPI document describes each. */
  java.util.List<Route> all() {
    return mappings.values().stream().toList();
  }

  /** The route a raw (still encoded) path matches; repeated and trailing slashes do not count. */
  Match match(String rawPath) {
    String path = (rawPath == null ? "/" : rawPath).replaceAll("/{2,}", "/");
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    MatchedResource<Route> matched = mappings.getMatched(path);
    if (matched == null || !(matched.getPathSpec() instanceof UriTemplatePathSpec spec)) {
      return new Match(null, Map.of());
    }
    Map<String, String> params = new HashMap<>();
    spec.getPathParams(path).forEach((name, raw) -> params.put(name, decode(raw)));
    return new Match(matched.getResource(), params);
  }

  private static String decode(String raw) {
    try {
      return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_argument", "malformed percent-encoding in the path", null);
    }
  }
}
