package dev.sandman.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.starter.SandmanClient;
import dev.sandman.worker.SandmanTestEnv;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The event streams, browser tokens and CORS over real HTTP, against the test server, a worker and the simulator. */
class StreamsApiTest {
  private ApiHarness h;

  @BeforeEach
  void start() throws Exception {
    h = new ApiHarness();
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private String track(String user) throws Exception {
    String id = h.t.newSandbox();
    assertThat(h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", user)).status()).isEqualTo(201);
    return id;
  }

  private SseReader watch(int port, String path, String... headers) throws Exception {
    return new SseReader(h.http, port, path, headers);
  }

  @Test
  void aViewerOnOneReplicaSeesWhatHappensThroughAnotherAtOnceAndResumesAfterAReconnect() throws Exception {
    String id = track("u1");
    try (SandmanClient otherClient = new SandmanClient(h.t.client, SandmanClient.Options.defaults().withTaskQueue(SandmanTestEnv.TASK_QUEUE));
        HttpApi replicaB = h.start(otherClient, List.of(ApiHarness.BROWSER_SECRET))) {
      SseReader.Event paused;
      try (SseReader viewer = watch(replicaB.port(), "/v1/sandboxes/" + id + "/events", "Authorization", "Bearer " + ApiHarness.APP,
          "X-Sandman-User", "u1")) {
        assertThat(viewer.status).isEqualTo(200);
        assertThat(viewer.response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        SseReader.Event first = viewer.next();
        assertThat(first.type()).isEqualTo("status");
        assertThat(first.state()).isEqualTo("RUNNING");
        long asked = System.nanoTime();
        assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/pause", "{\"reason\":\"lunch\"}").status()).isEqualTo(200);
        paused = viewer.nextIn("PAUSED");
        assertThat(TimeUnit.NANOSECONDS.toMillis(paused.receivedNanos() - asked)).as("ms from the pause call to the viewer").isLessThan(1000);
      }
      assertThat(h.admin("POST", "/v1/sandboxes/" + id + "/resume", null).status()).isEqualTo(200);
      assertThat(h.admin("DELETE", "/v1/sandboxes/" + id, null).status()).isEqualTo(200);
      // the EventSource reconnects (to replica A this time) with the last id it saw: what it missed, once, then the end
      try (SseReader again = watch(h.api.port(), "/v1/sandboxes/" + id + "/events", "Authorization", "Bearer " + ApiHarness.ADMIN,
          "Last-Event-ID", paused.id())) {
        List<String> states = new java.util.ArrayList<>();
        SseReader.Event e;
        do {
          e = again.next();
          states.add(e.state());
        } while (!e.state().equals("KILLED"));
        assertThat(states).doesNotContain("PAUSED").contains("RUNNING");
        String finalId = e.id();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!again.ended && System.nanoTime() < until) {
          Thread.sleep(20);
        }
        assertThat(again.ended).as("the stream of a killed sandbox ends").isTrue();
        // and the EventSource's next reconnect is told there is nothing more (204 stops it)
        try (SseReader done = watch(h.api.port(), "/v1/sandboxes/" + id + "/events", "Authorization", "Bearer " + ApiHarness.ADMIN,
            "Last-Event-ID", finalId)) {
          assertThat(done.status).isEqualTo(204);
        }
      }
    }
  }

  @Test
  void aFeedShowsOnlyTheCallersSandboxesAndFiltersByState() throws Exception {
    String mine = track("u1");
    String theirs = track("u2");
    try (SseReader feed = watch(h.api.port(), "/v1/events?projectId=p1&state=PAUSED", "Authorization", "Bearer " + ApiHarness.APP,
        "X-Sandman-User", "u1")) {
      assertThat(feed.status).isEqualTo(200);
      h.admin("POST", "/v1/sandboxes/" + theirs + "/pause", null);
      h.admin("POST", "/v1/sandboxes/" + mine + "/pause", null);
      SseReader.Event e = feed.next();
      assertThat(e.sandboxId()).isEqualTo(mine);
      assertThat(e.state()).isEqualTo("PAUSED");
      assertThat(feed.events.poll(1500, TimeUnit.MILLISECONDS)).as("nothing of u2's").isNull();
    }
    assertThat(h.app("u1", "GET", "/v1/events?userId=u2", null).status()).isEqualTo(403);
    assertThat(h.app("u2", "GET", "/v1/sandboxes/" + mine + "/events", null).status()).isEqualTo(404);
    assertThat(h.admin("GET", "/v1/sandboxes/nobody/events", null).status()).isEqualTo(404);
    assertThat(h.admin("GET", "/v1/sandboxes/" + mine + "/events?lastEventId=../../x", null).status()).isEqualTo(400);
    assertThat(h.admin("GET", "/v1/events?bogus=1", null).status()).isEqualTo(400);
  }

  private String mint(String user, String body) throws Exception {
    ApiHarness.Reply minted = h.app(user, "POST", "/v1/browser-tokens", body);
    assertThat(minted.status()).as(minted.raw()).isEqualTo(201);
    return minted.text("token");
  }

  @Test
  void aBrowserTokenReadsStreamsAndTouchesOnlyWhatItGrantsUntilItExpires() throws Exception {
    String mine = track("u1");
    String theirs = track("u2");
    String readOnly = mint("u1", "{\"sandboxId\":\"" + mine + "\"}");
    String touch = mint("u1", "{\"access\":\"touch\",\"ttl\":\"PT5M\"}");
    String bearer = "Bearer ";

    // reads and the stream, the token in the URL as an EventSource must send it
    assertThat(h.call("GET", "/v1/sandboxes/" + mine, null, "Authorization", bearer + readOnly).status()).isEqualTo(200);
    try (SseReader viewer = watch(h.api.port(), "/v1/sandboxes/" + mine + "/events?access_token=" + readOnly)) {
      assertThat(viewer.status).isEqualTo(200);
      assertThat(viewer.next().state()).isEqualTo("RUNNING");
    }
    // a read-only token changes nothing
    String before = h.admin("GET", "/v1/sandboxes/" + mine, null).text("lastActivityAt");
    assertThat(h.call("POST", "/v1/sandboxes/" + mine + "/activity", "{}", "Authorization", bearer + readOnly).status()).isEqualTo(403);
    assertThat(h.call("POST", "/v1/sandboxes/" + mine + "/pause", null, "Authorization", bearer + touch).status()).isEqualTo(403);
    assertThat(h.call("DELETE", "/v1/sandboxes/" + mine, null, "Authorization", bearer + touch).status()).isEqualTo(403);
    assertThat(h.call("POST", "/v1/browser-tokens", "{}", "Authorization", bearer + touch).status()).isEqualTo(403);
    assertThat(h.admin("GET", "/v1/sandboxes/" + mine, null).text("lastActivityAt")).isEqualTo(before);
    assertThat(h.admin("GET", "/v1/sandboxes/" + mine, null).text("state")).isEqualTo("RUNNING");
    // one sandbox's token reaches no other, and no user's token reaches another user's sandbox
    assertThat(h.call("GET", "/v1/sandboxes/" + theirs, null, "Authorization", bearer + readOnly).status()).isEqualTo(403);
    assertThat(h.call("GET", "/v1/sandboxes", null, "Authorization", bearer + readOnly).status()).isEqualTo(403);
    assertThat(h.call("GET", "/v1/sandboxes/" + theirs, null, "Authorization", bearer + touch).status()).isEqualTo(403);
    assertThat(h.call("POST", "/v1/sandboxes/" + theirs + "/activity", "{}", "Authorization", bearer + touch).status()).isEqualTo(403);
    assertThat(h.call("GET", "/v1/sandboxes/nobody-at-all", null, "Authorization", bearer + touch).status()).isEqualTo(403);
    // a touch token touches its user's sandboxes
    assertThat(h.call("POST", "/v1/sandboxes/" + mine + "/activity", "{}", "Authorization", bearer + touch).status()).isEqualTo(202);

    // forged: another signature, another user written in, a secret nobody configured
    String forgedSignature = touch.substring(0, touch.length() - 4) + (touch.endsWith("AAAA") ? "BBBB" : "AAAA");
    String otherUser = new BrowserTokens(List.of("another-secret-nobody-configured-0123456789"), Clock.systemUTC())
        .mint("u1", null, true, Duration.ofMinutes(5));
    String expired = new BrowserTokens(List.of(ApiHarness.BROWSER_SECRET),
        Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC)).mint("u1", null, true, Duration.ofMinutes(5));
    for (String bad : List.of(forgedSignature, otherUser, expired, "sbt1.garbage", "sbt1..")) {
      assertThat(h.call("GET", "/v1/sandboxes/" + mine, null, "Authorization", bearer + bad).status()).as(bad).isEqualTo(401);
      assertThat(h.call("POST", "/v1/sandboxes/" + mine + "/activity", "{}", "Authorization", bearer + bad).status()).isEqualTo(401);
    }
    assertThat(h.call("GET", "/v1/sandboxes/" + mine, null, "Authorization", bearer + expired).text("message")).contains("expired");
    // the app token never travels in a URL
    assertThat(h.call("GET", "/v1/sandboxes/" + mine + "/events?access_token=" + ApiHarness.APP, null).status()).isEqualTo(401);
    // the app cannot mint for another user, nor for another user's sandbox
    assertThat(h.app("u1", "POST", "/v1/browser-tokens", "{\"userId\":\"u2\"}").status()).isEqualTo(403);
    assertThat(h.app("u1", "POST", "/v1/browser-tokens", "{\"sandboxId\":\"" + theirs + "\"}").status()).isEqualTo(404);
    assertThat(h.app("u1", "POST", "/v1/browser-tokens", "{\"ttl\":\"PT2H\"}").status()).isEqualTo(400);

    // rotating the secret: a replica that no longer has it refuses every token it signed
    try (HttpApi rotated = h.start(h.client, List.of("the-new-secret-after-rotation-0123456789"))) {
      assertThat(h.call(rotated.port(), "GET", "/v1/sandboxes/" + mine, null, "Authorization", bearer + readOnly).status()).isEqualTo(401);
    }
    try (HttpApi both = h.start(h.client, List.of("the-new-secret-after-rotation-0123456789", ApiHarness.BROWSER_SECRET))) {
      assertThat(h.call(both.port(), "GET", "/v1/sandboxes/" + mine, null, "Authorization", bearer + readOnly).status()).isEqualTo(200);
    }
  }

