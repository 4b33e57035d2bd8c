package dev.sandman.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Writes the fault matrix to {@code target/reliability.md} once the suite has run; a whole run started
 * with {@code -Dsandman.refreshDocs=true} refreshes the committed {@code docs/reliability.md} instead.
 */
public class MatrixReport implements TestExecutionListener {
  @Override
  public void testPlanExecutionFinished(TestPlan testPlan) {
    if (Matrix.rows().isEmpty()) {
      return;
    }
    boolean refresh = Boolean.getBoolean("sandman.refreshDocs") && System.getProperty("test") == null;
    Path docs = Path.of("..", "docs");
    Path file = refresh && Files.isDirectory(docs) ? docs.resolve("reliability.md") : Path.of("target", "reliability.md");
    System.out.println("reliability table: " + Matrix.write(file).toAbsolutePath().normalize());
  }
}
