package dev.sandman.worker;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import dev.sandman.workflows.SandmanJson;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.LoadClientConfigProfileOptions;
import io.temporal.serviceclient.RpcRetryOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Temporal client configured the standard way (temporal-envconfig: TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the TOML file), with
 * Sandman's JSON and SDK metrics into Micrometer. The API key is never logged.
 */
public final class TemporalConnection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TemporalConnection.class);
  /**
   * A call Temporal could not take (a restart, its database away) is tried again at least this often, so
   * it lands within about a second of Temporal's return: a held touch sent a margin before its sandbox's
   * idle deadline must not sleep past it (the SDK's own retries grow to 5 s apart).
   */
  static final Duration RETRY_AT_MOST_EVERY = Duration.ofSeconds(1);

  private final WorkflowServiceStubs service;
  private final WorkflowClient client;
  private final Scope scope;
  private final String description;

  private TemporalConnection(WorkflowServiceStubs service, WorkflowClient client, Scope scope, String description) {
    this.service = service;
    this.client = client;
    this.scope = scope;
    this.description = description;
  }

  public static TemporalConnection connect(Map<String, String> env, MeterRegistry registry) {
    return connect(env, registry, false);
  }

  /**
   * {@code interactive} (a CLI command): a server that cannot be reached is reported after about 3 s,
   * where a long-running process keeps retrying for the SDK's minute.
   */
  public static TemporalConnection connect(Map<String, String> env, MeterRegistry registry, boolean interactive) {
    ClientConfigProfile profile = loadProfile(env);
    Scope scope =
        registry == null
            ? null
            : new RootScopeBuilder()
                .reporter(new MicrometerClientStatsReporter(registry))
                .reportEvery(com.uber.m3.util.Duration.ofSeconds(5));
    WorkflowServiceStubsOptions.Builder stubs =
        WorkflowServiceStubsOptions.newBuilder(profile.toWorkflowServiceStubsOptions());
    if (scope != null) {
      stubs.setMetricsScope(scope);
    }
    RpcRetryOptions.Builder retry = RpcRetryOptions.newBuilder().setMaximumInterval(RETRY_AT_MOST_EVERY);
    if (interactive) {
      retry.setExpiration(Duration.ofSeconds(3));
    }
    stubs.setRpcRetryOptions(retry.validateBuildWithDefaults());
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(stubs.build());
    WorkflowClient client =
        WorkflowClient.newInstance(
            service,
            WorkflowClientOptions.newBuilder(profile.toWorkflowClientOptions())
                .setDataConverter(SandmanJson.dataConverter())
                .build());
    String description = describe(profile);
    log.info("Temporal: {}", description);
    return new TemporalConnection(service, client, scope, description);
  }

  public static ClientConfigProfile loadProfile(Map<String, String> env) {
    try {
      return ClientConfigProfile.load(LoadClientConfigProfileOptions.newBuilder().setEnvOverrides(env).build());
    } catch (IOException | RuntimeException e) {
      throw new Env.ConfigException("cannot read the Temporal client configuration: " + e.getMessage());
    }
  }

  /** Address, namespace and whether TLS / an API key are used; never the key itself. */
  public static String describe(ClientConfigProfile profile) {
    String address = profile.getAddress() == null ? "localhost:7233" : profile.getAddress();
    String namespace = profile.getNamespace() == null ? "default" : profile.getNamespace();
    boolean apiKey = profile.getApiKey() != null && !profile.getApiKey().isEmpty();
    boolean tls = profile.getTls() != null || apiKey;
    return address + " namespace=" + namespace + " tls=" + tls + " apiKey=" + (apiKey ? "<set>" : "<unset>");
  }

  public WorkflowClient client() {
    return client;
  }

  public WorkflowServiceStubs service() {
    return service;
  }

  public Scope metricsScope() {
    return scope;
  }

  public String description() {
    return description;
  }

  @Override
  public void close() {
    service.shutdown();
    if (scope != null) {
      try {
        scope.close();
      } catch (com.uber.m3.tally.ScopeCloseException e) {
        log.debug("metrics scope did not close cleanly", e);
      }
    }
  }
}
