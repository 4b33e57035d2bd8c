package dev.sandman.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Strict reading of a JSON request body: unknown fields, wrong types and bad values name the field. */
final class Body {
  /** Strict: a repeated field or anything after the object is an error, never silently dropped. */
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private final JsonNode node;

  private Body(JsonNode node) {
    this.node = node;
  }

  /** An empty body reads as {}. */
  static Body parse(byte[] bytes, Set<String> allowed) {
    JsonNode node;
    if (bytes.length == 0) {
      node = JSON.createObjectNode();
    } else {
      try {
        node = JSON.readTree(bytes);
      } catch (IOException e) {
        throw ApiException.badRequest("bad_json", "request body is not valid JSON: " + firstLine(e.getMessage()), null);
      }
    }
    if (node == null || node.isMissingNode()) {
      node = JSON.createObjectNode();
    }
    if (!node.isObject()) {
      throw ApiException.badRequest("bad_json", "request body must be a JSON object", null);
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw ApiException.badRequest("unknown_field", "unknown field '" + printable(name) + "'", printable(name));
      }
    }
    return new Body(node);
  }

  boolean has(String field) {
    return node.has(field);
  }

  boolean isNull(String field) {
    return node.has(field) && node.get(field).isNull();
  }

  boolean isEmpty() {
    return node.isEmpty();
  }

  String string(String field) {
    JsonNode value = node.get(field);
    if (value == null || value instanceof NullNode) {
      return null;
    }
    if (!value.isTextual()) {
      throw ApiException.badRequest("invalid_argument", field + " must be a string", field);
    }
    return value.asText();
  }

  Boolean bool(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isBoolean()) {
      throw ApiException.badRequest("invalid_argument", field + " must be true or false", field);
    }
    return value.asBoolean();
  }

  Duration duration(String field) {
    return duration(field, string(field));
  }

  Integer integer(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw ApiException.badRequest("invalid_argument", field + " must be a whole number", field);
    }
    return value.asInt();
  }

  static Duration duration(String field, String text) {
    if (text == null) {
      return null;
    }
    try {
      return Duration.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest("invalid_argument", field + " must be an ISO-8601 duration like PT10M, got '" + printable(text) + "'", field);
    }
  }

  Instant instant(String field) {
    String text = string(field);
    if (text == null) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest("invalid_argument", field + " must be an RFC 3339 time like 2026-01-02T03:04:05Z", field);
    }
  }

  Map<String, String> stringMap(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isObject()) {
      throw ApiException.badRequest("invalid_argument", field + " must be an object of strings", field);
    }
    Map<String, String> map = new LinkedHashMap<>();
    value.fields().forEachRemaining(entry -> {
      if (!entry.getValue().isTextual()) {
        throw ApiException.badRequest("invalid_argument", field + " values must be strings", field + "." + printable(entry.getKey()));
      }
      map.put(entry.getKey(), entry.getValue().asText());
    });
    return map;
  }

  Body object(String field, Set<String> allowed) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isObject()) {
      throw ApiException.badRequest("invalid_argument", field + " must be an object", field);
    }
    for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw ApiException.badRequest("unknown_field", "unknown field '" + field + "." + printable(name) + "'", field + "." + printable(name));
      }
    }
    return new Body(value);
  }

  /** Keeps client-supplied text out of messages when it holds control characters or is huge. */
  static String printable(String text) {
    String cleaned = text.replaceAll("\\p{Cntrl}", "?");
    return cleaned.length() > 80 ? cleaned.substring(0, 80) + "..." : cleaned;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return printable(newline < 0 ? message : message.substring(0, newline));
  }
}
