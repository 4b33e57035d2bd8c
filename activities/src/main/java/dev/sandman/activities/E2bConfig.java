package dev.sandman.activities;

import java.time.Duration;
import java.util.Map;

/**
 * Where E2B is and how to authenticate, read like the official SDKs do: {@code E2B_API_URL}, else
 * {@code https://api.${E2B_DOMAIN}} (domain default {@code e2b.app}); key from {@code E2B_API_KEY}.
 * {@link #toString()} never shows the key.
 */
public record E2bConfig(String baseUrl, String apiKey, Duration requestTimeout, Duration pauseTimeout) {
  public static final String DEFAULT_DOMAIN = "e2b.app";
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
  /** E2B pauses take ~4 s per GiB of RAM and answer only when the snapshot is done. */
  public static final Duration DEFAULT_PAUSE_TIMEOUT = Duration.ofMinutes(5);

  public E2bConfig {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException("E2B base URL is empty");
    }
    baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    requestTimeout = requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout;
    pauseTimeout = pauseTimeout == null ? DEFAULT_PAUSE_TIMEOUT : pauseTimeout;
  }

  public static E2bConfig of(String baseUrl, String apiKey) {
    return new E2bConfig(baseUrl, apiKey, null, null);
  }

  public static E2bConfig fromEnv(Map<String, String> env) {
    String url = env.get("E2B_API_URL");
    if (url == null || url.isBlank()) {
      String domain = env.getOrDefault("E2B_DOMAIN", "");
      url = "https://api." + (domain.isBlank() ? DEFAULT_DOMAIN : domain);
    }
    return new E2bConfig(url, env.get("E2B_API_KEY"), null, null);
  }

  public E2bConfig withTimeouts(Duration request, Duration pause) {
    return new E2bConfig(baseUrl, apiKey, request, pause);
  }

  public boolean hasApiKey() {
    return apiKey != null && !apiKey.isBlank();
  }

  @Override
  public String toString() {
    return "E2bConfig[baseUrl=" + baseUrl + ", apiKey=" + (hasApiKey() ? "<set>" : "<unset>")
        + ", requestTimeout=" + requestTimeout + ", pauseTimeout=" + pauseTimeout + "]";
  }
}
