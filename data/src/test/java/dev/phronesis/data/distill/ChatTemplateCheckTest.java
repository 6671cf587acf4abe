package dev.phronesis.data.distill;

import dev.phronesis.llm.PythonPeer;
import dev.phronesis.llm.HfChatTemplate;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Variant;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** Real-world-shaped chat templates (Qwen3, ChatML, Llama 3, a correct ChatML with generation tags, and a buggy one). */
class ChatTemplateCheckTest {
    private static final DatasetBuilder.Format THINK = DatasetBuilder.Format.THINK;
    private static final DatasetBuilder.Format HF = DatasetBuilder.Format.HF_REASONING;

    static Path template(String name) throws Exception {
        return Path.of(ChatTemplateCheckTest.class.getResource("/templates/" + name + ".tokenizer_config.json").toURI());
    }

    static List<Sample> samples(Variant v) {
        ScriptedTeacher t = new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 9);
        List<Sample> out = new ArrayList<>();
        for (Scenario s : Fixtures.scenarios().subList(0, 6)) {
            var d = t.deliberate(s, 0);
            out.add(new Sample(s.id() + "/" + v.wire(), s.id(), s.family(), s.split(), s.form(), v, s.messages(),
                    v == Variant.DELIBERATIVE ? d.reasoning() : "", d.response(), 0, Map.of()));
        }
        return out;
    }

    static ChatTemplateCheck.Report check(String name, Variant v, DatasetBuilder.Format f) throws Exception {
        return new ChatTemplateCheck(HfChatTemplate.load(template(name), null)).check(samples(v), Map.of(), f);
    }

    @Test void qwen3RoundTripsDeliberativeSamplesInBothStylesAndFlagsEmptyThinkBlocksForDemonstrations() throws Exception {
        var think = check("qwen3", Variant.DELIBERATIVE, THINK);
        assertThat(think.violations()).isEmpty();
        assertThat(think.eot()).isEqualTo("<|im_end|>");
        assertThat(think.maskSource()).isEqualTo("prompt-prefix");
        assertThat(check("qwen3", Variant.DELIBERATIVE, HF).violations()).isEmpty();
        var demo = check("qwen3", Variant.DEMONSTRATION, THINK);
        assertThat(demo.counts()).containsOnlyKeys("empty-think-block").containsEntry("empty-think-block", 6);
    }

    @Test void templatesThatIgnoreReasoningContentDropTheReasoning() throws Exception {
        for (String name : List.of("chatml", "llama3")) {
            var hf = check(name, Variant.DELIBERATIVE, HF);
            assertThat(hf.counts()).as(name).containsEntry("reasoning-dropped", 6);
            var think = check(name, Variant.DELIBERATIVE, THINK);
            assertThat(think.counts()).as(name).doesNotContainKeys("reasoning-dropped", "eot-outside-mask", "mask-covers-extra", "prefix-mismatch")
                    // they keep an earlier turn's think span verbatim, unlike inference where it is dropped
                    .containsEntry("earlier-turn-reasoning-leak", 1);
        }
        assertThat(check("llama3", Variant.DELIBERATIVE, THINK).eot()).isEqualTo("<|eot_id|>");
    }

    @Test void generationTagsGiveTheMaskAndACorrectTemplatePasses() throws Exception {
        var r = check("chatml-generation", Variant.DELIBERATIVE, THINK);
        assertThat(r.maskSource()).isEqualTo("generation-tags");
        assertThat(r.violations()).extracting(ChatTemplateCheck.Violation::kind).containsOnly("earlier-turn-reasoning-leak");
    }

    @Test void theBuggyTemplateIsCaughtOnEveryCount() throws Exception {
        var hf = check("buggy", Variant.DELIBERATIVE, HF);
        assertThat(hf.counts()).containsEntry("reasoning-outside-mask", 6).containsEntry("eot-outside-mask", 6).containsEntry("earlier-turn-reasoning-leak", 1);
        var think = check("buggy", Variant.DELIBERATIVE, THINK);
        assertThat(think.counts()).containsEntry("eot-outside-mask", 6).doesNotContainKey("reasoning-outside-mask");
    }

    @Test void duplicatedThinkTagsAndRaisedExceptionsAreReported() throws Exception {
        // reasoning passed in reasoning_content AND inline in the content: a common exporter bug
        var t = new ChatTemplateCheck(HfChatTemplate.load(template("qwen3"), null));
        Sample s = samples(Variant.DELIBERATIVE).getFirst();
        Sample doubled = new Sample(s.id(), s.scenarioId(), s.family(), s.split(), s.form(), s.variant(), s.messages(), s.reasoning(),
                "<think>\n" + s.reasoning() + "\n</think>\n\n" + s.response(), 0, Map.of());
        assertThat(t.check(List.of(doubled), Map.of(), HF).counts()).containsKey("duplicated-think-tags");
        // Llama 3 raises on two user turns in a row
        var llama = new ChatTemplateCheck(HfChatTemplate.load(template("llama3"), null));
        Sample twoUsers = new Sample(s.id(), s.scenarioId(), s.family(), s.split(), s.form(), s.variant(),
                List.of(dev.phronesis.core.records.Turn.user("a"), dev.phronesis.core.records.Turn.user("b")), s.reasoning(), s.response(), 0, Map.of());
        assertThat(llama.check(List.of(twoUsers), Map.of(), THINK).violations()).anySatisfy(v -> {
            assertThat(v.kind()).isEqualTo("render-error");
            assertThat(v.detail()).contains("template raised: Conversation roles must alternate");
        });
    }

    /** jinjava with our Python-isms renders exactly what Jinja2 (as transformers configures it) renders. */
    @Test void rendersMatchPythonJinja2() throws Exception {
        Path py = PythonPeer.find();
        assumeThat(py != null && PythonPeer.has(py, "jinja2")).as("skipped: no Python venv with jinja2 (set PHRONESIS_PYTHON or create .venv)").isTrue();
        ArrayNode cases = Jsonl.MAPPER.createArrayNode();
        List<String> javaOut = new ArrayList<>();
        for (String name : List.of("qwen3", "chatml", "llama3")) {
            HfChatTemplate t = HfChatTemplate.load(template(name), null);
            for (DatasetBuilder.Format f : List.of(THINK, HF)) {
                for (Sample s : samples(Variant.DELIBERATIVE).subList(0, 3)) {
                    List<Map<String, Object>> msgs = ChatTemplateCheck.messages(s.messages());
                    msgs.add(ChatTemplateCheck.assistant(s.reasoning(), s.response(), f));
                    for (boolean gen : List.of(false, true)) {
                        List<Map<String, Object>> m = gen ? msgs.subList(0, msgs.size() - 1) : msgs;
                        javaOut.add(t.render(m, List.of(), gen));
                        ObjectNode c = cases.addObject();
                        c.put("config", template(name).toString());
                        c.set("messages", Jsonl.MAPPER.valueToTree(m));
                        c.put("gen", gen);
                    }
                }
            }
        }
        Path in = Files.createTempFile("cases", ".json");
        Files.writeString(in, Jsonl.toJson(cases));
        Process p = new ProcessBuilder(py.toString(), "-c", """
                import sys, json, jinja2, jinja2.ext
                from jinja2.sandbox import ImmutableSandboxedEnvironment
                def raise_exception(m): raise Exception(m)
                def strftime_now(f): return "01 Jan 2026"
                out = []
                for c in json.load(open(sys.argv[1])):
                    cfg = json.load(open(c["config"]))
                    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
                    env.globals["raise_exception"] = raise_exception
                    env.globals["strftime_now"] = strftime_now
                    t = env.from_string(cfg["chat_template"])
                    out.append(t.render(messages=c["messages"], add_generation_prompt=c["gen"], bos_token=cfg.get("bos_token", ""), eos_token=cfg.get("eos_token", "")))
                print(json.dumps(out))
                """, in.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        var expected = Jsonl.MAPPER.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        for (int i = 0; i < javaOut.size(); i++) assertThat(javaOut.get(i)).as("case " + i).isEqualTo(expected.get(i).asText());
    }
}