  @Test
  void browsersFromTheAppsOriginsGetCorsOthersDoNot() throws Exception {
    ApiHarness.Reply preflight = h.call("OPTIONS", "/v1/sandboxes/x/events", null, "Origin", ApiHarness.ORIGIN,
        "Access-Control-Request-Method", "GET");
    assertThat(preflight.status()).isEqualTo(204);
    var allowed = h.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + h.api.port() + "/v1/sandboxes/x"))
        .header("Origin", ApiHarness.ORIGIN).header("Authorization", "Bearer " + ApiHarness.ADMIN).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains(ApiHarness.ORIGIN);
    var other = h.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + h.api.port() + "/v1/sandboxes/x"))
        .header("Origin", "https://evil.example").header("Authorization", "Bearer " + ApiHarness.ADMIN).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(h.call("OPTIONS", "/v1/sandboxes", null, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST").status())
        .isEqualTo(403);
  }

  @Test
  void aJsonEndpointRefusesOtherMediaTypesAndAnUnknownMethodIsNamed() throws Exception {
    String id = track("u1");
    ApiHarness.Reply text = h.call("POST", "/v1/sandboxes/" + id + "/pause", "{\"reason\":\"x\"}", "Authorization", "Bearer " + ApiHarness.ADMIN,
        "Content-Type", "text/plain");
    assertThat(text.status()).isEqualTo(415);
    assertThat(text.text("error")).isEqualTo("unsupported_media_type");
    assertThat(h.admin("GET", "/v1/sandboxes/" + id, null).text("state")).isEqualTo("RUNNING");
    ApiHarness.Reply wrongMethod = h.admin("PATCH", "/v1/sandboxes/" + id, "{}");
    assertThat(wrongMethod.status()).isEqualTo(405);
  }
}
