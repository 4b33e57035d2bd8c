package dev.sandman.starter;

import dev.sandman.workflows.SandboxState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Which sandboxes (not killed) a project and/or user has, listed at most once a second per scope
 * however many feeds watch it.
 */
final class ScopeCache {
  private static final long FRESH_MILLIS = 900;

  private record Listed(List<String> sandboxes, long at) {}

  private final Function<ListQuery, ListPage> list;
  private final Map<String, Listed> listed = new ConcurrentHashMap<>();

  ScopeCache(Function<ListQuery, ListPage> list) {
    this.list = list;
  }

  List<String> sandboxes(ListQuery scope) {
    String key = scope.projectId() + "\u0000" + scope.userId();
    long now = System.currentTimeMillis();
    Listed known = listed.get(key);
    if (known != null && now - known.at() < FRESH_MILLIS) {
      return known.sandboxes();
    }
    List<String> ids = new ArrayList<>();
    Pages.each(list, new ListQuery(scope.projectId(), scope.userId(), null, ListQuery.MAX_PAGE_SIZE, null), page ->
        page.items().stream().filter(item -> !SandboxState.KILLED.name().equals(item.state()))
            .forEach(item -> ids.add(item.sandboxId())));
    listed.put(key, new Listed(List.copyOf(ids), now));
    listed.values().removeIf(old -> now - old.at() > 60_000);
    return ids;
  }
}
