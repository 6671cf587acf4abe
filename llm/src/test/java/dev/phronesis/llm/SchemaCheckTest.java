package dev.phronesis.llm;

import dev.phronesis.llm.testserver.LlmTestServer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaCheckTest {
    static final String SCHEMA = """
            {"type":"object","additionalProperties":false,"required":["mode","score","reasons"],
             "properties":{"mode":{"enum":["comply","refuse"]},"score":{"type":"integer","minimum":0,"maximum":10},
                           "reasons":{"type":"array","minItems":1,"items":{"type":"string","minLength":1}},
                           "note":{"type":["string","null"]}}}""";

    @Test void acceptsConformingAndNamesTheFirstViolation() {
        assertThat(SchemaCheck.violation(SCHEMA, "{\"mode\":\"refuse\",\"score\":3,\"reasons\":[\"harm\"],\"note\":null}")).isNull();
        assertThat(SchemaCheck.violation(SCHEMA, "{\"mode\":\"maybe\",\"score\":3,\"reasons\":[\"x\"]}")).contains("$.mode").contains("not one of");
        assertThat(SchemaCheck.violation(SCHEMA, "{\"mode\":\"comply\",\"score\":11,\"reasons\":[\"x\"]}")).contains("$.score").contains("maximum");
        assertThat(SchemaCheck.violation(SCHEMA, "{\"mode\":\"comply\",\"score\":1,\"reasons\":[]}")).contains("at least 1");
        assertThat(SchemaCheck.violation(SCHEMA, "{\"mode\":\"comply\",\"score\":1,\"reasons\":[\"x\"],\"extra\":1}")).contains("unexpected property 'extra'");
        assertThat(SchemaCheck.violation(SCHEMA, "{\"mode\":\"comply\",\"reasons\":[\"x\"]}")).contains("missing required property 'score'");
        assertThat(SchemaCheck.violation(SCHEMA, "{\"mode\": \"comply\",")).startsWith("not valid JSON");
        assertThat(SchemaCheck.extractJson("```json\n{\"a\":1}\n```")).isEqualTo("{\"a\":1}");
    }

    @Property(tries = 200)
    void theTestServersExampleSatisfiesTheSchemaItWasMadeFor(@ForAll @IntRange(min = 0, max = 5) int minItems,
                                                             @ForAll @IntRange(min = 1, max = 9) int minLength,
                                                             @ForAll("kinds") String kind) throws Exception {
        String schema = """
                {"type":"object","required":["xs","s","k"],"properties":{
                  "xs":{"type":"array","minItems":%d,"items":{"type":"%s"}},
                  "s":{"type":"string","minLength":%d},
                  "k":{"type":"%s"}}}""".formatted(minItems, kind, minLength, kind);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        String example = LlmTestServer.exampleFor(mapper.readTree(schema)).toString();
        assertThat(SchemaCheck.violation(schema, example)).isNull();
        // and breaking any required property is caught
        var broken = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(example);
        broken.remove("s");
        assertThat(SchemaCheck.violation(schema, broken.toString())).contains("'s'");
    }

    @net.jqwik.api.Provide net.jqwik.api.Arbitrary<String> kinds() {
        return net.jqwik.api.Arbitraries.of(List.of("string", "integer", "number", "boolean", "object"));
    }
}
