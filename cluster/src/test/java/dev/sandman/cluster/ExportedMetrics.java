package dev.sandman.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names the dashboard and the alert rules use, against those the running processes export. */
final class ExportedMetrics {
  private static final Pattern USED = Pattern.compile("\\b(sandman_[a-z0-9_]+|temporal_[a-z0-9_]+|action)\\b");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private ExportedMetrics() {}

  /** Every metric name in the Prometheus text at {@code url}. */
  static Set<String> scrape(String url) throws IOException, InterruptedException {
    String text = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    Set<String> names = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        names.add(line.split("[{ ]", 2)[0]);
      }
    }
    return names;
  }

  /** Metric names anywhere in these files (dashboard JSON, rule YAML) but comments: sandman_*, temporal_*, action. */
  static Set<String> used(Path... files) throws IOException {
    Set<String> names = new TreeSet<>();
    for (Path file : files) {
      for (String line : Files.readAllLines(file)) {
        if (!line.trim().startsWith("#")) {
          Matcher m = USED.matcher(line);
          while (m.find()) {
            names.add(m.group(1));
          }
        }
      }
    }
    return names;
  }
}
