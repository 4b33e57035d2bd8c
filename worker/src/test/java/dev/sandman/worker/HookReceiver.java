package dev.sandman.worker;

import com.sun.net.httpserver.HttpServer;
import dev.sandman.activities.WebhookActivities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/** An app's pre-pause hook over real HTTP: answers as planned, and keeps what it got with its signature checked. */
public final class HookReceiver implements AutoCloseable {
  /** One planned answer: a status, after a delay. */
  public record Plan(int status, long delayMillis) {}

  /** One request: its body, and whether it was signed with the shared secret. */
  public record Received(String body, boolean signedRight) {}

  private final HttpServer server;
  private final Queue<Plan> plans = new ConcurrentLinkedQueue<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();

  public HookReceiver(String secret) {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/hook", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String signature = exchange.getRequestHeaders().getFirst("X-Sandman-Signature");
      received.add(new Received(new String(body, StandardCharsets.UTF_8), signedRight(signature, secret, body)));
      Plan plan = plans.poll();
      plan = plan == null ? new Plan(200, 0) : plan;
      try {
        Thread.sleep(plan.delayMillis());
        exchange.sendResponseHeaders(plan.status(), -1);
      } catch (InterruptedException | IOException gone) {
        // the caller gave up waiting
      } finally {
        exchange.close();
      }
    });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
  }

  private static boolean signedRight(String header, String secret, byte[] body) {
    if (header == null || !header.startsWith("t=") || !header.contains(",v1=")) {
      return false;
    }
    long t = Long.parseLong(header.substring(2, header.indexOf(',')));
    return header.substring(header.indexOf(",v1=") + 4).equals(WebhookActivities.sign(secret.getBytes(StandardCharsets.UTF_8), t, body));
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  public HookReceiver answer(int status, long delayMillis) {
    plans.add(new Plan(status, delayMillis));
    return this;
  }

  public List<Received> received() {
    return received;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
