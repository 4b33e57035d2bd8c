package dev.sandman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.workflows.Sandman;
import java.io.FileReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** docker-compose.temporal.yml registers exactly the search attributes the code upserts, pins images, checks health. */
class ComposeFileTest {
  private static final Path COMPOSE = Path.of("../docker-compose.temporal.yml");
  private static final Path TEMPORAL = Path.of("../deploy/temporal");

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> services() throws Exception {
    try (FileReader reader = new FileReader(COMPOSE.toFile())) {
      Map<String, Object> root = new Yaml().load(reader);
      return (Map<String, Map<String, Object>>) root.get("services");
    }
  }

  @Test
  void itRegistersExactlyTheSearchAttributesTheWorkflowUpserts() throws Exception {
    Set<String> registered = new HashSet<>();
    for (String line : Files.readAllLines(TEMPORAL.resolve("search-attributes.txt"))) {
      if (!line.isBlank() && !line.startsWith("#")) {
        String[] nameAndType = line.trim().split("\\s+");
        assertThat(nameAndType[1]).as(nameAndType[0]).isEqualTo("Keyword");
        registered.add(nameAndType[0]);
      }
    }
    Set<String> upserted = Sandman.SEARCH_ATTRIBUTES.stream().map(k -> k.getName()).collect(Collectors.toSet());
    assertThat(registered).isEqualTo(upserted);
    Sandman.SEARCH_ATTRIBUTES.forEach(k -> assertThat(k.getValueType()).isEqualTo(io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD));
  }

  /** One source of truth: the compose file runs the same scripts, settings and versions as the cluster tier. */
  @Test
  void theComposeFileSharesDeployTemporalWithTheClusterTier() throws Exception {
    Map<String, Map<String, Object>> services = services();
    assertThat(services.get("temporal-setup").get("entrypoint")).isEqualTo(List.of("/bin/sh", "/etc/sandman-temporal/setup.sh"));
    assertThat(services.get("temporal-schema").get("entrypoint")).isEqualTo(List.of("/bin/sh", "/etc/sandman-temporal/schema.sh"));
    assertThat(services.get("temporal").get("env_file")).isEqualTo("deploy/temporal/temporal.env");
    String version = Files.readAllLines(TEMPORAL.resolve("versions.env")).stream()
        .filter(l -> l.startsWith("TEMPORAL_SERVER_VERSION=")).findFirst().orElseThrow().split("=")[1];
    for (String name : List.of("temporal", "temporal-schema", "temporal-setup")) {
      assertThat(services.get(name).get("image").toString()).as(name).endsWith(":" + version);
    }
    assertThat(Files.readString(TEMPORAL.resolve("temporal.env"))).contains("DYNAMIC_CONFIG_FILE_PATH=config/dynamicconfig/");
    // scaled out (docker compose up --scale sandman-api=M): no fixed host port on the API
    assertThat(services.get("sandman-api").get("ports").toString()).matches("\\[(127\\.0\\.0\\.1:)?\\d+-\\d+:8080\\]");
  }

  @Test
  void imagesArePinnedAndLongRunningServicesHaveHealthchecks() throws Exception {
    Set<String> oneShot = Set.of("temporal-schema", "temporal-setup");
    Set<String> names = new HashSet<>();
    services().forEach((name, service) -> {
      names.add(name);
      String image = (String) service.get("image");
      assertThat(image).as(name).matches("[a-z0-9./-]+:[0-9][A-Za-z0-9._-]*");
      if (!oneShot.contains(name)) {
        assertThat(service).as(name + " healthcheck").containsKey("healthcheck");
      }
    });
    assertThat(names).contains("postgresql", "temporal", "temporal-ui", "sandman-worker", "sandman-api");
    assertThat(services().get("temporal").get("image").toString()).startsWith("temporalio/server:");
    assertThat(Files.readString(COMPOSE)).doesNotContain("auto-setup");
  }

  @Test
  void sandmanServicesAreConfiguredByTheVariablesTheCodeReads() throws Exception {
    Map<String, Object> worker = services().get("sandman-worker");
    Map<String, Object> api = services().get("sandman-api");
    assertThat(worker.get("command")).isEqualTo(List.of("worker"));
    assertThat(api.get("command")).isEqualTo(List.of("serve"));
    assertThat((Map<String, Object>) environment(worker)).containsKeys("TEMPORAL_ADDRESS", "E2B_API_KEY", "SANDMAN_WORKER_HEALTH_HOST");
    assertThat((Map<String, Object>) environment(api)).containsKeys("TEMPORAL_ADDRESS", "SANDMAN_ADMIN_TOKEN", "SANDMAN_HTTP_HOST");
    assertThat(worker.get("image")).isEqualTo("sandman:0.1.0");
    // docker compose stops with SIGKILL 10 s after SIGTERM unless told otherwise: longer than the drain
    for (Map<String, Object> service : List.of(worker, api)) {
      String grace = String.valueOf(service.get("stop_grace_period"));
      assertThat(grace).matches("\\d+s");
      assertThat(java.time.Duration.ofSeconds(Long.parseLong(grace.replace("s", ""))))
          .isGreaterThan(dev.sandman.worker.SandmanWorker.DRAIN);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> environment(Map<String, Object> service) {
    return (Map<String, Object>) service.get("environment");
  }

  @Test
  @SuppressWarnings("unchecked")
  void onlyTheApiIsPublishedBeyondThisMachine() throws Exception {
    Map<String, String> published = new java.util.TreeMap<>();
    services().forEach((name, service) -> {
      for (Object port : (List<Object>) service.getOrDefault("ports", List.of())) {
        published.put(name + " " + port, port.toString());
      }
    });
    published.forEach((where, port) -> {
      if (!where.startsWith("sandman-api ")) {
        assertThat(port).as(where + ": Temporal, its UI and metrics are admin access").startsWith("127.0.0.1:");
      }
    });
    assertThat(published.keySet()).anyMatch(where -> where.startsWith("sandman-api "));
  }
}
