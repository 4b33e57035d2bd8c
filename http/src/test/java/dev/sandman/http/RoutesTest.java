package dev.sandman.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoutesTest {
  private final Routes routes = new Endpoints(null, null, null).routes();

  @Test
  void theOpenApiDocumentDescribesEveryRouteAndMethodAndNoOther() throws Exception {
    JsonNode paths;
    try (InputStream in = HttpApi.class.getResourceAsStream("/openapi.json")) {
      paths = new ObjectMapper().readTree(in).get("paths");
    }
    Map<String, Set<String>> documented = new HashMap<>();
    for (Iterator<String> names = paths.fieldNames(); names.hasNext(); ) {
      String path = names.next();
      if (!path.startsWith("/v1/")) {
        continue; // health, metrics and the document itself are answered apart
      }
      Set<String> methods = new HashSet<>();
      paths.get(path).fieldNames().forEachRemaining(m -> methods.add(m.toUpperCase()));
      documented.put(path, methods);
    }
    Map<String, Set<String>> served = new HashMap<>();
    routes.all().forEach(r -> served.put(r.template(), r.methods().keySet()));
    assertThat(served).isEqualTo(documented);
  }

  @Test
  void pathsMatchTheirTemplateWithDecodedParametersAndNothingElseMatches() {
    Routes.Match hold = routes.match("/v1/sandboxes/sb%3A1/holds/h-2");
    assertThat(hold.label()).isEqualTo("/v1/sandboxes/{sandboxId}/holds/{holdId}");
    assertThat(hold.params()).containsEntry("sandboxId", "sb:1").containsEntry("holdId", "h-2");
    assertThat(routes.match("//v1//sandboxes/").label()).isEqualTo("/v1/sandboxes");
    assertThat(routes.match("/v1/sandboxes/a/b/c/d/e").route()).isNull();
    assertThat(routes.match("/v2/sandboxes").route()).isNull();
    assertThatThrownBy(() -> routes.match("/v1/sandboxes/%zz")).isInstanceOf(ApiException.class);
  }
}
