package dev.sandman.devserver;

import dev.sandman.workflows.Sandman;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.OperatorServiceGrpc;
import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Temporal's Java test server as a real gRPC service on one address (loopback by default), in real
 * time (no time skipping), with Sandman's search attributes registered. Any Temporal client can use
 * it: the CLI, a TypeScript app, the Temporal CLI.
 */
public final class EmbeddedTemporal implements DevTemporal {
  private final TestServicesStarter services;
  private final Server server;

  private EmbeddedTemporal(TestServicesStarter services, Server server) {
    this.services = services;
    this.server = server;
  }

  public static EmbeddedTemporal start(String host, int port) throws IOException {
    TestServicesStarter services = new TestServicesStarter(true, 0); // time skipping locked: real time
    TestServerLockLog.bound(services); // or it slows down and grows with every operation
    TestServerFifoQueues.apply(services); // tasks taken in arrival order, as a real server takes them
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port));
    services.getServices().forEach(builder::addService);
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("temporal.api.workflowservice.v1.WorkflowService", HealthCheckResponse.ServingStatus.SERVING);
    builder.addService(health.getHealthService());
    Server server = builder.build().start();
    return new EmbeddedTemporal(services, server);
  }

  @Override
  public int port() {
    return server.getPort();
  }

  @Override
  public String description() {
    return "Temporal's Java test server, in process, in memory";
  }

  @Override
  public boolean needsSearchAttributes() {
    return true;
  }

  /** The test server refuses unregistered search attributes: register Sandman's (all Keyword). */
  public static void registerSearchAttributes(WorkflowServiceStubs service, String namespace) {
    AddSearchAttributesRequest.Builder request = AddSearchAttributesRequest.newBuilder().setNamespace(namespace);
    Sandman.SEARCH_ATTRIBUTES.forEach(key -> request.putSearchAttributes(key.getName(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD));
    OperatorServiceGrpc.newBlockingStub(service.getRawChannel()).addSearchAttributes(request.build());
  }

  @Override
  public void close() {
    server.shutdownNow();
    services.close();
  }
}
