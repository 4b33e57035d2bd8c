package dev.sandman.starter;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Page tokens say which listing issued them: the server's visibility cursor, or an offset of the scan. */
final class PageToken {
  private PageToken() {}

  static final String VISIBILITY = "v1:";
  static final String SCAN = "scan:";

  static String kind(String token) {
    String text = new String(decode(token), StandardCharsets.ISO_8859_1);
    if (text.startsWith(VISIBILITY) && text.length() > VISIBILITY.length()) {
      return VISIBILITY;
    }
    if (text.startsWith(SCAN) && text.substring(SCAN.length()).matches("[0-9]{1,9}")) {
      return SCAN;
    }
    throw SandmanException.invalid("pageToken", "invalid page token");
  }

  static String encode(byte[]... parts) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      bytes.writeBytes(part);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.toByteArray());
  }

  static byte[] decode(String token) {
    try {
      return Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw SandmanException.invalid("pageToken", "invalid page token");
    }
  }
}
