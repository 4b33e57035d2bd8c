package dev.sandman.worker;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

/** Typed reads of configuration from an environment map, with errors that name the variable. */
public final class Env {
  private final Map<String, String> env;

  public Env(Map<String, String> env) {
    this.env = env;
  }

  public static Env system() {
    return new Env(System.getenv());
  }

  public Map<String, String> asMap() {
    return env;
  }

  public String get(String name, String fallback) {
    String value = env.get(name);
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  public int getInt(String name, int fallback, int min, int max) {
    String value = get(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed < min || parsed > max) {
        throw new ConfigException(name + " must be between " + min + " and " + max + ", got " + value);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new ConfigException(name + " must be a whole number, got '" + value + "'");
    }
  }

  public boolean getBoolean(String name, boolean fallback) {
    String value = get(name, null);
    if (value == null) {
      return fallback;
    }
    if (!value.equals("true") && !value.equals("false")) {
      throw new ConfigException(name + " must be true or false, got '" + value + "'");
    }
    return value.equals("true");
  }

  public Duration getDuration(String name, Duration fallback) {
    String value = get(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      Duration parsed = Duration.parse(value);
      if (parsed.isNegative() || parsed.isZero()) {
        throw new ConfigException(name + " must be a positive ISO-8601 duration, got " + value);
      }
      return parsed;
    } catch (DateTimeParseException e) {
      throw new ConfigException(name + " must be an ISO-8601 duration like PT10M, got '" + value + "'");
    }
  }

  /** A configuration value that cannot be used; the message names the variable. */
  public static class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message);
    }
  }
}
