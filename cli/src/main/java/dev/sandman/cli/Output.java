package dev.sandman.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sandman.starter.ListPage;
import dev.sandman.starter.SandboxSummary;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SandmanJson;
import dev.sandman.workflows.Transition;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Human tables by default, JSON with --json. */
final class Output {
  private final PrintStream out;
  private final boolean json;

  Output(PrintStream out, boolean json) {
    this.out = out;
    this.json = json;
  }

  void status(SandboxStatus status) {
    if (json) {
      json(status);
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("sandbox", status.sandboxId()));
    rows.add(List.of("project / user", status.projectId() + " / " + status.userId()));
    rows.add(List.of("template", text(status.template())));
    rows.add(List.of("state", status.state() + " since " + text(status.stateSince())));
    rows.add(List.of("last activity", text(status.lastActivityAt())));
    rows.add(List.of("pauses at", status.pauseDeadline() == null ? "-" : status.pauseDeadline() + " (" + until(status.pauseDeadline()) + ")"
        + (status.pauseWarningAt() == null ? "" : ", warning at " + status.pauseWarningAt())));
    rows.add(List.of("killed at", status.killDeadline() == null ? "-" : status.killDeadline() + " (" + status.killCause().wireName() + ")"));
    rows.add(List.of("policy", policy(status.policy())));
    rows.add(List.of("counters", "pauses " + status.counters().pauses() + ", resumes " + status.counters().resumes()
        + ", activity signals " + status.counters().activitySignals() + ", E2B calls " + status.counters().e2bCalls()
        + ", runs " + status.counters().runs()));
    if (status.usage() != null) {
      rows.add(List.of("usage", String.format("running %.2f h, paused %.2f h, cost $%.4f, saved by pausing $%.4f",
          status.usage().runningSeconds() / 3600.0, status.usage().pausedSeconds() / 3600.0,
          status.usage().estimatedCost(), status.usage().savedByPausing())));
    }
    if (status.holds() != null && !status.holds().isEmpty()) {
      // the label stays short (the table's first column fits every label); the hold's id goes with its value
      status.holds().forEach(h -> rows.add(List.of("hold", h.holdId() + " until " + h.expiresAt() + " (" + until(h.expiresAt()) + ")"
          + (h.reason() == null ? "" : ", " + h.reason()))));
    }
    if (status.prePause() != null) {
      rows.add(List.of("pre-pause hook", status.prePause().at() + " " + status.prePause().outcome()
          + (status.prePause().detail() == null ? "" : " (" + status.prePause().detail() + ")")));
    }
    if (status.lastError() != null) {
      rows.add(List.of("last error", status.lastError().at() + " " + status.lastError().operation() + ": " + status.lastError().message()));
    }
    table(null, rows);
    out.println();
    List<List<String>> transitions = new ArrayList<>();
    for (Transition t : status.transitions()) {
      transitions.add(List.of(t.at().toString(), t.from() == null ? "-" : t.from().name(), t.to().name(), t.cause().wireName()));
    }
    table(List.of("AT", "FROM", "TO", "CAUSE"), transitions);
  }

