package dev.sandman.http;

import dev.sandman.http.Wire.Reply;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code /v1} endpoints: sandboxes, their holds and policy, projects' policies, the report. */
final class Endpoints {
  private static final Set<String> TRACK_FIELDS = Set.of("sandboxId", "projectId", "userId", "template", "metadata", "policy");
  private static final Set<String> POLICY_FIELDS = Set.of("idleTimeout", "pausedRetention", "maxLifetime", "maxHold");
  private static final Set<String> POLICY_PATCH_FIELDS = Set.of("idleTimeout", "pausedRetention", "maxLifetime", "clearMaxLifetime", "maxHold");
  private static final Set<String> LIST_PARAMS = Set.of("projectId", "userId", "state", "pageSize", "pageToken");
  private static final Set<String> REPORT_PARAMS = Set.of("projectId", "userId");

  private final SandmanClient client;
  private final Owners owners;

  Endpoints(SandmanClient client) {
    this.client = client;
    this.owners = new Owners(client);
  }

  /** Whether the path is one of these endpoints' (the caller is authenticated only then). */
  static boolean serves(List<String> path) {
    return path.size() >= 2 && path.size() <= 5 && path.get(0).equals("v1")
        && Set.of("sandboxes", "projects", "report").contains(path.get(1));
  }

  Reply handle(Auth.Principal caller, Call call, List<String> path) {
    String method = call.method();
    String resource = path.get(1);
    if (resource.equals("report")) {
      requireMethod(method, "GET", path.size() == 2);
      return report(caller, Wire.query(call.rawQuery()));
    }
    if (resource.equals("projects")) {
      return project(caller, call, path);
    }
    if (path.size() == 2) {
      return switch (method) {
        case "POST" -> track(caller, body(call, TRACK_FIELDS));
        case "GET" -> list(caller, Wire.query(call.rawQuery()));
        default -> throw ApiException.notAllowed("GET, POST");
      };
    }
    if (path.size() == 5) {
      requireMethod(method, "DELETE", path.get(3).equals("holds"));
      String sandboxId = Validation.id("sandboxId", path.get(2));
      String holdId = Validation.id("holdId", path.get(4));
      owners.check(caller, sandboxId);
      return Reply.json(200, client.release(sandboxId, holdId));
    }
    String sandboxId = Validation.id("sandboxId", path.get(2));
    if (path.size() == 3) {
      return switch (method) {
        case "GET" -> {
          SandboxStatus status = client.status(sandboxId);
          owners.check(caller, status);
          yield Reply.json(200, status);
        }
        case "DELETE" -> {
          owners.check(caller, sandboxId);
          yield Reply.json(200, client.kill(sandboxId, Validation.reason(body(call, Set.of("reason")).string("reason"))));
        }
        default -> throw ApiException.notAllowed("GET, DELETE");
      };
    }
    String action = path.get(3);
    switch (action) {
      case "activity" -> {
        requireMethod(method, "POST", true);
        Instant at = body(call, Set.of("at")).instant("at");
        Validation.rule(() -> Limits.activityAt(at));
        owners.check(caller, sandboxId);
        client.touch(sandboxId, at);
        return Reply.json(202, Map.of("accepted", true));
      }
      case "pause", "resume" -> {
        requireMethod(method, "POST", true);
        String reason = Validation.reason(body(call, Set.of("reason")).string("reason"));
        owners.check(caller, sandboxId);
        return Reply.json(200, action.equals("pause") ? client.pause(sandboxId, reason) : client.resume(sandboxId, reason));
      }
      case "holds" -> {
        requireMethod(method, "POST", true);
        Body body = body(call, Set.of("reason", "ttl"));
        String reason = Validation.reason(body.string("reason"));
        Duration ttl = body.duration("ttl");
        owners.check(caller, sandboxId);
        return Reply.json(201, client.hold(sandboxId, reason, ttl));
      }
      case "policy" -> {
        requireMethod(method, "PUT", true);
        PolicyPatch patch = policyPatch(body(call, POLICY_PATCH_FIELDS));
        owners.check(caller, sandboxId);
        return Reply.json(200, client.setPolicy(sandboxId, patch));
      }
      default -> throw ApiException.notFound();
    }
  }

  private Reply project(Auth.Principal caller, Call call, List<String> path) {
    String method = call.method();
    if (path.size() != 4 || !path.get(3).equals("policy")) {
      throw ApiException.notFound();
    }
    String projectId = Validation.id("projectId", path.get(2));
    return switch (method) {
      case "GET" -> {
        ProjectStatus status = client.projectStatus(projectId);
        // the layer is configuration an app may show; how many sandboxes a project has is other users' business
        yield Reply.json(200, caller.admin() ? status : new ProjectStatus(projectId, status.policy(), null, null));
      }
      case "PUT" -> {
        caller.requireAdmin("change a project's policy");
        yield Reply.json(200, client.setProjectPolicy(projectId, policy(body(call, POLICY_FIELDS))));
      }
      case "DELETE" -> {
        caller.requireAdmin("change a project's policy");
        yield Reply.json(200, client.setProjectPolicy(projectId, null));
      }
      default -> throw ApiException.notAllowed("GET, PUT, DELETE");
    };
  }

  private Reply track(Auth.Principal caller, Body body) {
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
    String userId = caller.scopedUser(params.get("userId"), "list sandboxes of");
    SandboxState state = null;
    if (params.containsKey("state")) {
      try {
        state = SandboxState.valueOf(params.get("state"));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_argument", "state must be one of RUNNING, PAUSING, PAUSED, RESUMING, KILLED", "state");
      }
    }
    int pageSize = ListQuery.DEFAULT_PAGE_SIZE;
    if (params.containsKey("pageSize")) {
      try {
        pageSize = Integer.parseInt(params.get("pageSize"));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid_argument", "pageSize must be a whole number", "pageSize");
      }
    }
    ListPage page = client.list(new ListQuery(params.get("projectId"), userId, state, pageSize, params.get("pageToken")));
    return Reply.json(200, page);
  }

  private Reply report(Auth.Principal caller, Map<String, String> params) {
    onlyKnown(params, REPORT_PARAMS);
    String userId = caller.scopedUser(params.get("userId"), "report on");
    return Reply.json(200, client.report(new ListQuery(params.get("projectId"), userId, null, ListQuery.MAX_PAGE_SIZE, null)));
  }

  // ---- input ------------------------------------------------------------------------------

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
        body.duration("maxHold"));
  }

  private static PolicyPatch policyPatch(Body body) {
    if (body.isEmpty()) {
      throw ApiException.badRequest("invalid_argument", "give at least one of idleTimeout, pausedRetention, maxLifetime, clearMaxLifetime", null);
    }
    Boolean clear = body.bool("clearMaxLifetime");
    if (body.isNull("maxLifetime")) {
      clear = true; // "maxLifetime": null removes the limit
    }
    return new PolicyPatch(body.duration("idleTimeout"), body.duration("pausedRetention"), body.duration("maxLifetime"), clear,
        body.duration("maxHold"));
  }

  /** The method must be {@code allowed}, on a path that {@code exists}. */
  static void requireMethod(String method, String allowed, boolean exists) {
    if (!exists) {
      throw ApiException.notFound();
    }
    if (!method.equals(allowed)) {
      throw ApiException.notAllowed(allowed);
    }
  }
}
