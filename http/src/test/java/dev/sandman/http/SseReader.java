package dev.sandman.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A Server-Sent Events viewer over real HTTP, as a browser's EventSource reads a stream. */
final class SseReader implements AutoCloseable {
  record Event(String id, String type, JsonNode data, long receivedNanos) {
    String state() {
      return data.get("state").asText();
    }

    String sandboxId() {
      return data.get("sandboxId").asText();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  final int status;
  final HttpResponse<Stream<String>> response;
  final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  volatile boolean ended;
  private final Thread reader;

  SseReader(HttpClient http, int port, String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
    status = response.statusCode();
    reader = new Thread(this::read, "sse-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    String id = null;
    String type = "message";
    StringBuilder data = new StringBuilder();
    try {
      for (String line : (Iterable<String>) response.body()::iterator) {
        if (line.isEmpty()) {
          if (data.length() > 0) {
            events.add(new Event(id, type, parse(data.toString()), System.nanoTime()));
          }
          type = "message";
          data.setLength(0);
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
    } catch (RuntimeException closed) {
      // the test closed the stream
    }
    ended = true;
  }

  private static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalStateException(text, e);
    }
  }

  Event next() throws InterruptedException {
    Event event = events.poll(10, TimeUnit.SECONDS);
    assertThat(event).as("an event within 10 s").isNotNull();
    return event;
  }

  Event nextIn(String state) throws InterruptedException {
    while (true) {
      Event event = next();
      if (event.state().equals(state)) {
        return event;
      }
    }
  }

  @Override
  public void close() {
    response.body().close();
  }
}
