package dev.sandman.starter;

import dev.sandman.workflows.SandboxState;

/** Filters (all optional, combined with AND) and a page. */
public record ListQuery(String projectId, String userId, SandboxState state, int pageSize, String pageToken) {
  public static final int DEFAULT_PAGE_SIZE = 50;
  public static final int MAX_PAGE_SIZE = 1000;

  public static ListQuery all() {
    return new ListQuery(null, null, null, DEFAULT_PAGE_SIZE, null);
  }

  public ListQuery withProject(String projectId) {
    return new ListQuery(projectId, userId, state, pageSize, pageToken);
  }

  public ListQuery withUser(String userId) {
    return new ListQuery(projectId, userId, state, pageSize, pageToken);
  }

  public ListQuery withState(SandboxState state) {
    return new ListQuery(projectId, userId, state, pageSize, pageToken);
  }

  public ListQuery withPage(int pageSize, String pageToken) {
    return new ListQuery(projectId, userId, state, pageSize, pageToken);
  }
}
