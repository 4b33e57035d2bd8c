package dev.sandman.cli;

import dev.sandman.http.HttpApi;
import dev.sandman.worker.Env;
import dev.sandman.worker.SandmanWorker;
import dev.sandman.worker.WorkerConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", description = "Run the HTTP API against the Temporal in TEMPORAL_ADDRESS (with --with-worker, a worker too).")
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);
  static final int MIN_TOKEN_LENGTH = 16;

  private final Env env;

  @Option(names = "--host", paramLabel = "HOST", description = "default SANDMAN_HTTP_HOST or 127.0.0.1") String host;
  @Option(names = "--port", paramLabel = "PORT", description = "default SANDMAN_HTTP_PORT or 8080") Integer port;
  @Option(names = "--with-worker", description = "also run a worker in this process") boolean withWorker;

  ServeCommand(Env env) {
    this.env = env;
  }

  /** Tokens from the environment; refuses to serve without one, or with a short one. */
  static HttpApi.Config httpConfig(Env env, String host, Integer port) {
    String admin = env.get("SANDMAN_ADMIN_TOKEN", null);
    String app = env.get("SANDMAN_APP_TOKEN", null);
    if (admin == null && app == null) {
      throw new Env.ConfigException("set SANDMAN_ADMIN_TOKEN and/or SANDMAN_APP_TOKEN: the HTTP API accepts no anonymous calls");
    }
    checkTokens(admin, app);
    return browsers(env, new HttpApi.Config(
        host != null ? host : env.get("SANDMAN_HTTP_HOST", "127.0.0.1"),
        port != null ? port : env.getInt("SANDMAN_HTTP_PORT", 8080, 0, 65535),
        admin, app,
        env.getInt("SANDMAN_MAX_BODY_BYTES", HttpApi.Config.DEFAULT_MAX_BODY, 1024, 16 * 1024 * 1024)), null, List.of());
  }

  /**
   * Browser tokens and CORS from {@code SANDMAN_BROWSER_TOKEN_SECRET} (comma-separated: the first signs,
   * all verify) and {@code SANDMAN_CORS_ORIGINS} (comma-separated origins), else the given defaults.
   */
  static HttpApi.Config browsers(Env env, HttpApi.Config config, String defaultSecret, List<String> defaultOrigins) {
    List<String> secrets = list(env.get("SANDMAN_BROWSER_TOKEN_SECRET", defaultSecret));
    for (String secret : secrets) {
      if (secret.length() < dev.sandman.http.BrowserTokens.MIN_SECRET_LENGTH) {
        throw new Env.ConfigException("SANDMAN_BROWSER_TOKEN_SECRET: each secret must be at least "
            + dev.sandman.http.BrowserTokens.MIN_SECRET_LENGTH + " characters");
      }
    }
    String originsText = env.get("SANDMAN_CORS_ORIGINS", null);
    List<String> origins = originsText == null ? defaultOrigins : list(originsText);
    for (String origin : origins) {
      if (!origin.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
        throw new Env.ConfigException("SANDMAN_CORS_ORIGINS: '" + origin + "' is not an origin (scheme://host[:port], no path)");
      }
    }
    return config.withBrowsers(secrets, origins).withE2bWebhooks(list(env.get("SANDMAN_E2B_WEBHOOK_SECRET", null)));
  }

  private static List<String> list(String text) {
    return text == null ? List.of() : java.util.Arrays.stream(text.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
  }

  /** The one rule for API tokens, in serve and dev mode alike: a token that is set has 16+ characters. */
  static void checkTokens(String admin, String app) {
    for (String[] token : new String[][] {{"SANDMAN_ADMIN_TOKEN", admin}, {"SANDMAN_APP_TOKEN", app}}) {
      if (token[1] != null && token[1].length() < MIN_TOKEN_LENGTH) {
        throw new Env.ConfigException(token[0] + " must be at least " + MIN_TOKEN_LENGTH + " characters");
      }
    }
  }

  @Override
  public Integer call() throws Exception {
    HttpApi.Config config = httpConfig(env, host, port);
    PrometheusMeterRegistry registry = dev.sandman.worker.Metrics.newRegistry();
    Connection connection = Connection.temporal(env, registry, false);
    SandmanWorker worker = withWorker
        ? SandmanWorker.start(connection.temporalConnection().client(), WorkerConfig.fromEnv(env), registry) : null;
    HttpApi api = HttpApi.start(connection.sandmanClient(), config, registry);
    System.out.println("Sandman HTTP API on http://" + config.host() + ":" + api.port() + " (Temporal " + connection.temporalConnection().description() + ")");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping");
      api.close();
      if (worker != null) {
        worker.shutdown(Duration.ofSeconds(30));
      }
      connection.close();
      stopped.countDown();
    }, "sandman-shutdown"));
    stopped.await();
    return 0;
  }
}
