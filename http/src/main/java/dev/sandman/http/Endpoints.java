package dev.sandman.http;

import dev.sandman.http.Wire.Reply;
import dev.sandman.starter.IdleAdvice;
import dev.sandman.starter.ListPage;
import dev.sandman.starter.ListQuery;
import dev.sandman.starter.SandmanClient;
import dev.sandman.starter.TrackRequest;
import dev.sandman.starter.TrackResult;
import dev.sandman.starter.Validation;
import dev.sandman.workflows.Limits;
import dev.sandman.workflows.Policy;
import dev.sandman.workflows.ProjectStatus;
import dev.sandman.workflows.PolicyPatch;
import dev.sandman.workflows.SandboxState;
import dev.sandman.workflows.SandboxStatus;
import dev.sandman.workflows.SweepOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** The {@code /v1} endpoints: sandboxes, their holds, policy and events, projects' policies, the report, browser tokens. */
final class Endpoints {
  private static final Set<String> TRACK_FIELDS = Set.of("sandboxId", "projectId", "userId", "template", "metadata", "policy");
  private static final Set<String> POLICY_FIELDS = Set.of("idleTimeout", "pausedRetention", "maxLifetime", "maxHold",
      "busyCpuPercent", "maxBusy");
  private static final Set<String> POLICY_PATCH_FIELDS = Set.of("idleTimeout", "pausedRetention", "maxLifetime", "clearMaxLifetime",
      "maxHold", "busyCpuPercent", "maxBusy");
  private static final Set<String> SWEEP_FIELDS = Set.of("orphans", "metadata", "dryRun", "grace");
  private static final Set<String> TOKEN_FIELDS = Set.of("userId", "sandboxId", "access", "ttl");
  private static final Set<String> LIST_PARAMS = Set.of("projectId", "userId", "state", "pageSize", "pageToken");
  private static final Set<String> FEED_PARAMS = Set.of("projectId", "userId", "state", "lastEventId");
  private static final Set<String> REPORT_PARAMS = Set.of("projectId", "userId");
  private static final Set<String> ADVICE_PARAMS = Set.of("projectId", "waitCostPerHour");

  private final SandmanClient client;
  private final Owners owners;
  private final BrowserTokens browserTokens;
  private final Supplier<EventStream> newStream;

  Endpoints(SandmanClient client, BrowserTokens browserTokens, Supplier<EventStream> newStream) {
    this.client = client;
    this.owners = new Owners(client);
    this.browserTokens = browserTokens;
    this.newStream = newStream;
  }

