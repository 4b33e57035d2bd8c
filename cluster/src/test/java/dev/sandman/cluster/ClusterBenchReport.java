package dev.sandman.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** bench/results/cluster.md and the cluster_ keys of summary.json (target/ unless asked to refresh them). */
final class ClusterBenchReport {
  private ClusterBenchReport() {}

  static void write(Cluster cluster, List<ClusterBenchTest.Rate> rates, List<ClusterBenchTest.Lateness> lateness, List<String> heaps, double pgPerThousand,
                    Map<String, ProcessUsage> before, Map<String, ProcessUsage> afterTracks, int open) throws Exception {
    boolean refresh = Boolean.getBoolean("sandman.refreshDocs");
    Path results = refresh ? Path.of("../bench/results") : Path.of("target");
    StringBuilder md = new StringBuilder("# Benchmarks on a Temporal cluster\n\n");
    md.append("`scripts/cluster.sh --bench").append(refresh ? " --refresh-docs" : "").append("` on ")
        .append(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).append(": Temporal's server ")
        .append(cluster.settings.serverDir().getFileName()).append(" on PostgreSQL ").append(cluster.postgres.sql("show server_version").trim())
        .append(" (fsync on), the compose file's settings (").append(cluster.temporal.settings().get("NUM_HISTORY_SHARDS"))
        .append(" history shards), 3 `sandman worker` + 2 `sandman serve` (`").append(cluster.settings.javaOptions())
        .append("`), the E2B simulator; ").append(ClusterBenchTest.THREADS).append(" concurrent clients; 2 cores, one machine (everything shares them).\n\n");
    md.append("| what | count | per second | p50 | p99 |\n|---|---:|---:|---:|---:|\n");
    for (ClusterBenchTest.Rate r : rates) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f ms | %.0f ms |\n", r.what(), r.count(), r.perSecond(), r.p50Millis(), r.p99Millis()));
    }
    md.append("\n**Deadline to pause** (").append(ClusterBenchTest.PROBES).append(" new sandboxes, idle timeout ").append(ClusterBenchTest.PROBE_IDLE.toSeconds())
        .append(" s, while ").append(ClusterBenchTest.SIGNALS_PER_SECOND_DURING_PROBE).append(" activity signals/s go to the open ones):\n\n");
    md.append("| open sandboxes | p50 | p99 | max |\n|---:|---:|---:|---:|\n");
    for (ClusterBenchTest.Lateness l : lateness) {
      md.append(String.format(Locale.ROOT, "| %d | %.2f s | %.2f s | %.2f s |\n", l.open(), l.p50(), l.p99(), l.max()));
    }
    md.append("\n**Memory and storage** at ").append(open).append(" open sandboxes: workers ").append(String.join("; ", heaps))
        .append(". PostgreSQL (Temporal's two databases) grew ").append(String.format(Locale.ROOT, "%.1f", pgPerThousand))
        .append(" MB per 1,000 tracked sandboxes.\n\n");
    md.append("**CPU and writes per 1,000 tracks** (the first ").append(ClusterBenchTest.BATCH).append("):\n\n| process | CPU seconds | MB written |\n|---|---:|---:|\n");
    for (String group : List.of("temporal", "postgres", "workers", "apis")) {
      ProcessUsage used = afterTracks.get(group).minus(before.get(group));
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f |\n", group, used.cpuSeconds() * 1000 / ClusterBenchTest.BATCH, used.writeBytes() / 1e6 * 1000 / ClusterBenchTest.BATCH));
    }
    Files.createDirectories(results);
    Files.writeString(results.resolve("cluster.md"), md.toString());
    System.out.println(md);
    Path summaryPath = results.resolve("summary.json");
    ObjectMapper json = new ObjectMapper();
    ObjectNode summary = Files.exists(summaryPath) ? (ObjectNode) json.readTree(summaryPath.toFile()) : json.createObjectNode();
    summary.put("cluster_date", Instant.now().toString());
    summary.put("cluster_floor_starts_per_second", Math.round(rates.get(0).perSecond()));
    summary.put("cluster_floor_signals_per_second", Math.round(rates.get(1).perSecond()));
    summary.put("cluster_tracks_per_second", Math.round(rates.get(2).perSecond()));
    summary.put("cluster_touches_per_second", Math.round(rates.get(3).perSecond()));
    summary.put("cluster_signals_per_second", Math.round(rates.get(4).perSecond()));
    summary.put("cluster_status_reads_per_second", Math.round(rates.get(5).perSecond()));
    summary.put("cluster_tracks_per_second_at_" + open, Math.round(rates.get(rates.size() - 1).perSecond())); // warm JVMs
    for (ClusterBenchTest.Lateness l : lateness) {
      summary.put("cluster_deadline_to_pause_p50_seconds_at_" + l.open(), l.p50());
      summary.put("cluster_deadline_to_pause_p99_seconds_at_" + l.open(), l.p99());
    }
    summary.put("cluster_pg_mb_per_1000_sandboxes", Math.round(pgPerThousand * 10) / 10.0);
    summary.put("cluster_worker_heap_at_" + open, String.join("; ", heaps));
    json.writerWithDefaultPrettyPrinter().writeValue(summaryPath.toFile(), summary);
  }
}
