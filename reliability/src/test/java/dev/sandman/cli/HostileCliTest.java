package dev.sandman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandman.reliability.Matrix;
import dev.sandman.reliability.Matrix.Outcome;
import dev.sandman.worker.Env;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad CLI arguments: each exits 2 (bad input) with a one-line reason, before any call to Temporal.
 * TEMPORAL_ADDRESS points at a closed port, so a command that got as far as calling would exit 6.
 */
class HostileCliTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown command                  | frobnicate
      unknown option                   | status sb1 --colour red
      track without --project          | track sb1 --user u1
      track with a path in the id      | track ../etc --project p --user u
      track with a control character   | track sb\u00071 --project p --user u
      track with a word duration       | track sb1 --project p --user u --idle-timeout tenminutes
      track with a negative duration   | track sb1 --project p --user u --idle-timeout PT-10M
      track with an absurd retention   | track sb1 --project p --user u --paused-retention P99999D
      track with bad metadata          | track sb1 --project p --user u --meta novalue
      touch with a time that is not one| touch sb1 --at yesterday
      touch with a bad id              | touch a/b
      status with an empty id          | status ''
      list with an unknown state       | list --state ASLEEP
      list with page size zero         | list --page-size 0
      list with page size not a number | list --page-size many
      list with a forged page token    | list --page-token bm90LWEtdG9rZW4
      policy with nothing to change    | policy sb1
      policy with zero idle timeout    | policy sb1 --idle-timeout PT0S
      hold without --ttl               | hold sb1
      hold with a negative ttl         | hold sb1 --ttl -PT5M
      pause with a 600-char reason     | pause sb1 --reason xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
      project-policy with bad duration | project-policy p1 --idle-timeout soon
      serve with no API token set      | serve
      """)
  void badArgumentsExitTwoWithAReason(String name, String line) {
    String[] args = line.trim().split("\\s+");
    for (int i = 0; i < args.length; i++) {
      args[i] = args[i].equals("''") ? "" : args[i];
    }
    Matrix.check("Hostile CLI arguments", name, "sandman " + (line.length() > 60 ? line.substring(0, 57) + "..." : line),
        "exit 2, one-line reason on stderr, no call to Temporal", () -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Env env = new Env(Map.of("TEMPORAL_ADDRESS", "127.0.0.1:1", "SANDMAN_HTTP_PORT", "99999"));
      int code = SandmanCli.run(env, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
      String reason = err.toString(StandardCharsets.UTF_8).strip();
      assertThat(code).as(name + ": " + reason).isEqualTo(SandmanCli.BAD_INPUT);
      assertThat(reason).as(name).isNotBlank();
      String first = reason.lines().findFirst().orElse("");
      return new Outcome("exit " + code + ": " + (first.length() > 90 ? first.substring(0, 87) + "..." : first), 0, 1, 0);
    });
  }

  @org.junit.jupiter.api.Test
  void devModeRefusesAWeakTokenAsServeDoes() {
    Matrix.check("Hostile CLI arguments", "dev with a one-character admin token", "SANDMAN_ADMIN_TOKEN=x sandman dev",
        "exit 2, the same rule as serve, nothing started", () -> {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Env env = new Env(Map.of("SANDMAN_ADMIN_TOKEN", "x", "SANDMAN_HTTP_PORT", "0"));
      int code = SandmanCli.run(env, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8), "dev", "--temporal-port", "0", "--http-port", "0", "--e2b-port", "0");
      String reason = err.toString(StandardCharsets.UTF_8).strip();
      assertThat(code).as(reason).isEqualTo(SandmanCli.BAD_INPUT);
      assertThat(reason).contains("SANDMAN_ADMIN_TOKEN must be at least 16 characters");
      return new Matrix.Outcome("exit " + code + ": " + reason.lines().findFirst().orElse(""), 0, 1, 0);
    });
  }
}
