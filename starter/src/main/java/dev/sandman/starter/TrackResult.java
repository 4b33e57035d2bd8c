package dev.sandman.starter;

import dev.sandman.workflows.SandboxStatus;

/** The status after tracking; {@code created} is false when the sandbox was already tracked. */
public record TrackResult(SandboxStatus status, boolean created) {}
