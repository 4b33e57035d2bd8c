package dev.sandman.cli;

import dev.sandman.devserver.RealTemporalServer;
import dev.sandman.worker.Env;
import dev.sandman.workflows.Policy;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dev", description = "Run Sandman on its embedded default: Temporal's test server, the E2B simulator"
    + " (real E2B when E2B_API_KEY is set), a worker and the HTTP API, in one process. Ctrl-C stops everything.")
final class DevCommand implements Callable<Integer> {
  /** Where {@link Logging} sent dev mode's logs, for the banner. */
  static final String LOG_FILE_PROPERTY = "sandman.dev.log";

  private final Env env;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1") String host;
  @Option(names = "--temporal-port", paramLabel = "PORT", defaultValue = "7233") int temporalPort;
  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080") int httpPort;
  @Option(names = "--e2b-port", defaultValue = "3000") int e2bPort;
  @Option(names = "--idle-timeout", paramLabel = "DURATION", description = "default idle timeout of tracked sandboxes, e.g. PT20S") String idleTimeout;
  @Option(names = "--paused-retention", paramLabel = "DURATION", description = "default paused retention, e.g. PT2M") String retention;
  @Option(names = "--max-lifetime", paramLabel = "DURATION", description = "default max lifetime") String lifetime;
  @Option(names = "--real-temporal", description = "run the real Temporal server (SQLite, UI) built by scripts/install-temporal.sh")
  boolean realTemporal;
  @Option(names = "--ui-port", paramLabel = "PORT", defaultValue = "8233", description = "Temporal UI port with --real-temporal") int uiPort;
  @Option(names = "--demo", description = "drive a few simulated sandboxes through pause, resume and a retention kill") boolean demo;

  DevCommand(Env env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    Policy defaults = new Policy(
        SandmanCli.duration("--idle-timeout", idleTimeout),
        SandmanCli.duration("--paused-retention", retention),
        SandmanCli.duration("--max-lifetime", lifetime));
    defaults = Policy.orNull(defaults);
    if (defaults != null) {
      List<Policy.FieldError> errors = defaults.validateLayer();
      if (!errors.isEmpty()) {
        throw dev.sandman.starter.SandmanException.invalid(errors.get(0).field(), errors.get(0).message());
      }
    }
    String admin = env.get("SANDMAN_ADMIN_TOKEN", null);
    String app = env.get("SANDMAN_APP_TOKEN", null);
    ServeCommand.checkTokens(admin, app);
    boolean generated = admin == null && app == null;
    if (generated) {
      admin = "sandman-admin-" + randomToken();
      app = "sandman-app-" + randomToken();
    }
    java.nio.file.Path binary = null;
    if (realTemporal) {
      binary = RealTemporalServer.find(env.asMap()).orElseThrow(() -> new Env.ConfigException(
          "--real-temporal: the Temporal CLI is not installed; run scripts/install-temporal.sh (builds it with Go) "
              + "or set SANDMAN_TEMPORAL_BIN"));
    }
    DevStack stack = DevStack.start(env, new DevStack.Settings(host, temporalPort, httpPort, e2bPort, defaults, admin, app,
        binary, uiPort));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nsandman dev: stopping");
      stack.close();
      stopped.countDown();
    }, "sandman-dev-shutdown"));
    printBanner(stack, generated);
    if (demo) {
      new DevDemo(stack, System.out).run();
    }
    stopped.await();
    return 0;
  }

  private void printBanner(DevStack stack, boolean generated) {
    String http = stack.httpUrl();
    String e2b = stack.sim != null ? stack.sim.url() : stack.e2b.baseUrl();
    Policy shown = Policy.stack(stack.settings.defaults());
    System.out.println();
    System.out.println("Sandman dev mode is running.");
    System.out.println();
    System.out.printf("  Temporal                %s   namespace default   any Temporal client: TEMPORAL_ADDRESS=%s%n",
        stack.temporalAddress(), stack.temporalAddress());
    System.out.printf("                          (%s)%n", stack.temporal.description());
    System.out.printf("  E2B                     %s%s%n", e2b, stack.sim != null ? "   (simulator; set E2B_API_KEY for real E2B)" : "   (real E2B)");
    System.out.printf("  HTTP API                %s   spec %s/openapi.json   metrics %s/metrics%n", http, http, http);
    System.out.printf("  console                 %s/   (sign in with the admin token below)%n", http);
    System.out.printf("  admin token             %s%s%n", stack.settings.adminToken() == null ? "(none)" : stack.settings.adminToken(),
        generated ? "   (generated; set SANDMAN_ADMIN_TOKEN to choose)" : "");
    System.out.printf("  app token               %s   (send X-Sandman-User: <userId> with it)%n",
        stack.settings.appToken() == null ? "(none)" : stack.settings.appToken());
    System.out.printf("  policy defaults         idle %s, paused retention %s%s%n",
        Output.duration(shown.idleTimeout()), Output.duration(shown.pausedRetention()),
        shown.maxLifetime() != null ? ", max lifetime " + Output.duration(shown.maxLifetime()) : "");
    System.out.println();
    System.out.println("Try it (copy and paste):");
    System.out.printf("  export TOKEN=%s%n", stack.settings.adminToken());
    String json = "-H 'Content-Type: application/json'";
    if (stack.sim != null) {
      System.out.printf("  SB=$(curl -s -X POST %s/sandboxes -H 'X-API-Key: %s' %s \\%n"
          + "       -d '{\"templateID\":\"base\",\"timeout\":600,\"autoPause\":true}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sandboxID\"])')%n",
          e2b, DevStack.SIMULATOR_KEY, json);
      System.out.printf("  curl -s -X POST %s/v1/sandboxes -H \"Authorization: Bearer $TOKEN\" %s -d \"{\\\"sandboxId\\\":\\\"$SB\\\",\\\"projectId\\\":\\\"demo\\\",\\\"userId\\\":\\\"me\\\"}\"%n", http, json);
    } else {
      System.out.printf("  SB=$(curl -s -X POST %s/v1/sandboxes -H \"Authorization: Bearer $TOKEN\" %s -d '{\"projectId\":\"demo\",\"userId\":\"me\",\"template\":\"base\"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sandboxId\"])')%n", http, json);
    }
    System.out.printf("  curl -s %s/v1/sandboxes/$SB -H \"Authorization: Bearer $TOKEN\"%n", http);
    System.out.printf("  curl -s -X POST %s/v1/sandboxes/$SB/activity -H \"Authorization: Bearer $TOKEN\"%n", http);
    System.out.printf("  curl -sN %s/v1/sandboxes/$SB/events -H \"Authorization: Bearer $TOKEN\"    (live; Ctrl-C ends it)%n", http);
    System.out.printf("  ./sandman list --project demo    (the CLI finds this dev stack by itself)%n");
    System.out.println();
    String logFile = System.getProperty(LOG_FILE_PROPERTY);
    System.out.println("Logs: " + (logFile != null ? logFile : "stderr") + ". Ctrl-C stops everything.");
    System.out.flush();
  }

  private static String randomToken() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
