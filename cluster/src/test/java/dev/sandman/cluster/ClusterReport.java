package dev.sandman.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/** docs/cluster.md: the scenario table, written by the tier itself (target/ unless asked to refresh the committed copy). */
final class ClusterReport {
  private ClusterReport() {}

  static Path write(List<Outcome> outcomes, Cluster cluster, int sandboxes, Duration idle, boolean upgraded,
                    java.util.Set<String> used, java.util.Set<String> missing) throws IOException {
    boolean refresh = Boolean.getBoolean("sandman.refreshDocs");
    Path out = refresh ? Path.of("../docs/cluster.md") : Path.of("target/cluster.md");
    StringBuilder md = new StringBuilder();
    md.append("# Sandman on a Temporal cluster: faults\n\n");
    md.append("Written by the cluster tier (`scripts/cluster.sh").append(sandboxes >= 1000 ? " --full" : "")
        .append("`, refreshed with `--refresh-docs`) on ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
        .append(". Do not edit by hand.\n\n");
    md.append("**Set-up.** Temporal's server ").append(cluster.settings.serverDir().getFileName())
        .append(" built from its Go module, on Debian's PostgreSQL (")
        .append(cluster.postgres.sql("show server_version").trim()).append(", fsync on), with the compose file's settings")
        .append(" (`deploy/temporal/`: ").append(cluster.temporal.settings().get("NUM_HISTORY_SHARDS"))
        .append(" history shards, SQL visibility, Sandman's four search attributes); ")
        .append(cluster.workers.size()).append(" `sandman worker` and ").append(cluster.apis.size())
        .append(" `sandman serve` processes (`").append(cluster.settings.javaOptions()).append("`), the E2B simulator over HTTP")
        .append(" (a pause takes 1 s). The app reaches the API replicas in turn and retries a request a replica does not answer")
        .append(" on the next one, as a load balancer does, and tries a track neither answers again (up to ").append(Fleet.TRACK_RETRIES)
        .append(" times, as an app does on a 5xx: a track is idempotent). 2 cores, one machine.\n\n");
    md.append("**Each scenario** tracks ").append(sandboxes).append(" new sandboxes (idle timeout ").append(idle.toSeconds())
        .append(" s): a fifth stay active (touched every ").append(idle.toSeconds() / 5).append(" s), a fifth go idle and their user")
        .append(" comes back 2 s after the pause (a touch resumes it; it idles and is paused again), the rest go idle.")
        .append(" The fault starts as the first idle pauses come due; the scenario ends when every idle pause is done.\n\n");
    md.append("- **lost**: a sandbox Sandman no longer knows, or whose state still differs from E2B's ")
        .append(ClusterTierTest.AGREE_WITHIN.toMinutes()).append(" minutes after the last idle pause (or a track that failed every try)\n");
    md.append("- **double**: E2B paused a paused sandbox or resumed a running one (its own record; a repeat that changed nothing,")
        .append(" refused or a connect that found the sandbox running, is not counted)\n");
    md.append("- **active paused**: a pause asked of E2B less than an idle timeout after a touch the API accepted")
        .append(" (sent, for the strictest reading), except a touch a replica killed with -9 may have been holding:")
        .append(" the contract lets a dead process lose the events it holds, so that pause is counted below the table\n");
    md.append("- **lateness**: the pause asked of E2B minus the sandbox's idle deadline, for the pauses due from the fault's start")
        .append(" to 30 s after its end (**pauses due in fault**)\n");
    md.append("- **recovered**: from the fault's end until the last pause more than 5 s late (0: none was)\n\n");
    md.append("| scenario | sandboxes | lost | double pauses / resumes | active paused | pauses due in fault | lateness p50 / p99 / max | fault took | recovered | requests failed over / failed |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Outcome o : outcomes) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d / %d | %d | %d | %.2f / %.2f / %.2f s | %.1f s | %.1f s | %d / %d |\n",
          o.scenario(), o.sandboxes(), o.lost(), o.doublePauses(), o.doubleResumes(), o.activePaused(), o.duringFault(),
          o.p50(), o.p99(), o.max(), o.faultSeconds(), o.recoverySeconds(), o.touchesFailedOver(), o.requestsFailed()));
    }
    for (Outcome o : outcomes) {
      if (o.pausedEarlyByKill() > 0) {
        md.append(String.format(Locale.ROOT, "\n**Touches lost with a killed replica** (%s): %d sandboxes whose user's last touch"
            + " went to the replica less than an idle timeout before its kill -9 and stopped there were paused early, by at most"
            + " %.1f s, and none before an idle timeout after the touch before it (docs/contract.md: a process that dies loses"
            + " the events it holds; SIGTERM sends them).\n", o.scenario(), o.pausedEarlyByKill(), o.mostEarlyByKill()));
      }
      if (o.resumesRepeated() > 0) {
        md.append(String.format(Locale.ROOT, "\n**Resumes repeated** (%s): %d connects found the sandbox already running"
            + " (E2B answered 200 and changed nothing): a resume activity retried after its worker died having resumed"
            + " the sandbox, at least once as Temporal runs activities.\n", o.scenario(), o.resumesRepeated()));
      }
    }
    md.append("\n**Observability.** The dashboard and the alert rules in `deploy/observability/` use ").append(used.size())
        .append(" metric names; after the scenarios, the workers, the API replicas and Temporal's server exported ")
        .append(missing.isEmpty() ? "all of them" : "all but " + missing).append(".\n");
    if (!upgraded) {
      md.append("\nThe rolling upgrade did not run: no older build was given (SANDMAN_CLUSTER_OLD_JAR).\n");
    }
    for (Outcome o : outcomes) {
      if (!o.problems().isEmpty()) {
        md.append("\n**").append(o.scenario()).append("**: ").append(String.join("; ", o.problems())).append('\n');
      }
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md.toString());
    return out;
  }
}
