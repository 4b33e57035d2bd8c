package dev.sandman.cli;

import dev.sandman.starter.SandmanClient;
import dev.sandman.worker.Env;
import dev.sandman.worker.TemporalConnection;
import dev.sandman.workflows.Sandman;
import io.micrometer.core.instrument.MeterRegistry;

/** The client side's configuration from the environment: Temporal (standard env), E2B, defaults. */
final class Connection implements AutoCloseable {
  final TemporalConnection temporal;
  final SandmanClient client;

  private Connection(TemporalConnection temporal, SandmanClient client) {
    this.temporal = temporal;
    this.client = client;
  }

  static Connection open(Env env, MeterRegistry registry) {
    TemporalConnection temporal = TemporalConnection.connect(env.asMap(), registry);
    SandmanClient client = new SandmanClient(temporal.client(), options(env));
    return new Connection(temporal, client);
  }

  static SandmanClient.Options options(Env env) {
    int events = env.getInt("SANDMAN_MAX_EVENTS_PER_RUN", 0, 0, 50_000);
    return SandmanClient.Options.defaults()
        .withTaskQueue(env.get("SANDMAN_TASK_QUEUE", Sandman.DEFAULT_TASK_QUEUE))
        .withTouchWindow(env.getDuration("SANDMAN_TOUCH_WINDOW", null)) // set: the old one signal per window
        .withTouchMargin(env.getDuration("SANDMAN_TOUCH_MARGIN", SandmanClient.Options.DEFAULT_TOUCH_MARGIN))
        .withMaxEventsPerRun(events == 0 ? null : events);
  }

  @Override
  public void close() {
    client.close();
    temporal.close();
  }
}
