package dev.sandman.starter;

import dev.sandman.workflows.Limits;
import dev.sandman.workflows.Rejection;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Input checks shared by the client, the HTTP API and the CLI. Each failure names its field. */
public final class Validation {
  private Validation() {}

  private static final Pattern TEMPLATE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}");
  private static final int MAX_METADATA_ENTRIES = 32;
  private static final int MAX_METADATA_KEY = 64;
  private static final int MAX_METADATA_VALUE = 512;

  public static String sandboxId(String value) {
    return id("sandboxId", value);
  }

  public static String id(String field, String value) {
    if (value == null || value.isEmpty()) {
      throw SandmanException.invalid(field, field + " is required");
    }
    if (!dev.sandman.workflows.Sandman.isValidId(value)) {
      throw SandmanException.invalid(field, field + " must be 1-128 letters, digits or . _ : @ - (starting with a letter or digit)");
    }
    return value;
  }

  public static void track(TrackRequest request, boolean creating) {
    if (request == null) {
      throw SandmanException.invalid(null, "a request body is required");
    }
    if (!creating) {
      sandboxId(request.sandboxId());
    }
    id("projectId", request.projectId());
    id("userId", request.userId());
    if (creating && request.template() == null) {
      throw SandmanException.invalid("template", "template is required to create a sandbox (or give a sandboxId to track one)");
    }
    if (request.template() != null && !TEMPLATE.matcher(request.template()).matches()) {
      throw SandmanException.invalid("template", "template must be 1-128 letters, digits or . _ : / @ -");
    }
    metadata(request.metadata());
    rule(() -> Limits.layer(request.policy()));
  }

  /** Applies one of the shared {@link Limits}, refusing as the client does. */
  public static <T> T rule(Supplier<T> check) {
    try {
      return check.get();
    } catch (Rejection r) {
      throw SandmanException.of(r);
    }
  }

  public static void metadata(Map<String, String> metadata) {
    if (metadata == null) {
      return;
    }
    if (metadata.size() > MAX_METADATA_ENTRIES) {
      throw SandmanException.invalid("metadata", "metadata has more than " + MAX_METADATA_ENTRIES + " entries");
    }
    metadata.forEach((key, value) -> {
      if (key == null || key.isEmpty() || key.length() > MAX_METADATA_KEY || hasControl(key)) {
        throw SandmanException.invalid("metadata", "metadata keys must be 1-" + MAX_METADATA_KEY + " printable characters");
      }
      if (value == null || value.length() > MAX_METADATA_VALUE || hasControl(value)) {
        throw SandmanException.invalid("metadata." + key, "metadata values must be strings of at most " + MAX_METADATA_VALUE + " printable characters");
      }
    });
  }

  public static String reason(String reason) {
    return rule(() -> Limits.reason(reason));
  }

  private static boolean hasControl(String value) {
    return value.chars().anyMatch(c -> Character.isISOControl(c));
  }
}