  /** Every endpoint, by method and URI template. */
  Routes routes() {
    return new Routes()
        .on("POST", "/v1/sandboxes", (caller, call, p) -> track(caller, body(call, TRACK_FIELDS)))
        .on("GET", "/v1/sandboxes", (caller, call, p) -> list(caller, call.query()))
        .on("GET", "/v1/sandboxes/{sandboxId}", (caller, call, p) -> {
          return Reply.json(200, owners.status(caller, sandboxId(caller, p)));
        })
        .on("DELETE", "/v1/sandboxes/{sandboxId}", (caller, call, p) -> {
          caller.requireApp("kill a sandbox");
          String sandboxId = sandboxId(caller, p);
          String reason = Validation.reason(body(call, Set.of("reason")).string("reason"));
          owners.check(caller, sandboxId);
          return Reply.json(200, client.kill(sandboxId, reason));
        })
        .on("POST", "/v1/sandboxes/{sandboxId}/activity", (caller, call, p) -> {
          caller.requireTouch();
          String sandboxId = sandboxId(caller, p);
          Instant at = body(call, Set.of("at")).instant("at");
          Validation.rule(() -> Limits.activityAt(at));
          owners.check(caller, sandboxId);
          client.touch(sandboxId, at);
          return Reply.json(202, Map.of("accepted", true));
        })
        .on("POST", "/v1/sandboxes/{sandboxId}/pause", (caller, call, p) -> change(caller, call, p, true))
        .on("POST", "/v1/sandboxes/{sandboxId}/resume", (caller, call, p) -> change(caller, call, p, false))
        .on("POST", "/v1/sandboxes/{sandboxId}/holds", (caller, call, p) -> {
          caller.requireApp("hold a sandbox");
          String sandboxId = sandboxId(caller, p);
          Body body = body(call, Set.of("reason", "ttl"));
          String reason = Validation.reason(body.string("reason"));
          Duration ttl = body.duration("ttl");
          owners.check(caller, sandboxId);
          return Reply.json(201, client.hold(sandboxId, reason, ttl));
        })
        .on("DELETE", "/v1/sandboxes/{sandboxId}/holds/{holdId}", (caller, call, p) -> {
          caller.requireApp("release a hold");
          String sandboxId = sandboxId(caller, p);
          String holdId = Validation.id("holdId", p.get("holdId"));
          owners.check(caller, sandboxId);
          return Reply.json(200, client.release(sandboxId, holdId));
        })
        .on("PUT", "/v1/sandboxes/{sandboxId}/policy", (caller, call, p) -> {
          caller.requireApp("change a policy");
          String sandboxId = sandboxId(caller, p);
          PolicyPatch patch = policyPatch(body(call, POLICY_PATCH_FIELDS));
          owners.check(caller, sandboxId);
          return Reply.json(200, client.setPolicy(sandboxId, patch));
        })
        .on("GET", "/v1/sandboxes/{sandboxId}/events", (caller, call, p) -> {
          onlyKnown(call.query(), Set.of("lastEventId"));
          String sandboxId = sandboxId(caller, p);
          owners.check(caller, sandboxId);
          EventStream stream = newStream.get();
          stream.subscribed(client.subscribe(sandboxId, lastEventId(call), stream));
          return stream.isOver() ? new Reply(204, new byte[0], "text/event-stream") : new Reply(200, stream, "text/event-stream");
        })
        .on("GET", "/v1/events", (caller, call, p) -> feed(caller, call))
        .on("GET", "/v1/projects/{projectId}/policy", (caller, call, p) -> {
          ProjectStatus status = client.projectStatus(Validation.id("projectId", p.get("projectId")));
          // the layer is configuration an app may show; how many sandboxes a project has is other users' business
          return Reply.json(200, caller.admin() ? status : new ProjectStatus(status.projectId(), status.policy(), null, null));
        })
        .on("PUT", "/v1/projects/{projectId}/policy", (caller, call, p) -> {
          caller.requireAdmin("change a project's policy");
          String projectId = Validation.id("projectId", p.get("projectId"));
          return Reply.json(200, client.setProjectPolicy(projectId, policy(body(call, POLICY_FIELDS))));
        })
        .on("DELETE", "/v1/projects/{projectId}/policy", (caller, call, p) -> {
          caller.requireAdmin("change a project's policy");
          return Reply.json(200, client.setProjectPolicy(Validation.id("projectId", p.get("projectId")), null));
        })
        .on("GET", "/v1/report", (caller, call, p) -> report(caller, call.query()))
        .on("GET", "/v1/advice", (caller, call, p) -> advice(caller, call.query()))
        .on("POST", "/v1/sweeps", (caller, call, p) -> {
          caller.requireAdmin("sweep E2B's sandboxes");
          Body body = body(call, SWEEP_FIELDS);
          SweepOrder order = new SweepOrder(body.string("orphans"), body.stringMap("metadata"), Boolean.TRUE.equals(body.bool("dryRun")),
              body.duration("grace"));
          return Reply.json(200, client.sweep(order));
        })
        .on("POST", "/v1/browser-tokens", (caller, call, p) -> browserToken(caller, body(call, TOKEN_FIELDS)))
        .on("POST", HttpApi.E2B_EVENTS, (caller, call, p) -> {
          throw new IllegalStateException("answered by E2bEvents before authentication");
        });
  }

