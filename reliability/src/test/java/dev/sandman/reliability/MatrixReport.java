package dev.sandman.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Writes {@code docs/reliability.md} once the whole suite has run. A partial run (one test class, a
 * filter) writes {@code target/reliability.md} instead, so the committed table is always complete.
 */
public class MatrixReport implements TestExecutionListener {
  @Override
  public void testPlanExecutionFinished(TestPlan testPlan) {
    if (Matrix.rows().isEmpty()) {
      return;
    }
    boolean partial = System.getProperty("test") != null;
    Path docs = Path.of("..", "docs");
    Path file = partial || !Files.isDirectory(docs) ? Path.of("target", "reliability.md") : docs.resolve("reliability.md");
    System.out.println("reliability table: " + Matrix.write(file).toAbsolutePath().normalize());
  }
}
