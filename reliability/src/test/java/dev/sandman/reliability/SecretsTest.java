package dev.sandman.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sandman.e2bsim.Fault;
import dev.sandman.reliability.Matrix.Outcome;
import dev.sandman.http.ApiHarness;
import dev.sandman.worker.SandmanTestEnv;
import dev.sandman.worker.TemporalConnection;
import dev.sandman.workflows.ActivitySignal;
import dev.sandman.workflows.ChangeRequest;
import dev.sandman.workflows.SandboxWorkflow;
import dev.sandman.workflows.SandmanJson;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The E2B and Temporal keys go where they must (the wire) and nowhere else: logs, histories, answers. */
class SecretsTest {
  static final String TEMPORAL_KEY = "tmprl_secret_api_key_for_tests_4242";

  @Test
  void theE2bKeyNeverLeavesTheE2bRequest() throws Exception {
    Matrix.check("Secrets", "E2B API key through a whole life with E2B errors", "401/403/500 from E2B, resets",
        "key absent from every log line, history, query result, HTTP answer and error", () -> {
      ListAppender<ILoggingEvent> logs = capture();
      List<String> seen = new ArrayList<>();
      try (ApiHarness h = new ApiHarness()) {
        SandmanTestEnv t = h.t;
        String id = t.newSandbox();
        seen.add(h.admin("POST", "/v1/sandboxes", h.trackBody(id, "p1", "u1")).raw());
        SandboxWorkflow workflow = t.workflow(id);
        t.sim.inject(Fault.status("pause", 401, 1));
        t.sleep(Duration.ofMinutes(10));
        t.awaitState(id, s -> s.lastError() != null, Duration.ofSeconds(1), 30);
        seen.add(h.admin("GET", "/v1/sandboxes/" + id, null).raw());
        t.sim.inject(Fault.status("connect", 500, 2));
        t.sim.inject(Fault.reset("connect", 1));
        workflow.pause(ChangeRequest.none());
        workflow.activity(ActivitySignal.now());
        t.awaitState(id, s -> s.state() == dev.sandman.workflows.SandboxState.RUNNING, Duration.ofSeconds(1), 60);
        seen.add(h.admin("POST", "/v1/sandboxes", "{\"template\":\"base\",\"projectId\":\"p1\",\"userId\":\"u1\"}").raw());
        seen.add(h.admin("DELETE", "/v1/sandboxes/" + id, null).raw());
        seen.add(h.admin("GET", "/v1/sandboxes?projectId=p1", null).raw());
        seen.add(SandmanJson.mapper().writeValueAsString(t.status(id)));
        seen.add(t.history(id).toJson(true));
        seen.add(h.call("GET", "/metrics", null).raw());
      } catch (Exception e) {
        throw new AssertionError(e);
      } finally {
        release(logs);
      }
      String logText = logs.list.stream().map(SecretsTest::render).collect(Collectors.joining("\n"));
      assertThat(logText).isNotEmpty().doesNotContain(SandmanTestEnv.E2B_KEY);
      for (String text : seen) {
        assertThat(text).doesNotContain(SandmanTestEnv.E2B_KEY);
      }
      return new Outcome(logs.list.size() + " log lines, " + seen.size() + " answers and histories scanned: key in none", 1, 4, 0);
    });
  }

