package dev.sandman.cluster;

import java.nio.file.Path;

/** Where the tier's parts are, as scripts/cluster.sh passes them. */
final class ClusterSettings {
  private ClusterSettings() {}

  static Cluster.Settings fromEnvironment(String name, long pauseMillisPerGiB) {
    return new Cluster.Settings(required("SANDMAN_CLUSTER_SERVER_DIR"), required("SANDMAN_CLUSTER_TEMPORAL_CLI"),
        required("SANDMAN_CLUSTER_PG_BIN"), required("SANDMAN_CLUSTER_JAR"), Path.of("../deploy/temporal").toAbsolutePath(),
        Path.of("target", "cluster-" + name).toAbsolutePath(), 3, 2, pauseMillisPerGiB,
        System.getenv().getOrDefault("SANDMAN_CLUSTER_JAVA_OPTS", "-Xmx768m -XX:+UseG1GC"));
  }

  /** A build from before the newest getVersion-gated workflow change, for the rolling upgrade. */
  static Path oldJar() {
    String path = System.getenv("SANDMAN_CLUSTER_OLD_JAR");
    return path == null || path.isBlank() ? null : Path.of(path);
  }

  static String oldBuildName() {
    return System.getenv().getOrDefault("SANDMAN_CLUSTER_OLD_NAME", "an older build");
  }

  private static Path required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(name + " is not set: run scripts/cluster.sh");
    }
    return Path.of(value);
  }
}
