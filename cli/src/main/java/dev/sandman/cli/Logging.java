package dev.sandman.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import dev.sandman.worker.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Where logs go, so a command prints what was asked and nothing else: client commands log at WARN,
 * dev mode logs to a file (its banner says which), servers log to stderr. {@code --verbose} (or
 * {@code SANDMAN_LOG_LEVEL}) keeps every log on stderr.
 */
final class Logging {
  private Logging() {}

  static final String VERBOSE = "--verbose";
  private static final Set<String> SERVERS = Set.of("serve", "worker", "e2b-sim", "healthcheck");

  /** Sets logging up for the command in {@code args}; the dev log file's path, or null. */
  static Path configure(String[] args, Env env) {
    if (Arrays.asList(args).contains(VERBOSE) || env.get("SANDMAN_LOG_LEVEL", null) != null) {
      return null;
    }
    String command = Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("");
    if (SERVERS.contains(command)) {
      return null;
    }
    Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (!command.equals("dev") && !command.equals("bench")) {
      root.setLevel(Level.WARN);
      return null;
    }
    Path file = Path.of(env.get("SANDMAN_HOME", "."), ".tools", "dev", command + ".log").toAbsolutePath().normalize();
    try {
      Files.createDirectories(file.getParent());
    } catch (java.io.IOException e) {
      return null; // logs stay on stderr
    }
    LoggerContext context = root.getLoggerContext();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setFile(file.toString());
    appender.setAppend(false);
    appender.setEncoder(encoder);
    appender.start();
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
    return file;
  }
}
