package dev.phronesis.train.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.UserError;
import dev.phronesis.train.LlamaModel;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfModel;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.HostTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * LoRA adapters on a frozen Hugging Face model, saved and loaded in PEFT's format
 * ({@code adapter_config.json} + {@code adapter_model.safetensors}, tensors named
 * {@code base_model.model.<module>.lora_A.weight} / {@code lora_B.weight}), and merged into full
 * HF-layout weights on request. Initialisation follows PEFT: A ~ kaiming-uniform(a=√5), i.e.
 * U(-1/√in, 1/√in); B = 0, so a fresh adapter leaves the model's output unchanged.
 */
public final class Lora implements AutoCloseable {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    static final String PREFIX = "base_model.model.";

    private final HfModel model;
    private final LoraConfig config;
    private final NDManager manager = NDManager.newBaseManager();
    private final Map<String, LoraAdapter> adapters = new LinkedHashMap<>(); // by module name
    private final Map<String, Parameter> params = new LinkedHashMap<>(); // by PEFT tensor name

    private Lora(HfModel model, LoraConfig config) {
        this.model = model;
        this.config = config;
    }

    /** Freezes the base and puts fresh adapters (seeded) on every targeted linear. */
    public static Lora attach(HfModel model, LoraConfig config, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Lora l = new Lora(model, config);
        for (var e : l.targets().entrySet()) {
            long out = e.getValue().weight().getArray().getShape().get(0), in = e.getValue().weight().getArray().getShape().get(1);
            float[] a = new float[Math.toIntExact(config.rank() * in)];
            double bound = 1.0 / Math.sqrt(in);
            for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            l.add(e.getKey(), a, new float[Math.toIntExact(out * config.rank())], in, out);
        }
        model.freezeBase();
        return l;
    }

    /** Loads a PEFT adapter directory onto this model (freezing its base); every targeted linear must have A and B of the right shapes. */
    public static Lora loadPeft(HfModel model, Path adapterDir) {
        Path cfgFile = adapterDir.resolve(CONFIG_FILE), wFile = adapterDir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(cfgFile)) throw new UserError(cfgFile + ": missing (not a PEFT adapter directory)");
        if (!Files.isRegularFile(wFile)) throw new UserError(wFile + ": missing" + (Files.exists(adapterDir.resolve("adapter_model.bin"))
                ? " (adapter_model.bin is not read: save with safe_serialization=True)" : ""));
        JsonNode n;
        try {
            n = LoraConfig.JSON.readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw new UserError(cfgFile + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        LoraConfig config = LoraConfig.fromPeftJson(n, cfgFile.toString());
        Lora l = new Lora(model, config);
        try (HfSafetensors w = HfSafetensors.openFile(wFile)) {
            for (var e : l.targets().entrySet()) {
                long out = e.getValue().weight().getArray().getShape().get(0), in = e.getValue().weight().getArray().getShape().get(1);
                HostTensor a = tensor(w, e.getKey(), "lora_A", new long[]{config.rank(), in});
                HostTensor b = tensor(w, e.getKey(), "lora_B", new long[]{out, config.rank()});
                l.add(e.getKey(), a.data(), b.data(), in, out);
            }
        } catch (RuntimeException ex) {
            l.close();
            throw ex;
        }
        model.freezeBase();
        return l;
    }

    private static HostTensor tensor(HfSafetensors w, String module, String which, long[] shape) {
        String name = PREFIX + module + "." + which + ".weight";
        String alt = PREFIX + module + "." + which + ".default.weight"; // un-stripped adapter name
        String found = w.has(name) ? name : w.has(alt) ? alt : null;
        if (found == null) throw new UserError(w.source() + ": tensor '" + name + "' is missing (adapter_config.json targets " + module.substring(module.lastIndexOf('.') + 1) + ")");
        var en = w.entry(found);
        if (!Arrays.equals(en.shape(), shape))
            throw new UserError(w.source() + ": tensor '" + found + "' has shape " + Arrays.toString(en.shape()) + ", the base model and r need " + Arrays.toString(shape));
        return w.read(found);
    }

    /** Targeted linears by module name, in model order. */
    private Map<String, LlamaModel.Projection> targets() {
        Map<String, LlamaModel.Projection> out = new LinkedHashMap<>();
        for (var e : model.projections().entrySet()) {
            String shortName = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            if (config.targetModules().contains(shortName)) out.put(e.getKey(), e.getValue());
        }
        if (out.isEmpty()) throw new UserError("LoRA target_modules " + config.targetModules() + " match no linear of the model");
        return out;
    }

    private void add(String module, float[] a, float[] b, long in, long out) {
        Parameter pa = param(PREFIX + module + ".lora_A.weight", a, new Shape(config.rank(), in));
        Parameter pb = param(PREFIX + module + ".lora_B.weight", b, new Shape(out, config.rank()));
        LoraAdapter ad = new LoraAdapter(pa, pb, config.scale(), config.dropout());
        adapters.put(module, ad);
        model.setAdapter(module, ad);
    }

    private Parameter param(String name, float[] v, Shape shape) {
        NDArray arr = manager.create(v, shape).toType(model.model().dtype(), false);
        arr.setRequiresGradient(true);
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
        p.setArray(arr);
        params.put(name, p);
        return p;
    }

    public LoraConfig config() { return config; }

    /** The trainable tensors by PEFT name. */
    public Map<String, Parameter> parameters() { return Collections.unmodifiableMap(params); }

    public long trainableParameterCount() {
        long n = 0;
        for (Parameter p : params.values()) n += p.getArray().getShape().size();
        return n;
    }

    /** Dropout on while training, off for evaluation and generation. */
    public void setTraining(boolean training) { adapters.values().forEach(a -> a.setTraining(training)); }

    /** Host copies of the adapter tensors by PEFT name. */
    public Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (var e : params.entrySet()) {
            NDArray a = e.getValue().getArray();
            try (NDArray f = a.toType(DataType.FLOAT32, true)) {
                out.put(e.getKey(), new HostTensor(a.getShape().getShape(), f.toFloatArray()));
            }
        }
        return out;
    }

