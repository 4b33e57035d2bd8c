package dev.sandman.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The reliability table. Every case of the suite goes through {@link #check}: it runs the case,
 * records what was observed (or the assertion that failed), and {@link MatrixReport} writes all rows
 * to {@code target/reliability.md} (or, asked to, {@code docs/reliability.md}) when the suite ends.
 */
public final class Matrix {
  /** What one case observed: a sentence, how many sandboxes and injected faults it took, what was lost. */
  public record Outcome(String observed, int sandboxes, int faults, int lost) {}

  record Row(String area, String name, String fault, String expected, Outcome outcome, boolean passed) {}

  private static final List<Row> ROWS = new ArrayList<>();

  private Matrix() {}

  /** Runs one case; records it (passed or failed) and rethrows any failure. */
  public static void check(String area, String name, String fault, String expected, Supplier<Outcome> body) {
    Outcome outcome;
    try {
      outcome = body.get();
    } catch (RuntimeException | Error e) {
      String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      add(new Row(area, name, fault, expected, new Outcome("FAILED: " + message, 0, 0, 0), false));
      throw e;
    }
    if (outcome.lost() > 0) {
      add(new Row(area, name, fault, expected, outcome, false));
      throw new AssertionError(name + ": lost " + outcome.lost());
    }
    add(new Row(area, name, fault, expected, outcome, true));
  }

  private static synchronized void add(Row row) {
    ROWS.add(row);
  }

  static synchronized List<Row> rows() {
    return List.copyOf(ROWS);
  }

  /** Writes the table, grouped by area; returns the file written. */
  static synchronized Path write(Path file) {
    List<Row> rows = new ArrayList<>(ROWS);
    rows.sort(Comparator.comparing(Row::area));
    Map<String, List<Row>> byArea = new TreeMap<>();
    rows.forEach(r -> byArea.computeIfAbsent(r.area(), a -> new ArrayList<>()).add(r));
    long passed = rows.stream().filter(Row::passed).count();
    int sandboxes = rows.stream().mapToInt(r -> r.outcome().sandboxes()).sum();
    int faults = rows.stream().mapToInt(r -> r.outcome().faults()).sum();
    int lost = rows.stream().mapToInt(r -> r.outcome().lost()).sum();

    StringBuilder md = new StringBuilder();
    md.append("# Reliability: every case tried and what happened\n\n");
    md.append("Written by the reliability suite (`reliability/`, part of `mvn -B verify`; this copy refreshed with `-Dsandman.refreshDocs=true`) on ")
        .append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append("; do not edit by hand.\n")
        .append("Each case runs against Temporal's test server (a real gRPC service) with Sandman's worker, and the\n")
        .append("E2B simulator over real HTTP; faults are injected into the simulator, the worker or the API.\n\n");
    md.append("| cases | passed | faults injected | sandboxes | anything lost |\n|---|---|---|---|---|\n");
    md.append("| ").append(rows.size()).append(" | ").append(passed).append(" | ").append(faults).append(" | ")
        .append(sandboxes).append(" | ").append(lost).append(" |\n\n");
    byArea.forEach((area, list) -> {
      md.append("## ").append(area).append("\n\n");
      md.append("| case | fault | expected | observed | sandboxes | faults | lost | result |\n");
      md.append("|---|---|---|---|---|---|---|---|\n");
      for (Row r : list) {
        md.append("| ").append(cell(r.name())).append(" | ").append(cell(r.fault())).append(" | ")
            .append(cell(r.expected())).append(" | ").append(cell(r.outcome().observed())).append(" | ")
            .append(r.outcome().sandboxes()).append(" | ").append(r.outcome().faults()).append(" | ")
            .append(r.outcome().lost()).append(" | ").append(r.passed() ? "pass" : "**FAIL**").append(" |\n");
      }
      md.append("\n");
    });
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, md.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static String cell(String text) {
    return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
  }
}
