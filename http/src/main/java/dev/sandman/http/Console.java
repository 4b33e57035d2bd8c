package dev.sandman.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web console's files, read once from the jar ({@code /console/}) and served at {@code /}: a page
 * with no inline script or style, so its Content-Security-Policy allows nothing but this origin. The
 * data it shows comes from the API with the token the user signs in with.
 */
final class Console {
  /** What the page may load and talk to: its own files and this API, nothing else. */
  static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
      + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  record Asset(byte[] bytes, String contentType) {}

  private static final Map<String, String> FILES = Map.of(
      "/", "index.html",
      "/console.js", "console.js",
      "/console.css", "console.css");

  private final Map<String, Asset> assets;

  Console() {
    java.util.HashMap<String, Asset> loaded = new java.util.HashMap<>();
    FILES.forEach((path, file) -> loaded.put(path, new Asset(read(file), typeOf(file))));
    assets = Map.copyOf(loaded);
  }

  /** The file at {@code path}, or null when the path is not one of the console's. */
  Asset at(String path) {
    return path == null ? null : assets.get(path);
  }

  private static byte[] read(String file) {
    try (InputStream in = Console.class.getResourceAsStream("/console/" + file)) {
      if (in == null) {
        throw new IllegalStateException("console file missing from the jar: " + file);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String typeOf(String file) {
    if (file.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    return file.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
  }
}