  @Test
  void theTemporalApiKeyIsSentAsABearerTokenAndNeverLogged() throws Exception {
    Matrix.check("Secrets", "Temporal API key over TLS (TEMPORAL_API_KEY, TEMPORAL_TLS_SERVER_CA_CERT_PATH)", "none",
        "TLS handshake against the configured CA; key sent as 'authorization: Bearer' on every call; absent from logs", () -> {
      Path dir;
      try {
        dir = Files.createTempDirectory("sandman-tls");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString())
            .redirectErrorStream(true).start();
        openssl.getInputStream().readAllBytes();
        assertThat(openssl.waitFor()).as("openssl made a certificate").isZero();
      } catch (java.io.IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
      List<String> authorization = new CopyOnWriteArrayList<>();
      ServerInterceptor spy = new ServerInterceptor() {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
          authorization.add(String.valueOf(headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER))));
          return next.startCall(call, headers);
        }
      };
      ListAppender<ILoggingEvent> logs = capture();
      Server server = null;
      try {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .useTransportSecurity(dir.resolve("cert.pem").toFile(), dir.resolve("key.pem").toFile())
            .addService(ServerInterceptors.intercept(new WorkflowServiceGrpc.WorkflowServiceImplBase() {}, spy))
            .addService(ServerInterceptors.intercept(new io.grpc.health.v1.HealthGrpc.HealthImplBase() {
              @Override
              public void check(io.grpc.health.v1.HealthCheckRequest request,
                  io.grpc.stub.StreamObserver<io.grpc.health.v1.HealthCheckResponse> answer) {
                answer.onNext(io.grpc.health.v1.HealthCheckResponse.newBuilder()
                    .setStatus(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING).build());
                answer.onCompleted();
              }
            }, spy))
            .build().start();
        Map<String, String> env = Map.of("TEMPORAL_ADDRESS", "127.0.0.1:" + server.getPort(), "TEMPORAL_API_KEY", TEMPORAL_KEY,
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH", dir.resolve("cert.pem").toString(), "TEMPORAL_TLS_SERVER_NAME", "localhost");
        try (TemporalConnection connection = TemporalConnection.connect(env, null)) {
          assertThat(connection.description()).contains("apiKey=<set>").doesNotContain(TEMPORAL_KEY);
          try {
            connection.client().listExecutions("WorkflowType = 'x'").findFirst();
          } catch (RuntimeException unimplemented) {
            // the spy server implements nothing; the headers are what this test is after
          }
        }
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      } finally {
        release(logs);
        if (server != null) {
          server.shutdownNow();
        }
      }
      assertThat(authorization).isNotEmpty().allMatch(value -> value.equals("Bearer " + TEMPORAL_KEY));
      String logText = logs.list.stream().map(SecretsTest::render).collect(Collectors.joining("\n"));
      assertThat(logText).doesNotContain(TEMPORAL_KEY);
      return new Outcome(authorization.size() + " calls carried the key; " + logs.list.size() + " log lines without it", 0, 0, 0);
    });
  }

  @Test
  void tlsAndApiKeyConfiguration() {
    Matrix.check("Secrets", "TLS configuration (TEMPORAL_TLS, TEMPORAL_TLS_*, TEMPORAL_API_KEY)", "none",
        "API key turns TLS on unless TEMPORAL_TLS=false; a missing CA file is a clear configuration error", () -> {
      ClientConfigProfile keyed = TemporalConnection.loadProfile(Map.of("TEMPORAL_ADDRESS", "ns.tmprl.cloud:7233", "TEMPORAL_API_KEY", TEMPORAL_KEY));
      WorkflowServiceStubsOptions keyedStubs = keyed.toWorkflowServiceStubsOptions();
      assertThat(keyedStubs.getEnableHttps() || keyedStubs.getSslContext() != null).isTrue();
      assertThat(TemporalConnection.describe(keyed)).contains("tls=true", "apiKey=<set>").doesNotContain(TEMPORAL_KEY);

      ClientConfigProfile tls = TemporalConnection.loadProfile(Map.of("TEMPORAL_ADDRESS", "temporal.internal:7233", "TEMPORAL_TLS", "true"));
      WorkflowServiceStubsOptions tlsStubs = tls.toWorkflowServiceStubsOptions();
      assertThat(tlsStubs.getEnableHttps() || tlsStubs.getSslContext() != null).isTrue();

      ClientConfigProfile plain = TemporalConnection.loadProfile(Map.of("TEMPORAL_ADDRESS", "127.0.0.1:7233"));
      assertThat(plain.toWorkflowServiceStubsOptions().getSslContext()).isNull();
      assertThat(TemporalConnection.describe(plain)).contains("tls=false", "apiKey=<unset>");

      String error;
      try {
        TemporalConnection.loadProfile(Map.of("TEMPORAL_ADDRESS", "x:7233", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/nonexistent/ca.pem"))
            .toWorkflowServiceStubsOptions();
        error = null;
      } catch (RuntimeException e) {
        error = e.getMessage();
      }
      assertThat(error).isNotNull();
      return new Outcome("API key: TLS on; TEMPORAL_TLS=true: TLS on; neither: plaintext; missing CA: " + firstLine(error), 0, 0, 0);
    });
  }

  private static String firstLine(String text) {
    String line = text.lines().findFirst().orElse("");
    return line.length() > 80 ? line.substring(0, 77) + "..." : line;
  }

  private static ListAppender<ILoggingEvent> capture() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(ch.qos.logback.classic.Level.DEBUG);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    root.addAppender(appender);
    return appender;
  }

  private static void release(ListAppender<ILoggingEvent> appender) {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(appender);
    root.setLevel(ch.qos.logback.classic.Level.INFO);
  }

  private static String render(ILoggingEvent event) {
    StringBuilder s = new StringBuilder(event.getFormattedMessage());
    for (ch.qos.logback.classic.spi.IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
      s.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
    }
    return s.toString();
  }
}