    /** Overwrites the adapter tensors (e.g. on resume). */
    public void load(Map<String, HostTensor> state, String where) {
        for (var e : params.entrySet()) {
            HostTensor t = state.get(e.getKey());
            if (t == null || !Arrays.equals(t.shape(), e.getValue().getArray().getShape().getShape()))
                throw new UserError(where + ": adapter tensor '" + e.getKey() + "' is missing or has another shape");
            e.getValue().getArray().set(t.data());
        }
    }

    /** Writes adapter_config.json + adapter_model.safetensors (float32), loadable by {@code PeftModel.from_pretrained}. */
    public void savePeft(Path dir, String baseModel) throws IOException {
        Files.createDirectories(dir);
        HfSafetensors.write(dir.resolve(WEIGHTS_FILE), state(), DType.F32, Map.of("format", "pt"));
        Path tmp = Files.createTempFile(dir, ".adapter_config", ".tmp");
        Files.writeString(tmp, LoraConfig.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config.toPeftJson(baseModel)) + "\n");
        Files.move(tmp, dir.resolve(CONFIG_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The base weights with every adapter folded in: {@code W + (alpha / r) · B·A}, by HF name. */
    public Map<String, HostTensor> mergedState() {
        Map<String, HostTensor> state = model.state();
        try (NDManager m = NDManager.newBaseManager()) {
            for (var e : adapters.entrySet()) {
                String w = e.getKey() + ".weight";
                HostTensor base = state.get(w);
                NDArray delta = e.getValue().b.getArray().toType(DataType.FLOAT32, true).matMul(e.getValue().a.getArray().toType(DataType.FLOAT32, true))
                        .mul((float) config.scale()); // (out, in)
                NDArray merged = m.create(base.data(), new Shape(base.shape())).add(delta);
                state.put(w, new HostTensor(base.shape(), merged.toFloatArray()));
                delta.close();
            }
        }
        return state;
    }

    /** Takes the adapters off the model, keeping their tensors, so another adapter can serve the same base. */
    public void detach() {
        for (String module : adapters.keySet()) model.setAdapter(module, null);
    }

    /** Puts the adapters (back) on the model, replacing whatever adapter those linears carried. */
    public void activate() {
        for (var e : adapters.entrySet()) model.setAdapter(e.getKey(), e.getValue());
    }

    /** Removes the adapters from the model (the base stays frozen). */
    @Override public void close() {
        for (String module : adapters.keySet()) model.setAdapter(module, null);
        adapters.clear();
        manager.close();
    }
}
