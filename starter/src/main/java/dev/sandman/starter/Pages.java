package dev.sandman.starter;

import java.util.function.Consumer;
import java.util.function.Function;

/** Walks every page of a listing, the largest pages the listing allows. */
final class Pages {
  private Pages() {}

  static void each(Function<ListQuery, ListPage> list, ListQuery query, Consumer<ListPage> page) {
    String token = null;
    do {
      ListPage next = list.apply(new ListQuery(query.projectId(), query.userId(), query.state(), ListQuery.MAX_PAGE_SIZE, token));
      page.accept(next);
      token = next.nextPageToken();
    } while (token != null);
  }
}
