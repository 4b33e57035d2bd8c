package dev.sandman.activities;

import java.util.Set;
import okhttp3.HttpUrl;

/** Where secrets may be sent: https anywhere, plain http only to this machine unless the operator allows it. */
public final class SafeUrls {
  private SafeUrls() {}

  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1", "[::1]");

  /** Null when the URL may carry a secret; else why not. */
  public static String refusal(String url, boolean plainHttpAllowed) {
    HttpUrl parsed = HttpUrl.parse(url);
    if (parsed == null) {
      return "not an http or https URL";
    }
    if (parsed.isHttps() || plainHttpAllowed || LOOPBACK.contains(parsed.host())) {
      return null;
    }
    return "plain http to " + parsed.host() + " would send secrets in the clear: use https (or set SANDMAN_ALLOW_PLAIN_HTTP=true)";
  }
}
