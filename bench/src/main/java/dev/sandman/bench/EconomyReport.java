package dev.sandman.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.Sandman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Part 1b of the benchmarks: the economy run (Actions per active hour, per idle cycle, per read), written as a table. */
final class EconomyReport {
  private EconomyReport() {}

  static void write(Path out, String command, String machine, int sandboxes, long seed, int shardSize, int parallel,
      int hours, int readEvery, ObjectNode summary) throws Exception {
    EconomyBench.Setting before = EconomyBench.Setting.BEFORE;
    EconomyBench.Setting after = EconomyBench.Setting.AFTER;
    Duration tenMinutes = Policy.DEFAULT_IDLE_TIMEOUT;
    System.out.println("economy: continuous activity ...");
    List<EconomyBench.Continuous> continuous = new ArrayList<>();
    continuous.add(EconomyBench.continuous("before: 1 s window, 10 min idle, 1 touch/s", before, tenMinutes, 1, 1, hours));
    continuous.add(EconomyBench.continuous("before: 1 s window, 10 min idle, 100 touches/s", before, tenMinutes, 100, 1, hours));
    continuous.add(EconomyBench.continuous("after: 10 min idle, 1 touch/s", after, tenMinutes, 1, 1, hours));
    continuous.add(EconomyBench.continuous("after: 10 min idle, 100 touches/s", after, tenMinutes, 100, 1, hours));
    continuous.add(EconomyBench.continuous("after: 10 min idle, 100 touches/s through 3 API replicas", after, tenMinutes, 100, 3, hours));
    continuous.add(EconomyBench.continuous("after: 1 min idle, 1 touch/s", after, Duration.ofMinutes(1), 1, 1, hours));
    continuous.add(EconomyBench.continuous("after: 60 min idle, 1 touch/s", after, Duration.ofMinutes(60), 1, 1, Math.max(hours, 3)));
    System.out.println("economy: idle cycle ...");
    EconomyBench.Spend cycleBefore = EconomyBench.idleCycle(before);
    EconomyBench.Spend cycle = EconomyBench.idleCycle(after);

    Trace trace = Trace.generate(seed, sandboxes);
    System.out.printf("economy: trace of %d sandboxes, %d user actions; the cron ...%n", sandboxes, trace.events.size());
    CostBench.Result cron = CostBench.measure(trace, CostBench.runBaseline(trace));
    EconomyBench.TraceRun traceBefore = EconomyBench.trace(trace, before, readEvery, shardSize, parallel);
    CostBench.Result precisionBefore = CostBench.measure(trace, traceBefore.run());
    EconomyBench.TraceRun traceAfter = EconomyBench.trace(trace, after, readEvery, shardSize, parallel);
    CostBench.Result precisionAfter = CostBench.measure(trace, traceAfter.run());

    double per1000 = 1000.0 / sandboxes;
    double costBefore = traceBefore.spend().total() * EconomyBench.DOLLARS_PER_ACTION * per1000;
    double costAfter = traceAfter.spend().total() * EconomyBench.DOLLARS_PER_ACTION * per1000;
    double cronWaste = cron.wasteDollars() * per1000;
    EconomyBench.Continuous active = continuous.get(2);

    StringBuilder md = new StringBuilder();
    md.append("# Economy: what Sandman costs Temporal, in Actions and dollars\n\n")
        .append(BenchMain.provenance(command, machine))
        .append("Counted by Temporal Cloud's rules ($50 per million Actions at list price): every start (continue-as-new included),\n")
        .append("signal, timer started, activity scheduled or retried, search-attribute upsert, update, signal sent by a workflow\n")
        .append("and workflow task with local activities, read from every recorded history (all runs of every workflow), plus the\n")
        .append("queries the client sent. Memo changes are not billed. The app is driven through the Java client on the test\n")
        .append("server's clock: a touch per user action and a status read every ").append(readEvery).append(" s per open session.\n")
        .append("Before: the client as it was (one signal per 1 s window, status by query); after: touches held until due and\n")
        .append("status read from the workflow's memo. Both run the current workflow; the workflow's own savings (no upsert\n")
        .append("for PAUSING/RESUMING or at start, a backstop refreshed about hourly without a timer of its own) are in both.\n\n")
        .append("## Continuous activity (one sandbox, ").append(hours).append(" h; status read every 5 s)\n\n")
        .append("| scenario | Actions per hour | by kind (whole run, after tracking) | history events per hour | touches | status reads (Actions) |\n")
        .append("|---|---|---|---|---|---|\n");
    for (EconomyBench.Continuous c : continuous) {
      md.append(String.format("| %s | **%.1f** | %s | %.0f | %,d | %,d (%d) |%n", c.label(), c.actionsPerHour(), c.spend().actions(),
          c.eventsPerHour(), c.spend().touches(), c.spend().reads(), c.spend().readActions()));
    }
    md.append(String.format("%nTracking a sandbox (counted apart above): %d Actions, %s.%n", continuous.get(2).tracking().total(),
        continuous.get(2).tracking().actions()));
    md.append("\n## One idle cycle (idle timeout passes, the sandbox pauses, a touch resumes it)\n\n")
        .append("| setting | Actions | by kind | history events |\n|---|---|---|---|\n")
        .append(String.format("| %s | %d | %s | %d |%n", before.name(), cycleBefore.total(), cycleBefore.actions(), cycleBefore.historyEvents()))
        .append(String.format("| %s | **%d** | %s | %d |%n", after.name(), cycle.total(), cycle.actions(), cycle.historyEvents()))
        .append(String.format("%n## The cost benchmark's trace: %d sandboxes, %,d user actions, 24 h (seed %d)%n%n", sandboxes, trace.events.size(), seed))
        .append("| | polling cron (5 min) | Sandman before | Sandman after |\n|---|---|---|---|\n")
        .append(String.format("| sandbox-minutes running past the idle deadline | %.1f | %.1f | %.1f |%n", cron.wasteMinutes(), precisionBefore.wasteMinutes(), precisionAfter.wasteMinutes()))
        .append(String.format("| waste ratio against the cron | 1 | %s | **%s** |%n", BenchMain.ratio(precisionBefore.wasteMinutes() / cron.wasteMinutes()), BenchMain.ratio(precisionAfter.wasteMinutes() / cron.wasteMinutes())))
        .append(String.format("| sandboxes paused while their user was active | %d | %d | **%d** |%n", cron.pausedWhileActive(), precisionBefore.pausedWhileActive(), precisionAfter.pausedWhileActive()))
        .append(String.format("| pause lateness p50 / p99 / max (s) | %.1f / %.1f / %.1f | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f |%n",
            cron.latenessP50(), cron.latenessP99(), cron.latenessMax(), precisionBefore.latenessP50(), precisionBefore.latenessP99(),
            precisionBefore.latenessMax(), precisionAfter.latenessP50(), precisionAfter.latenessP99(), precisionAfter.latenessMax()))
        .append(String.format("| touches sent by the app | - | %,d | %,d |%n", traceBefore.spend().touches(), traceAfter.spend().touches()))
        .append(String.format("| status reads (their Actions) | - | %,d (%,d) | %,d (%,d) |%n", traceBefore.spend().reads(), traceBefore.spend().readActions(),
            traceAfter.spend().reads(), traceAfter.spend().readActions()))
        .append(String.format("| Temporal Actions, by kind | - | %s | %s |%n", traceBefore.spend().actions(), traceAfter.spend().actions()))
        .append(String.format("| Temporal Actions in all | - | %,d | **%,d** |%n", traceBefore.spend().total(), traceAfter.spend().total()))
        .append(String.format("| history events | - | %,d | %,d |%n", traceBefore.spend().historyEvents(), traceAfter.spend().historyEvents()))
        .append(String.format("| per 1,000 sandbox-days at list price | $%.2f of waste | $%.2f | **$%.2f** |%n", cronWaste, costBefore, costAfter))
        .append(String.format("| orchestration cost / the cron's waste | - | %.3f | **%.4f** |%n", costBefore / cronWaste, costAfter / cronWaste))
        .append(String.format("| wall time of the replay | %.0f s | %.0f s | %.0f s |%n", cron.wallSeconds(), traceBefore.spend().wallSeconds(), traceAfter.spend().wallSeconds()))
        .append("\nWhere the Actions go after: per sandbox-hour of continuous activity, one signal and one timer per idle span\n")
        .append("(the client sends the newest touch 30 s before the workflow needs it; the timer fires at the deadline it set)\n")
        .append("and about one backstop refresh an hour; per idle cycle, the timer, the pause, the PAUSED upsert, the retention\n")
        .append("timer, the waking signal, the connect and the RUNNING upsert; per sandbox tracked, its start, one workflow task\n")
        .append("of local activities (the operator's config and the project's layer, read from the project's memo: nothing is sent\n")
        .append("to the project), the first E2B describe and the first idle timer. Status reads cost nothing: they describe the\n")
        .append("workflow and read the status it publishes in its memo.\n\n")
        .append("Why not lower: the floor of a push design is one signal and one timer per idle-timeout span of activity and,\n")
        .append("per pause and resume, the idle timer, the pause call, the waking signal and the connect. On this trace a sandbox\n")
        .append("runs about 7 hours a day (about 44 spans) and pauses about 6 times: about 110 Actions per sandbox-day at the\n")
        .append("floor, $5.50 per 1,000 sandbox-days, a fifth of what the cron wastes here. A ratio of 0.02 is out of reach for\n")
        .append("any design that pauses and resumes through Temporal at list price; it would take E2B's own auto-pause as the\n")
        .append("pause (its timeout kept at the idle deadline) with Temporal reconciling from E2B's events.\n");
    Files.writeString(out.resolve("economy.md"), md.toString());
    System.out.println(md);
    summary.put("actions_per_active_hour", round1(active.actionsPerHour()));
    summary.put("actions_per_active_hour_before", round1(continuous.get(0).actionsPerHour()));
    summary.put("actions_per_idle_cycle", cycle.total());
    summary.put("actions_per_track", active.tracking().total());
    summary.put("status_read_actions", traceAfter.spend().readActions() + continuous.stream().skip(2).mapToLong(c -> c.spend().readActions()).sum());
    summary.put("history_events_per_active_hour", Math.round(active.eventsPerHour()));
    summary.put("temporal_cost_per_1000_sandbox_days", Math.round(costAfter * 100) / 100.0);
    summary.put("temporal_cost_per_1000_sandbox_days_before", Math.round(costBefore * 100) / 100.0);
    summary.put("orchestration_cost_ratio", Math.round(costAfter / cronWaste * 10_000) / 10_000.0);
    summary.put("economy_waste_ratio", precisionAfter.wasteMinutes() / cron.wasteMinutes());
    summary.put("economy_paused_while_active", precisionAfter.pausedWhileActive());
  }

  private static double round1(double value) {
    return Math.round(value * 10) / 10.0;
  }
}
