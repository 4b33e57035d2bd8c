package dev.sandman.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.http.ApiHarness;
import dev.sandman.reliability.Matrix.Outcome;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Abuse of the HTTP API without a token: slow clients, and requests that would grow the metrics. */
class HttpAbuseTest {
  private static ApiHarness h;
  private static String sandbox;

  @BeforeAll
  static void start() throws Exception {
    h = new ApiHarness();
    sandbox = h.t.newSandbox();
    h.admin("POST", "/v1/sandboxes", h.trackBody(sandbox, "p1", "alice"));
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  @Test
  @Timeout(120)
  void slowClientsCostConnectionsNotTheApi() throws Exception {
    Matrix.check("Hostile HTTP requests", "600 slow clients, no token",
        "300 connections sending a body 1 byte every 2 s, 300 sending their headers 1 byte every 2 s, for 8 s",
        "/healthz and the API answer within 1 s throughout", () -> {
      List<Socket> slow = new ArrayList<>();
      AtomicBoolean stop = new AtomicBoolean();
      try {
        for (int i = 0; i < 600; i++) {
          Socket s = new Socket("127.0.0.1", h.api.port());
          s.getOutputStream().write((i % 2 == 0
              ? "POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
              : "GET /healthz HTTP/1.1\r\nHo").getBytes(StandardCharsets.US_ASCII));
          slow.add(s);
        }
        Thread dripper = new Thread(() -> {
          while (!stop.get()) {
            for (Socket s : slow) {
              try {
                OutputStream out = s.getOutputStream();
                out.write('x');
                out.flush();
              } catch (IOException closedByTheServer) {
                // a client too slow for the minimum data rate is dropped: what we want
              }
            }
            sleep(2000);
          }
        });
        dripper.start();
        long worst = 0;
        long deadline = System.nanoTime() + 8_000_000_000L;
        int probes = 0;
        while (System.nanoTime() < deadline) {
          long started = System.nanoTime();
          assertThat(h.call("GET", "/healthz", null).status()).isEqualTo(200);
          assertThat(h.admin("GET", "/v1/sandboxes/" + sandbox, null).status()).isEqualTo(200);
          worst = Math.max(worst, System.nanoTime() - started);
          probes++;
          sleep(200);
        }
        stop.set(true);
        assertThat(worst).as("slowest probe (ns)").isLessThan(1_000_000_000L);
        return new Outcome(probes + " probes of /healthz and a status read, the slowest " + worst / 1_000_000 + " ms", 1, 600, 0);
      } catch (Exception e) {
        throw new AssertionError(e);
      } finally {
        stop.set(true);
        slow.forEach(HttpAbuseTest::closeQuietly);
      }
    });
  }

  @Test
  void randomPathsAndMethodsDoNotGrowTheMetrics() {
    Matrix.check("Hostile HTTP requests", "1,000 random paths and methods, no token",
        "every request a new path under /v1 and elsewhere, with made-up methods",
        "the request metric keeps a fixed set of labels", () -> {
      try {
        int before = series();
        junk(new Random(42), 500);
        int after = series();
        junk(new Random(7), 500); // another 500 new paths and methods add nothing
        int again = series();
        assertThat(after - before).as("new series").isLessThanOrEqualTo(40);
        assertThat(again).as("series after 500 more").isEqualTo(after);
        return new Outcome("series of sandman_http_requests: " + before + " before, " + after + " after 500, "
            + again + " after 1,000", 0, 1000, 0);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private static void junk(Random random, int requests) {
    String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "BREW", "PROPFIND"};
    for (int i = 0; i < requests; i++) {
      String path = (i % 2 == 0 ? "/v1/sandboxes/" : "/junk/") + Long.toHexString(random.nextLong()) + "/" + i;
      String method = i % 5 == 0 ? "Z" + random.nextInt(100_000) : methods[random.nextInt(methods.length)];
      try {
        h.call(method, path, null);
      } catch (Exception refused) {
        // a method the client refuses to send is no request
      }
    }
  }

  private static int series() throws Exception {
    return (int) h.call("GET", "/metrics", null).raw().lines()
        .filter(line -> line.startsWith("sandman_http_requests_seconds_count")).count();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
