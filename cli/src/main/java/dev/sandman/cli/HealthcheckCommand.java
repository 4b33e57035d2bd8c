package dev.sandman.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** For container healthchecks in images without curl: exits 0 when the URL answers 200. */
@Command(name = "healthcheck", description = "Exit 0 when URL answers 200 (for container healthchecks).")
final class HealthcheckCommand implements Callable<Integer> {
  @Parameters(paramLabel = "URL", defaultValue = "http://127.0.0.1:8080/healthz") String url;

  @Override
  public Integer call() {
    try {
      HttpResponse<Void> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200 ? 0 : 1;
    } catch (Exception e) {
      System.err.println("unhealthy: " + e);
      return 1;
    }
  }
}
