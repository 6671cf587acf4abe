package dev.phronesis.core;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The project's one configured Jackson mapper. Every module reads and writes JSON through it, so
 * records, journals, checkpoints and reports agree on one configuration: unknown properties are an
 * error, and map entries are written sorted by key (the same bytes in every process, which stage keys
 * and content hashes rely on). Jackson mappers are thread-safe once configured.
 */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .findAndAddModules()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .build();

    private static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

    private Json() {}

    /** The writer for human-read JSON files (two-space indented). */
    public static ObjectWriter pretty() { return PRETTY; }
}
