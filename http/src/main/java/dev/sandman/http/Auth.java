package dev.sandman.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Bearer tokens from configuration: the admin token may act on every sandbox; the app token acts for
 * the user named in {@code X-Sandman-User}. Tokens are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, in constant time whatever their length.
 */
final class Auth {
  /** Who is calling: an admin, or an app acting for one user. */
  record Principal(boolean admin, String userId) {
    boolean mayActFor(String owner) {
      return admin || userId.equals(owner);
    }

    /** Only the admin token may {@code what}. */
    void requireAdmin(String what) {
      if (!admin) {
        throw ApiException.forbidden("only the admin token may " + what, null);
      }
    }

    /**
     * The user a request names, checked: an app token may only name its own user (the default when it
     * names none); the admin token names any, or none.
     */
    String scopedUser(String named, String what) {
      if (admin) {
        return named;
      }
      if (named != null && !named.equals(userId)) {
        throw ApiException.forbidden("the app token may only " + what + " user " + userId, "userId");
      }
      return userId;
    }
  }

  private final byte[] adminDigest;
  private final byte[] appDigest;

  Auth(String adminToken, String appToken) {
    this.adminDigest = digestOrNull(adminToken);
    this.appDigest = digestOrNull(appToken);
  }

  /** The caller, or an ApiException (401) when the token is missing or wrong. */
  Principal authenticate(String authorization, String userHeader) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new ApiException(401, "unauthorized", "send Authorization: Bearer <token>", null);
    }
    byte[] presented = digest(authorization.substring(7).trim());
    boolean admin = adminDigest != null && MessageDigest.isEqual(presented, adminDigest);
    boolean app = appDigest != null && MessageDigest.isEqual(presented, appDigest);
    if (admin) {
      return new Principal(true, null);
    }
    if (!app) {
      throw new ApiException(401, "unauthorized", "invalid token", null);
    }
    if (userHeader == null || userHeader.isBlank()) {
      throw new ApiException(401, "unauthorized", "the app token acts for a user: send X-Sandman-User: <userId>", "X-Sandman-User");
    }
    try {
      dev.sandman.starter.Validation.id("userId", userHeader);
    } catch (RuntimeException e) {
      throw new ApiException(400, "invalid_argument", "X-Sandman-User is not a valid user id", "X-Sandman-User");
    }
    return new Principal(false, userHeader);
  }

  private static byte[] digestOrNull(String token) {
    return token == null || token.isBlank() ? null : digest(token);
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
