package dev.sandman.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandman.reliability.Matrix.Outcome;
import dev.sandman.http.ApiHarness;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile requests against the HTTP API: each must get a 4xx JSON error (never a 500,
 * never a hang) and change nothing: the reference sandboxes keep their state, policy, holds and
 * counters, and no sandbox appears.
 */
class HostileHttpTest {
  static ApiHarness h;
  static String alice;
  static String bob;
  static String before;

  /** One hostile request; {@code as} is "admin", "none", a raw Authorization header, or "app:USER". */
  record Case(String name, String as, String method, String path, String body, int status) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    h = new ApiHarness();
    alice = h.t.newSandbox();
    bob = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", h.trackBody(alice, "p1", "alice"));
    h.admin("POST", "/v1/sandboxes", h.trackBody(bob, "p1", "bob"));
    before = settled();
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  static String track(String extra) {
    return "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\"" + extra + "}";
  }

  static Stream<Case> cases() {
    String a = "/v1/sandboxes/" + (alice == null ? "a" : alice);
    List<Case> c = new ArrayList<>();
    // bad JSON and wrong shapes
    c.add(new Case("truncated JSON", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\": ", 400));
    c.add(new Case("JSON array instead of object", "admin", "POST", "/v1/sandboxes", "[1,2]", 400));
    c.add(new Case("JSON followed by garbage", "admin", "POST", "/v1/sandboxes", track("") + "x", 400));
    c.add(new Case("not JSON at all", "admin", "POST", "/v1/sandboxes", "sandboxId=x1&projectId=p", 400));
    c.add(new Case("JSON null body", "admin", "POST", "/v1/sandboxes", "null", 400));
    c.add(new Case("empty object", "admin", "POST", "/v1/sandboxes", "{}", 400));
    c.add(new Case("10,000-deep nesting", "admin", "POST", "/v1/sandboxes", "[".repeat(10_000) + "]".repeat(10_000), 400));
    c.add(new Case("unknown field", "admin", "POST", "/v1/sandboxes", track(",\"color\":\"red\""), 400));
    c.add(new Case("duplicate field", "admin", "POST", "/v1/sandboxes", track(",\"userId\":\"v\""), 400));
    c.add(new Case("number where a string goes", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":5,\"userId\":\"u\"}", 400));
    c.add(new Case("object where a string goes", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":{\"a\":1},\"projectId\":\"p\",\"userId\":\"u\"}", 400));
    c.add(new Case("missing projectId", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"userId\":\"u\"}", 400));
    c.add(new Case("missing sandboxId and template", "admin", "POST", "/v1/sandboxes", "{\"projectId\":\"p\",\"userId\":\"u\"}", 400));
    // hostile ids
    c.add(new Case("path traversal in sandboxId", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":\"../../etc\",\"projectId\":\"p\",\"userId\":\"u\"}", 400));
    c.add(new Case("newline in projectId", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\\n1\",\"userId\":\"u\"}", 400));
    c.add(new Case("NUL in userId", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":\"x1\",\"projectId\":\"p\",\"userId\":\"u\\u0000\"}", 400));
    c.add(new Case("RTL override in sandboxId", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":\"x\\u202e1\",\"projectId\":\"p\",\"userId\":\"u\"}", 400));
    c.add(new Case("1,000-character sandboxId", "admin", "POST", "/v1/sandboxes", "{\"sandboxId\":\"" + "x".repeat(1000) + "\",\"projectId\":\"p\",\"userId\":\"u\"}", 400));
    c.add(new Case("encoded slash in path id", "admin", "GET", "/v1/sandboxes/abc%2Fdef", null, 400));
    c.add(new Case("encoded NUL in path id", "admin", "GET", "/v1/sandboxes/abc%00def", null, 400));
    c.add(new Case("dot-dot path id", "admin", "GET", "/v1/sandboxes/..%2F..%2Fetc", null, 400));
    c.add(new Case("space in path id", "admin", "POST", "/v1/sandboxes/a%20b/activity", null, 400));
    // durations and times
    c.add(new Case("negative idleTimeout", "admin", "POST", "/v1/sandboxes", track(",\"policy\":{\"idleTimeout\":\"PT-5M\"}"), 400));
    c.add(new Case("idleTimeout in words", "admin", "POST", "/v1/sandboxes", track(",\"policy\":{\"idleTimeout\":\"10 minutes\"}"), 400));
    c.add(new Case("idleTimeout as a number", "admin", "POST", "/v1/sandboxes", track(",\"policy\":{\"idleTimeout\":600}"), 400));
    c.add(new Case("absurd pausedRetention", "admin", "POST", "/v1/sandboxes", track(",\"policy\":{\"pausedRetention\":\"P99999D\"}"), 400));
    c.add(new Case("duration overflowing a long", "admin", "POST", "/v1/sandboxes", track(",\"policy\":{\"maxLifetime\":\"PT99999999999999999999H\"}"), 400));
    c.add(new Case("zero idleTimeout", "admin", "PUT", a + "/policy", "{\"idleTimeout\":\"PT0S\"}", 400));
    c.add(new Case("empty policy change", "admin", "PUT", a + "/policy", "{}", 400));
    c.add(new Case("activity time that is not a time", "admin", "POST", a + "/activity", "{\"at\":\"yesterday\"}", 400));
    c.add(new Case("unknown activity field", "admin", "POST", a + "/activity", "{\"when\":\"now\"}", 400));
    c.add(new Case("negative hold ttl", "admin", "POST", a + "/holds", "{\"ttl\":\"-PT5M\",\"reason\":\"x\"}", 400));
    c.add(new Case("hold ttl missing", "admin", "POST", a + "/holds", "{\"reason\":\"x\"}", 400));
    c.add(new Case("release of a hold that does not exist", "admin", "DELETE", a + "/holds/no-such-hold", null, 404));
    c.add(new Case("600-character reason", "admin", "POST", a + "/pause", "{\"reason\":\"" + "x".repeat(600) + "\"}", 400));
    c.add(new Case("metadata value not a string", "admin", "POST", "/v1/sandboxes", track(",\"metadata\":{\"k\":1}"), 400));
    c.add(new Case("project policy with negative idleTimeout", "admin", "PUT", "/v1/projects/p1/policy", "{\"idleTimeout\":\"-PT1M\"}", 400));
    // queries
    c.add(new Case("unknown state filter", "admin", "GET", "/v1/sandboxes?state=ASLEEP", null, 400));
    c.add(new Case("pageSize zero", "admin", "GET", "/v1/sandboxes?pageSize=0", null, 400));
    c.add(new Case("pageSize not a number", "admin", "GET", "/v1/sandboxes?pageSize=abc", null, 400));
    c.add(new Case("pageSize a million", "admin", "GET", "/v1/sandboxes?pageSize=1000000", null, 400));
    c.add(new Case("forged pageToken", "admin", "GET", "/v1/sandboxes?pageToken=bm90LWEtdG9rZW4", null, 400));
    c.add(new Case("activity a billion years ahead", "admin", "POST", a + "/activity", "{\"at\":\"+999999999-12-31T23:59:59Z\"}", 400));
    c.add(new Case("activity before the epoch of anything", "admin", "POST", a + "/activity", "{\"at\":\"-999999999-01-01T00:00:00Z\"}", 400));
    c.add(new Case("unknown query parameter", "admin", "GET", "/v1/sandboxes?color=red", null, 400));
    // routes and methods
    c.add(new Case("unknown action", "admin", "GET", a + "/explode", null, 404));
    c.add(new Case("unknown top-level path", "admin", "GET", "/v2/sandboxes", null, 404));
    c.add(new Case("PATCH a sandbox", "admin", "PATCH", a, null, 405));
    c.add(new Case("GET on pause", "admin", "GET", a + "/pause", null, 405));
    c.add(new Case("body over the size limit", "admin", "POST", "/v1/sandboxes", track(",\"metadata\":{\"k\":\"" + "v".repeat(70_000) + "\"}"), 413));
    // auth
    c.add(new Case("no token", "none", "GET", a, null, 401));
    c.add(new Case("wrong token", "Bearer wrong", "POST", a + "/pause", null, 401));
    c.add(new Case("token with another scheme", "Basic " + ApiHarness.ADMIN, "DELETE", a, null, 401));
    c.add(new Case("admin token plus one character", "Bearer " + ApiHarness.ADMIN + "x", "DELETE", a, null, 401));
    c.add(new Case("app token without X-Sandman-User", "Bearer " + ApiHarness.APP, "DELETE", a, null, 401));
    c.add(new Case("X-Sandman-User with path characters", "app:../alice", "GET", a, null, 400));
    c.add(new Case("another user's sandbox: status", "app:bob", "GET", a, null, 404));
    c.add(new Case("another user's sandbox: pause", "app:bob", "POST", a + "/pause", null, 404));
    c.add(new Case("another user's sandbox: kill", "app:bob", "DELETE", a, null, 404));
    c.add(new Case("another user's sandbox: policy", "app:bob", "PUT", a + "/policy", "{\"idleTimeout\":\"PT1M\"}", 404));
    c.add(new Case("another user's sandbox: hold", "app:bob", "POST", a + "/holds", "{\"ttl\":\"PT5M\"}", 404));
    c.add(new Case("track a sandbox for another user", "app:bob", "POST", "/v1/sandboxes", "{\"sandboxId\":\"x2\",\"projectId\":\"p1\",\"userId\":\"alice\"}", 403));
    c.add(new Case("track another user's sandbox as one's own", "app:bob", "POST", "/v1/sandboxes", "{\"sandboxId\":\"" + (alice == null ? "a" : alice) + "\",\"projectId\":\"p1\",\"userId\":\"bob\"}", 409));
    c.add(new Case("list another user's sandboxes", "app:bob", "GET", "/v1/sandboxes?userId=alice", null, 403));
    c.add(new Case("app token changing a project policy", "app:bob", "PUT", "/v1/projects/p1/policy", "{\"idleTimeout\":\"PT1M\"}", 403));
    // content types, streams and browser tokens
    c.add(new Case("a JSON body sent as text/plain", "admin-text", "POST", a + "/pause", "{\"reason\":\"x\"}", 415));
    c.add(new Case("a policy sent as form data", "admin-form", "PUT", a + "/policy", "idleTimeout=PT1M", 415));
    c.add(new Case("forged Last-Event-ID", "admin", "GET", a + "/events?lastEventId=..%2F..%2Fx", null, 400));
    c.add(new Case("a feed of another user's sandboxes", "app:bob", "GET", "/v1/events?userId=alice", null, 403));
    c.add(new Case("another user's sandbox: its stream", "app:bob", "GET", a + "/events", null, 404));
    c.add(new Case("the app token in the URL", "none", "GET", a + "/events?access_token=" + ApiHarness.APP, null, 401));
    c.add(new Case("browser token: forged signature", "Bearer " + browser("alice", null, true, Duration.ofMinutes(5), true), "POST", a + "/activity", "{}", 401));
    c.add(new Case("browser token: expired", "Bearer " + browser("alice", null, true, Duration.ofMinutes(-5), false), "POST", a + "/activity", "{}", 401));
    c.add(new Case("browser token: read-only touching", "Bearer " + browser("alice", null, false, Duration.ofMinutes(5), false), "POST", a + "/activity", "{}", 403));
    c.add(new Case("browser token: pausing", "Bearer " + browser("alice", null, true, Duration.ofMinutes(5), false), "POST", a + "/pause", null, 403));
    c.add(new Case("browser token: another user's sandbox", "Bearer " + browser("bob", null, true, Duration.ofMinutes(5), false), "POST", a + "/activity", "{}", 403));
    c.add(new Case("browser token: another sandbox", "Bearer " + browser("alice", "other-sandbox", true, Duration.ofMinutes(5), false), "GET", a, null, 403));
    c.add(new Case("browser token: minting more", "Bearer " + browser("alice", null, true, Duration.ofMinutes(5), false), "POST", "/v1/browser-tokens", "{}", 403));
    c.add(new Case("browser token for more than an hour", "app:alice", "POST", "/v1/browser-tokens", "{\"ttl\":\"PT2H\"}", 400));
    return c.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyHostileRequestGetsA4xxAndChangesNothing(Case c) {
    Matrix.check("Hostile HTTP requests", c.name(), c.method() + " " + abbreviate(c.path()) + (c.body() == null ? "" : " " + abbreviate(c.body())),
        c.status() + ", JSON error, nothing changed", () -> {
      ApiHarness.Reply reply = send(c);
      assertThat(reply.status()).as(c.name()).isEqualTo(c.status());
      assertThat(reply.text("error")).as(c.name()).isNotBlank();
      assertThat(reply.text("message")).as(c.name()).isNotBlank();
      assertThat(snapshot()).as("state after " + c.name()).isEqualTo(before);
      return new Outcome(reply.status() + " " + reply.text("error") + (reply.text("field") == null ? "" : " (" + reply.text("field") + ")"), 0, 1, 0);
    });
  }

  /** A browser token signed with the test API's secret (or, forged, with another), expiring after {@code ttl}. */
  static String browser(String user, String sandbox, boolean touch, Duration ttl, boolean forged) {
    java.time.Clock clock = ttl.isNegative() ? java.time.Clock.offset(java.time.Clock.systemUTC(), ttl.multipliedBy(3)) : java.time.Clock.systemUTC();
    return new dev.sandman.http.BrowserTokens(List.of(forged ? "a-secret-this-api-was-never-given-0123456789" : ApiHarness.BROWSER_SECRET), clock)
        .mint(user, sandbox, touch, ttl.abs());
  }

  private static ApiHarness.Reply send(Case c) {
    try {
      return switch (c.as()) {
        case "admin" -> h.admin(c.method(), c.path(), c.body());
        case "admin-text" -> h.call(c.method(), c.path(), c.body(), "Authorization", "Bearer " + ApiHarness.ADMIN, "Content-Type", "text/plain");
        case "admin-form" -> h.call(c.method(), c.path(), c.body(), "Authorization", "Bearer " + ApiHarness.ADMIN,
            "Content-Type", "application/x-www-form-urlencoded");
        case "none" -> h.call(c.method(), c.path(), c.body());
        default -> c.as().startsWith("app:")
            ? h.app(c.as().substring(4), c.method(), c.path(), c.body())
            : h.call(c.method(), c.path(), c.body(), "Authorization", c.as());
      };
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** What must not change: the two sandboxes (state, policy, holds, counters) and the set of sandboxes. */
  /** The snapshot once tracking's own first E2B calls are done: the same twice, 300 ms apart. */
  private static String settled() throws InterruptedException {
    String last = snapshot();
    for (int i = 0; i < 50; i++) {
      Thread.sleep(300);
      String now = snapshot();
      if (now.equals(last)) {
        return now;
      }
      last = now;
    }
    throw new AssertionError("the tracked sandboxes never settled: " + last);
  }

  private static String snapshot() {
    try {
      StringBuilder s = new StringBuilder();
      for (String id : new String[] {alice, bob}) {
        JsonNode status = h.admin("GET", "/v1/sandboxes/" + id, null).body();
        s.append(status.get("state")).append(status.get("policy")).append(status.get("holds")).append(status.get("counters"))
            .append(status.get("pauseDeadline")).append('\n');
      }
      JsonNode all = h.admin("GET", "/v1/sandboxes?pageSize=100", null).body().get("items");
      all.forEach(item -> s.append(item.get("sandboxId").asText()).append(' '));
      s.append(h.admin("GET", "/v1/projects/p1/policy", null).raw());
      return s.toString();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }
}