  /** Per project: the timeout that costs least beside the current one, and a few candidates around it. */
  void advice(dev.sandman.starter.IdleAdvice advice) {
    if (json) {
      json(advice);
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    for (dev.sandman.starter.IdleAdvice.Project p : advice.projects()) {
      rows.add(List.of(p.projectId(), Long.toString(p.sandboxes()), Long.toString(p.gaps()), duration(p.currentIdleTimeout()),
          String.format("$%.4f", p.current().cost()), duration(p.recommendedIdleTimeout()),
          String.format("$%.4f", p.recommended().cost()), String.format("$%.4f", p.savingPerDay())));
    }
    table(List.of("PROJECT", "SANDBOXES", "GAPS", "NOW", "COST NOW", "BEST", "COST BEST", "SAVED/DAY"), rows);
    advice.projects().stream().filter(p -> p.note() != null).forEach(p -> out.println(p.projectId() + ": " + p.note()));
    out.printf("idle running at $%.3f/h; a resume costs its measured wait at $%.0f/h of the user's time. "
        + "Costs cover the observed days; --json has every candidate from 1 to 60 minutes.%n", advice.pricePerHour(), advice.waitCostPerHour());
  }

  /** What a sweep found and did: a line of counts, then the sandboxes it acted on or reported. */
  void sweep(dev.sandman.workflows.SweepReport report) {
    if (json) {
      json(report);
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    for (dev.sandman.workflows.SweepReport.Item item : report.items()) {
      rows.add(List.of(item.sandboxId(), text(item.e2bState()), text(item.sandmanState()), item.outcome(), text(item.projectId()),
          text(item.userId()), text(item.detail())));
    }
    table(List.of("SANDBOX", "E2B", "SANDMAN", "OUTCOME", "PROJECT", "USER", "DETAIL"), rows);
    int left = report.orphans() + report.reconciled() + report.missing() - report.items().size();
    if (left > 0) {
      out.println("(" + left + " more not listed; --json has the same counts)");
    }
    out.printf("%s%s (%s), %d tracked: %d reconciled, %d missing; orphans %d: %d adopted, %d killed, "
            + "%d too young, %d refused (%s ms)%n",
        report.dryRun() ? "dry run: " : "", count(report.e2bListed(), "E2B sandbox", "E2B sandboxes"),
        count(report.e2bPages(), "page", "pages"), report.tracked(), report.reconciled(),
        report.missing(), report.orphans(), report.adopted(), report.killed(), report.young(), report.refused(),
        Duration.between(report.startedAt(), report.finishedAt()).toMillis());
  }

  /** One line per event: when, what, and the deadline that matters in that state. */
  synchronized void event(dev.sandman.starter.StatusEvent event) {
    if (json) {
      json(java.util.Map.of("id", event.id(), "event", event.type(), "status", event.status()));
      return;
    }
    SandboxStatus s = event.status();
    String next = s.pauseDeadline() != null ? "pauses at " + s.pauseDeadline() + " (" + until(s.pauseDeadline()) + ")"
        : s.killDeadline() != null ? "killed at " + s.killDeadline() + " (" + s.killCause().wireName() + ")" : "";
    String what = event.type().equals(dev.sandman.starter.StatusEvent.WARNING) ? "WARNING " + s.state() : s.state().name();
    out.printf("%s  %-9s %s%s%n", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), what, next,
        s.holds() == null || s.holds().isEmpty() ? "" : "  " + count(s.holds().size(), "hold", "holds"));
    out.flush();
  }

  void page(ListPage page) {
    if (json) {
      json(page);
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    for (SandboxSummary item : page.items()) {
      rows.add(List.of(item.sandboxId(), text(item.projectId()), text(item.userId()), text(item.template()),
          text(item.state()), text(item.trackedAt())));
    }
    table(List.of("SANDBOX", "PROJECT", "USER", "TEMPLATE", "STATE", "TRACKED"), rows);
    if (page.nextPageToken() != null) {
      out.println("more: --page-token " + page.nextPageToken());
    }
    if ("scan".equals(page.source())) {
      out.println("(listed by scanning workflows: this Temporal server answers no visibility queries)");
    }
  }

  void message(String text, Object asJson) {
    if (json) {
      json(asJson);
    } else {
      out.println(text);
    }
  }

  void json(Object value) {
    try {
      out.println(SandmanJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  void table(List<String> headers, List<List<String>> rows) {
    int columns = headers != null ? headers.size() : rows.isEmpty() ? 0 : rows.get(0).size();
    int[] widths = new int[columns];
    List<List<String>> all = new ArrayList<>();
    if (headers != null) {
      all.add(headers);
    }
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
      }
      out.println(line.toString().stripTrailing());
    }
    if (headers != null && rows.isEmpty()) {
      out.println("(none)");
    }
  }

  private static String text(Object value) {
    return value == null ? "-" : value.toString();
  }

  private static String until(Instant deadline) {
    Duration left = Duration.between(Instant.now(), deadline);
    return left.isNegative() ? "due" : "in " + left.withNanos(0).toString().substring(2).toLowerCase();
  }

  /** A policy as a person reads it: {@code idle 10m, paused retention 30d, max hold 2h}; unset fields left out. */
  static String policy(dev.sandman.workflows.Policy policy) {
    if (policy == null) {
      return "(operator defaults)";
    }
    List<String> parts = new java.util.ArrayList<>();
    if (policy.idleTimeout() != null) {
      parts.add("idle " + duration(policy.idleTimeout()));
    }
    if (policy.pausedRetention() != null) {
      parts.add("paused retention " + duration(policy.pausedRetention()));
    }
    if (policy.maxLifetime() != null) {
      parts.add("max lifetime " + duration(policy.maxLifetime()));
    }
    if (policy.maxHold() != null) {
      parts.add("max hold " + duration(policy.maxHold()));
    }
    if (policy.busyCpuPercent() != null) {
      parts.add(policy.busyCpuPercent() == 0 ? "busy check off" : "busy at CPU >= " + policy.busyCpuPercent() + "%"
          + (policy.maxBusy() != null ? " for at most " + duration(policy.maxBusy()) : ""));
    } else if (policy.maxBusy() != null) {
      parts.add("max busy " + duration(policy.maxBusy()));
    }
    return parts.isEmpty() ? "(operator defaults)" : String.join(", ", parts);
  }

  /** {@code 30d}, {@code 2h30m}, {@code 45s}: days, hours, minutes and seconds that are not zero. */
  static String duration(Duration d) {
    StringBuilder text = new StringBuilder();
    long days = d.toDays();
    if (days > 0) {
      text.append(days).append('d');
    }
    if (d.toHoursPart() > 0) {
      text.append(d.toHoursPart()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      text.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0 || text.length() == 0) {
      text.append(d.toSecondsPart()).append('s');
    }
    return text.toString();
  }

  /** {@code 1 sandbox}, {@code 2 sandboxes}. */
  static String count(long n, String one, String many) {
    return n + " " + (n == 1 ? one : many);
  }
}