  private Reply change(Auth.Principal caller, Call call, Map<String, String> p, boolean pause) {
    caller.requireApp(pause ? "pause a sandbox" : "resume a sandbox");
    String sandboxId = sandboxId(caller, p);
    String reason = Validation.reason(body(call, Set.of("reason")).string("reason"));
    owners.check(caller, sandboxId);
    return Reply.json(200, pause ? client.pause(sandboxId, reason) : client.resume(sandboxId, reason));
  }

  private Reply track(Auth.Principal caller, Body body) {
    caller.requireApp("track sandboxes");
    Body policyBody = body.object("policy", POLICY_FIELDS);
    TrackRequest request = new TrackRequest(body.string("sandboxId"), body.string("projectId"),
        caller.scopedUser(body.string("userId"), "track sandboxes of"), body.string("template"), body.stringMap("metadata"),
        policyBody == null ? null : policy(policyBody));
    boolean creating = request.sandboxId() == null;
    if (creating && request.template() == null) {
      throw ApiException.badRequest("invalid_argument", "give a sandboxId to track an existing sandbox, or a template to create one", "sandboxId");
    }
    TrackResult result = creating ? client.create(request) : client.track(request);
    if (!caller.mayActFor(result.status().userId())) { // tracking twice is idempotent, not a way into another's sandbox
      throw new ApiException(409, "conflict", "sandbox " + request.sandboxId() + " is tracked for another user", "sandboxId");
    }
    return Reply.json(result.created() ? 201 : 200, result.status());
  }

  private Reply list(Auth.Principal caller, Map<String, String> params) {
    onlyKnown(params, LIST_PARAMS);
    caller.requireAllOfUser("a listing");
    String userId = caller.scopedUser(params.get("userId"), "list sandboxes of");
    int pageSize = ListQuery.DEFAULT_PAGE_SIZE;
    if (params.containsKey("pageSize")) {
      try {
        pageSize = Integer.parseInt(params.get("pageSize"));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid_argument", "pageSize must be a whole number", "pageSize");
      }
    }
    ListPage page = client.list(new ListQuery(params.get("projectId"), userId, state(params), pageSize, params.get("pageToken")));
    return Reply.json(200, page);
  }

  private Reply feed(Auth.Principal caller, Call call) {
    Map<String, String> params = call.query();
    onlyKnown(params, FEED_PARAMS);
    caller.requireAllOfUser("a feed of sandboxes");
    String userId = caller.scopedUser(params.get("userId"), "follow the sandboxes of");
    EventStream stream = newStream.get();
    stream.subscribed(client.subscribeAll(new ListQuery(params.get("projectId"), userId, state(params), 1, null),
        lastEventId(call), stream));
    return new Reply(200, stream, "text/event-stream");
  }

  private Reply report(Auth.Principal caller, Map<String, String> params) {
    onlyKnown(params, REPORT_PARAMS);
    caller.requireApp("read the report");
    String userId = caller.scopedUser(params.get("userId"), "report on");
    return Reply.json(200, client.report(new ListQuery(params.get("projectId"), userId, null, ListQuery.MAX_PAGE_SIZE, null)));
  }

  private Reply advice(Auth.Principal caller, Map<String, String> params) {
    onlyKnown(params, ADVICE_PARAMS);
    caller.requireAdmin("read the idle-timeout advice (it spans every user of a project)");
    double waitCost = IdleAdvice.DEFAULT_WAIT_COST_PER_HOUR;
    if (params.containsKey("waitCostPerHour")) {
      try {
        waitCost = Double.parseDouble(params.get("waitCostPerHour"));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid_argument", "waitCostPerHour must be a number of dollars", "waitCostPerHour");
      }
    }
    String projectId = params.get("projectId") == null ? null : Validation.id("projectId", params.get("projectId"));
    return Reply.json(200, client.advice(new ListQuery(projectId, null, null, ListQuery.MAX_PAGE_SIZE, null), waitCost));
  }

