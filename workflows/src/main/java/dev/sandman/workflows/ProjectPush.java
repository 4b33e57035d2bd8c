package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What pushing a project's layer did: the sandboxes found open in the project, and those that could not be told. */
public record ProjectPush(@JsonProperty("members") int members, @JsonProperty("failures") int failures) {}
