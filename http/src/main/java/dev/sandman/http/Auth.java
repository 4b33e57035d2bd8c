package dev.sandman.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Bearer tokens: the admin token may act on every sandbox; the app token acts for the user named in
 * {@code X-Sandman-User}; a browser token ({@link BrowserTokens}) acts for the user it names, on one
 * sandbox if it names one, to read and (if it grants touch) report activity. Configured tokens are
 * compared as SHA-256 digests with {@link MessageDigest#isEqual}, in constant time whatever their length.
 */
final class Auth {
  /** Who is calling: an admin, an app acting for one user, or a browser holding one user's token. */
  record Principal(boolean admin, String userId, BrowserTokens.Claims browser) {
    boolean mayActFor(String owner) {
      return admin || userId.equals(owner);
    }

    /** Only the admin token may {@code what}. */
    void requireAdmin(String what) {
      if (!admin) {
        throw ApiException.forbidden("only the admin token may " + what, null);
      }
    }

    /** A browser token may read; changes other than activity need the app's or the admin's token. */
    void requireApp(String what) {
      if (browser != null) {
        throw ApiException.forbidden("a browser token may read and report activity, not " + what, null);
      }
    }

    /** A browser token reports activity only if it grants touch. */
    void requireTouch() {
      if (browser != null && !browser.touch()) {
        throw ApiException.forbidden("this browser token is read-only: mint one with access touch to report activity", null);
      }
    }

    /** A browser token for one sandbox reaches that sandbox only (403, whether the other exists or not). */
    void requireSandbox(String sandboxId) {
      if (browser != null && browser.sandboxId() != null && !browser.sandboxId().equals(sandboxId)) {
        throw ApiException.forbidden("this browser token does not grant sandbox " + sandboxId, null);
      }
    }

    /** Listings and feeds span sandboxes: not for a token of one sandbox. */
    void requireAllOfUser(String what) {
      if (browser != null && browser.sandboxId() != null) {
        throw ApiException.forbidden("this browser token grants one sandbox, not " + what, null);
      }
    }

    /**
     * The user a request names, checked: an app or browser token may only name its own user (the
     * default when it names none); the admin token names any, or none.
     */
    String scopedUser(String named, String what) {
      if (admin) {
        return named;
      }
      if (named != null && !named.equals(userId)) {
        throw ApiException.forbidden("this token may only " + what + " user " + userId, "userId");
      }
      return userId;
    }
  }

  private final byte[] adminDigest;
  private final byte[] appDigest;
  private final BrowserTokens browserTokens;

  Auth(String adminToken, String appToken, BrowserTokens browserTokens) {
    this.adminDigest = digestOrNull(adminToken);
    this.appDigest = digestOrNull(appToken);
    this.browserTokens = browserTokens;
  }

  /**
   * The caller, or an ApiException (401) when the token is missing or wrong. {@code queryToken} is an
   * {@code access_token} from the URL, accepted for browser tokens only (an EventSource sends no headers).
   */
  Principal authenticate(String authorization, String userHeader, String queryToken) {
    String token;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = authorization.substring(7).trim();
    } else if (authorization == null && queryToken != null) {
      if (!BrowserTokens.looksLikeOne(queryToken)) {
        throw new ApiException(401, "unauthorized", "only a browser token may be sent as access_token", "access_token");
      }
      token = queryToken;
    } else {
      throw new ApiException(401, "unauthorized", "send Authorization: Bearer <token>", null);
    }
    if (BrowserTokens.looksLikeOne(token)) {
      if (browserTokens == null) {
        throw new ApiException(401, "unauthorized", "browser tokens are off on this server (set SANDMAN_BROWSER_TOKEN_SECRET)", null);
      }
      BrowserTokens.Claims claims = browserTokens.verify(token);
      return new Principal(false, claims.userId(), claims);
    }
    byte[] presented = digest(token);
    boolean admin = adminDigest != null && MessageDigest.isEqual(presented, adminDigest);
    boolean app = appDigest != null && MessageDigest.isEqual(presented, appDigest);
    if (admin) {
      return new Principal(true, null, null);
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
    return new Principal(false, userHeader, null);
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
