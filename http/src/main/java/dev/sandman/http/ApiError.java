package dev.sandman.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Every error answer: {@code {error, message, field?}}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
record ApiError(
    @JsonProperty("error") String error,
    @JsonProperty("message") String message,
    @JsonProperty("field") String field) {}
