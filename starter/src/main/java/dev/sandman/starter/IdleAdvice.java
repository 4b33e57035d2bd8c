package dev.sandman.starter;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Advice on idle timeouts, per project: from the gaps between its sandboxes' activity, the timeout of
 * 1 to 60 minutes that costs least (idle running plus resumes priced as the user's wait), beside the
 * current one, with every candidate's figures.
 */
public record IdleAdvice(
    @JsonProperty("projects") List<Project> projects,
    @JsonProperty("pricePerHour") double pricePerHour,
    @JsonProperty("waitCostPerHour") double waitCostPerHour,
    @JsonProperty("asOf") Instant asOf) {

  public record Project(
      @JsonProperty("projectId") String projectId,
      @JsonProperty("sandboxes") int sandboxes,
      @JsonProperty("gaps") long gaps,
      @JsonProperty("observedDays") double observedDays,
      @JsonProperty("currentIdleTimeout") Duration currentIdleTimeout,
      @JsonProperty("recommendedIdleTimeout") Duration recommendedIdleTimeout,
      @JsonProperty("resumeSeconds") double resumeSeconds,
      @JsonProperty("current") Candidate current,
      @JsonProperty("recommended") Candidate recommended,
      @JsonProperty("savingPerDay") double savingPerDay,
      @JsonProperty("note") String note,
      @JsonProperty("candidates") List<Candidate> candidates) {}

  public record Candidate(
      @JsonProperty("idleTimeout") Duration idleTimeout,
      @JsonProperty("idleRunningHours") double idleRunningHours,
      @JsonProperty("resumes") long resumes,
      @JsonProperty("cost") double cost) {

    static Candidate of(IdleCostModel.Outcome outcome) {
      return new Candidate(outcome.idleTimeout(), round(outcome.idleRunningHours()), outcome.resumes(), round(outcome.cost()));
    }
  }

  /** The default value of a user's time while a sandbox resumes: $30 an hour. */
  public static final double DEFAULT_WAIT_COST_PER_HOUR = 30;
  /** A resume's wait when no resume was measured: E2B's connect of a paused sandbox, about 2 s. */
  public static final double DEFAULT_RESUME_SECONDS = 2;
  /** Fewer recorded gaps than this and the advice keeps the current timeout: too little to go on. */
  public static final int MIN_GAPS = 20;
  /** The candidates: every whole minute from 1 to 60. */
  public static final int MAX_MINUTES = 60;

  static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }

  static Duration minutes(int m) {
    return Duration.ofMinutes(m);
  }
}
