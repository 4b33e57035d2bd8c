package dev.sandman.workflows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;

/**
 * The one JSON setup: Temporal's default mapper (plain JSON payloads, RFC 3339 instants) with
 * durations as ISO-8601 strings ("PT10M"), nulls left out, and unknown fields ignored so that newer
 * clients do not break older workers.
 */
public final class SandmanJson {
  private SandmanJson() {}

  private static final ObjectMapper MAPPER = newMapper();
  private static final DataConverter DATA_CONVERTER =
      DefaultDataConverter.newDefaultInstance()
          .withPayloadConverterOverrides(new JacksonJsonPayloadConverter(MAPPER));

  public static ObjectMapper newMapper() {
    ObjectMapper mapper = JacksonJsonPayloadConverter.newDefaultObjectMapper();
    mapper.configure(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS, false);
    mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    mapper.setSerializationInclusion(JsonInclude.Include.NON_NULL);
    return mapper;
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Use on every WorkflowClient that talks to Sandman workflows, and in replay tests. */
  public static DataConverter dataConverter() {
    return DATA_CONVERTER;
  }
}
