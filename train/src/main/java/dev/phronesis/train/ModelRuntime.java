package dev.phronesis.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.UserError;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ToolCall;
import dev.phronesis.llm.ToolSpec;
import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.train.hf.HfModel;
import dev.phronesis.train.lora.Lora;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One runtime for every checkpoint the project trains or reads: the organism (a small Llama with a
 * word-level vocabulary and its own chat format) and Hugging Face Llama / Qwen2 / Qwen3 directories
 * (transformers 4 and 5 config formats, sharded safetensors, F32/F16/BF16 computed in F32), plus
 * PEFT LoRA adapters kept apart from the base (several may be loaded; one is active at a time).
 *
 * <p>Weights always load through {@link HfModel#load}, prompts through the checkpoint's own format
 * ({@link PromptFormat}), and tokens come from the one {@link Generator}. Not thread-safe: the owner
 * (e.g. {@link EmbeddedStudent}'s worker) is the only thread that switches adapters and runs forwards.
 */
public final class ModelRuntime implements AutoCloseable {
    /** How a checkpoint turns a conversation into prompt tokens. Closed: see {@link #chatPrompt}. */
    public sealed interface PromptFormat {
        /** The organism's own template on token ids. */
        record Organism(ChatTemplate template) implements PromptFormat {}
        /** The checkpoint's Jinja chat template, rendered to text and tokenized. */
        record Jinja(HfChatTemplate template) implements PromptFormat {}
        /** No chat template (a base model): raw completion only. */
        record None(String why) implements PromptFormat {}
    }

    /** Generated text split into its reasoning span (null when none), visible content and tool calls (parsed only when asked). */
    public record Reply(String reasoning, String content, List<ToolCall> toolCalls) {}

    private final Path dir;
    private final HfModel weights;
    private final Tokenizer tokenizer;
    private final PromptFormat format;
    private final Generator generator;
    private final Map<String, Lora> adapters;
    private String active; // adapter on the model now, null = base

    private ModelRuntime(Path dir, HfModel weights, Tokenizer tokenizer, PromptFormat format, Set<Integer> endIds, Map<String, Lora> adapters) {
        this.dir = dir;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.format = format;
        this.generator = new Generator(weights.model(), tokenizer, endIds);
        this.generator.useCpu(CpuLlama.of(weights.model(), weights.namedParameters()));
        this.adapters = adapters;
    }

    /** Loads a checkpoint (or a run directory's final/latest checkpoint) with no adapter. */
    public static ModelRuntime load(Path path) {
        return load(path, Map.of());
    }

    /**
     * Loads a checkpoint and PEFT adapters by name. With adapters, the base is frozen and each
     * adapter's tensors stay apart (nothing is merged); {@link #activate} picks one per forward.
     */
    /** The shape to size: a Hugging Face config, else the organism's own config format (both name the same fields). */
    private static ModelConfig sizingConfig(Path cfgFile) {
        try {
            return HfModel.modelConfig(dev.phronesis.train.hf.HfConfig.read(cfgFile));
        } catch (dev.phronesis.core.UserError notHf) {
            return ModelConfig.read(cfgFile);
        }
    }

    public static ModelRuntime load(Path path, Map<String, Path> adapterDirs) {
        Path dir = Checkpoint.resolve(path);
        Path cfgFile = dir.resolve("config.json");
        if (java.nio.file.Files.isRegularFile(cfgFile)) // sized before anything else is read (a config can claim a model no machine holds)
            ModelMemory.requireFits(sizingConfig(cfgFile), ModelMemory.Use.INFERENCE, cfgFile.toString());
        Tokenizer tok = Tokenizer.load(dir);
        Torch.load();
        HfModel weights = HfModel.load(dir);
        Map<String, Lora> adapters = new LinkedHashMap<>();
        try {
            if (tok.vocabSize() > weights.config().vocabSize())
                throw new UserError(dir + ": tokenizer has " + tok.vocabSize() + " tokens but vocab_size is " + weights.config().vocabSize());
            PromptFormat format = format(dir, tok);
            Set<Integer> endIds = endIds(dir, tok, weights, format);
            for (var e : adapterDirs.entrySet()) {
                Lora l = Lora.loadPeft(weights, e.getValue());
                l.setTraining(false);
                l.detach();
                adapters.put(e.getKey(), l);
            }
            return new ModelRuntime(dir, weights, tok, format, endIds, adapters);
        } catch (RuntimeException ex) {
            adapters.values().forEach(Lora::close);
            weights.close();
            throw ex;
        }
    }

    private static PromptFormat format(Path dir, Tokenizer tok) {
        if (tok instanceof WordTokenizer) return new PromptFormat.Organism(new ChatTemplate(tok));
        if (!Files.isRegularFile(dir.resolve("tokenizer_config.json")) && !Files.isRegularFile(dir.resolve("chat_template.jinja")))
            return new PromptFormat.None(dir + ": no tokenizer_config.json or chat_template.jinja, so no chat template (use raw completion)");
        try {
            return new PromptFormat.Jinja(HfChatTemplate.load(dir));
        } catch (UserError e) {
            return new PromptFormat.None(e.getMessage());
        }
    }

    /** Where a row ends: the organism's {@code <|end|>}; for HF checkpoints every eos id of config.json, generation_config.json and the tokenizer's eos token. */
    private static Set<Integer> endIds(Path dir, Tokenizer tok, HfModel weights, PromptFormat format) {
        Set<Integer> ids = new LinkedHashSet<>();
        switch (format) {
            case PromptFormat.Organism o -> ids.add(o.template().endId());
            case PromptFormat.Jinja j -> { ids.addAll(weights.config().eosTokenIds()); addSpecial(tok, j.template().eosToken(), ids); }
            case PromptFormat.None n -> ids.addAll(weights.config().eosTokenIds());
        }
        Path gen = dir.resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            try {
                JsonNode e = Json.MAPPER.readTree(gen.toFile()).path("eos_token_id");
                if (e.canConvertToInt()) ids.add(e.asInt());
                for (JsonNode x : e) if (x.canConvertToInt()) ids.add(x.asInt());
            } catch (IOException ex) {
                throw new UserError(gen + ": not valid JSON: " + Json.oneLine(ex));
            }
        }
        return ids;
    }

    private static void addSpecial(Tokenizer tok, String token, Set<Integer> ids) {
        if (token == null || token.isEmpty()) return;
        int id = tok.specialId(token);
        if (id >= 0) ids.add(id);
    }

    public Path dir() { return dir; }
    public LlamaModel model() { return weights.model(); }
    public HfModel weights() { return weights; }
    public Tokenizer tokenizer() { return tokenizer; }
    public Generator generator() { return generator; }
    public PromptFormat format() { return format; }
    public int contextLength() { return weights.config().maxPositionEmbeddings(); }
    public Set<String> adapterNames() { return adapters.keySet(); }

    /** Puts the named adapter on the model (null = the bare base); a no-op when it is already active. */
    public void activate(String adapter) {
        if (java.util.Objects.equals(adapter, active)) return;
        if (adapter != null && !adapters.containsKey(adapter)) throw new IllegalArgumentException("no adapter named '" + adapter + "'");
        if (active != null) adapters.get(active).detach();
        if (adapter != null) adapters.get(adapter).activate();
        active = adapter;
        generator.adapterActive(adapter != null);
    }

    /** The prompt that asks for the next assistant turn, with the offered tools where the format has a place for them. */
    public int[] chatPrompt(List<ChatMessage> messages, List<ToolSpec> tools, boolean forceThink) {
        return switch (format) {
            case PromptFormat.Organism o -> o.template().renderPrompt(ChatTemplate.withTools(messages, tools), forceThink); // offered tools in the system turn, as in training
            case PromptFormat.Jinja j -> {
                String text = j.template().render(wire(messages), tools(tools), true);
                if (forceThink && !text.stripTrailing().endsWith(WordTokenizer.THINK)) text += WordTokenizer.THINK + "\n";
                yield tokenizer.encode(text);
            }
            case PromptFormat.None n -> throw new UserError(n.why());
        };
    }

    /** Plain-text continuation prompt (no template). */
    public int[] textPrompt(String text) { return tokenizer.encode(text); }

    /** Splits a generated assistant turn; {@code <tool_call>} spans become tool calls when {@code parseTools}. */
    public static Reply parse(String generated, boolean forcedThink, boolean parseTools) {
        ChatTemplate.Parsed p = ChatTemplate.parse(forcedThink ? WordTokenizer.THINK + generated : generated);
        String reasoning = p.reasoning() == null ? null : p.reasoning().strip();
        String content = p.content();
        if (!parseTools) return new Reply(reasoning, content, List.of());
        ToolCalls.Extracted x = ToolCalls.extract(content);
        return new Reply(reasoning, x.content(), x.calls());
    }

    /** Messages in the OpenAI wire shape that HF chat templates read. */
    private static List<Map<String, Object>> wire(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("role", m.role().wire());
            w.put("content", m.content());
            if (m.reasoning() != null) w.put("reasoning_content", m.reasoning());
            if (m.toolCallId() != null) w.put("tool_call_id", m.toolCallId());
            if (!m.toolCalls().isEmpty()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolCall c : m.toolCalls()) {
                    Map<String, Object> fn = new LinkedHashMap<>();
                    fn.put("name", c.name());
                    fn.put("arguments", jsonOrText(c.argumentsJson()));
                    Map<String, Object> call = new LinkedHashMap<>();
                    if (c.id() != null) call.put("id", c.id());
                    call.put("type", "function");
                    call.put("function", fn);
                    calls.add(call);
                }
                w.put("tool_calls", calls);
            }
            out.add(w);
        }
        return out;
    }

    private static List<Map<String, Object>> tools(List<ToolSpec> tools) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolSpec t : tools) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", t.name());
            fn.put("description", t.description());
            fn.put("parameters", jsonOrText(t.parametersSchemaJson()));
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("type", "function");
            w.put("function", fn);
            out.add(w);
        }
        return out;
    }

    private static Object jsonOrText(String json) {
        try {
            return Json.MAPPER.readValue(json, new TypeReference<Object>() {});
        } catch (IOException e) {
            return json;
        }
    }

    @Override public void close() {
        adapters.values().forEach(Lora::close);
        weights.close();
    }
}