  private Reply browserToken(Auth.Principal caller, Body body) {
    caller.requireApp("mint browser tokens");
    if (browserTokens == null) {
      throw new ApiException(409, "conflict", "browser tokens are off on this server: set SANDMAN_BROWSER_TOKEN_SECRET", null);
    }
    String userId = caller.scopedUser(body.string("userId"), "mint tokens for");
    if (userId == null) {
      throw ApiException.badRequest("invalid_argument", "userId is required with the admin token", "userId");
    }
    Validation.id("userId", userId);
    String access = body.string("access") == null ? "read" : body.string("access");
    if (!access.equals("read") && !access.equals("touch")) {
      throw ApiException.badRequest("invalid_argument", "access must be read or touch", "access");
    }
    Duration ttl = body.duration("ttl") == null ? BrowserTokens.DEFAULT_TTL : body.duration("ttl");
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(BrowserTokens.MAX_TTL) > 0) {
      throw ApiException.badRequest("invalid_argument", "ttl must be more than 0 and at most " + BrowserTokens.MAX_TTL, "ttl");
    }
    String sandboxId = body.string("sandboxId");
    if (sandboxId != null) {
      SandboxStatus status = client.status(Validation.sandboxId(sandboxId));
      owners.check(caller, status);
      if (!userId.equals(status.userId())) {
        throw new ApiException(409, "conflict", "sandbox " + sandboxId + " belongs to another user", "sandboxId");
      }
    }
    Instant expires = Instant.now().plus(ttl).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("token", browserTokens.mint(userId, sandboxId, access.equals("touch"), ttl));
    answer.put("userId", userId);
    answer.put("sandboxId", sandboxId);
    answer.put("access", access);
    answer.put("expiresAt", expires);
    return Reply.json(201, answer);
  }

  // ---- input ------------------------------------------------------------------------------

  private static String sandboxId(Auth.Principal caller, Map<String, String> params) {
    String sandboxId = Validation.id("sandboxId", params.get("sandboxId"));
    caller.requireSandbox(sandboxId);
    return sandboxId;
  }

  private static String lastEventId(Call call) {
    String header = call.header("Last-Event-ID");
    return header != null && !header.isBlank() ? header : call.query().get("lastEventId");
  }

  private static SandboxState state(Map<String, String> params) {
    if (!params.containsKey("state")) {
      return null;
    }
    try {
      return SandboxState.valueOf(params.get("state"));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_argument", "state must be one of RUNNING, PAUSING, PAUSED, RESUMING, KILLED", "state");
    }
  }

  private static Body body(Call call, Set<String> fields) {
    return Body.parse(call.body(), fields);
  }

  private static void onlyKnown(Map<String, String> params, Set<String> known) {
    for (String name : params.keySet()) {
      if (!known.contains(name)) {
        throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + Body.printable(name) + "'", Body.printable(name));
      }
    }
  }

  private static Policy policy(Body body) {
    return new Policy(body.duration("idleTimeout"), body.duration("pausedRetention"), body.duration("maxLifetime"),
        body.duration("maxHold"), body.integer("busyCpuPercent"), body.duration("maxBusy"));
  }

  private static PolicyPatch policyPatch(Body body) {
    if (body.isEmpty()) {
      throw ApiException.badRequest("invalid_argument",
          "give at least one of idleTimeout, pausedRetention, maxLifetime, clearMaxLifetime, maxHold, busyCpuPercent, maxBusy", null);
    }
    Boolean clear = body.bool("clearMaxLifetime");
    if (body.isNull("maxLifetime")) {
      clear = true; // "maxLifetime": null removes the limit
    }
    return new PolicyPatch(body.duration("idleTimeout"), body.duration("pausedRetention"), body.duration("maxLifetime"), clear,
        body.duration("maxHold"), body.integer("busyCpuPercent"), body.duration("maxBusy"));
  }
}
