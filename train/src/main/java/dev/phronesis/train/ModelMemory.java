package dev.phronesis.train;

import dev.phronesis.core.UserError;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Sizes a model from its config <em>before</em> anything is allocated, and refuses one that cannot fit,
 * with the numbers: a config with {@code hidden_size: 1e9} or {@code num_hidden_layers: 1000000} is
 * a one-line error, not an {@code OutOfMemoryError} or a machine that swaps until it is killed.
 *
 * <p>What is counted (float32, 4 bytes a value): native memory holds the weights and the rotary tables,
 * and in training also the gradients and AdamW's two moments (4 copies); the JVM heap holds a host copy
 * of the weights while a checkpoint is read or written, and in training the optimizer's moments while a
 * checkpoint is written (2 copies), plus the largest tensor once more. Activations are not counted, so
 * passing this check is necessary, not sufficient.
 */
public final class ModelMemory {
    /** What the model is for: training needs gradients and optimizer moments beside the weights. */
    public enum Use { INFERENCE, TRAINING }

    static final long FLOAT_BYTES = 4;
    /** The most elements a Java array can hold (HotSpot reserves a few header words). */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private ModelMemory() {}

    /** The memory a model needs, in bytes. */
    public record Need(double parameters, double largestTensor, String largestName, double nativeBytes, double heapBytes) {}

    public static Need need(ModelConfig c, Use use) {
        double h = c.hiddenSize(), q = (double) c.numAttentionHeads() * c.headDim(), kv = (double) c.numKeyValueHeads() * c.headDim();
        double inter = c.intermediateSize(), vocab = c.vocabSize();
        double perLayer = h * q + 2 * h * kv + q * h + 3 * h * inter + 2 * h;
        double params = vocab * h * (c.tieWordEmbeddings() ? 1 : 2) + c.numHiddenLayers() * perLayer + h;
        double rope = 2.0 * c.maxPositionEmbeddings() * c.headDim();
        String largestName = "model.embed_tokens.weight";
        double largest = vocab * h;
        if (inter * h > largest) { largest = inter * h; largestName = "mlp.gate_proj.weight"; }
        if (q * h > largest) { largest = q * h; largestName = "self_attn.q_proj.weight"; }
        if (rope / 2 > largest) { largest = rope / 2; largestName = "rotary table (max_position_embeddings x head_dim)"; }
        int copies = use == Use.TRAINING ? 4 : 1;
        double nativeBytes = FLOAT_BYTES * (params * copies + rope);
        double heapBytes = FLOAT_BYTES * (params * (use == Use.TRAINING ? 2 : 1) + largest);
        return new Need(params, largest, largestName, nativeBytes, heapBytes);
    }

    /** Refuses (one line naming {@code where}) a model that cannot fit this JVM's heap or this machine's memory. */
    public static void requireFits(ModelConfig c, Use use, String where) {
        Need n = need(c, use);
        String shape = String.format(Locale.ROOT, "(vocab_size %d, hidden_size %d, intermediate_size %d, num_hidden_layers %d, %s parameters)",
                c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), count(n.parameters()));
        if (n.largestTensor() > MAX_ARRAY)
            throw new UserError(where + ": the model is too large: its " + n.largestName() + " would hold " + count(n.largestTensor())
                    + " values, more than one array can (" + count(MAX_ARRAY) + ") " + shape);
        long machine = machineMemory();
        String purpose = use == Use.TRAINING ? " to train (weights, gradients and AdamW moments)" : " for its weights";
        if (machine > 0 && n.nativeBytes() > machine)
            throw new UserError(where + ": the model needs " + bytes(n.nativeBytes()) + purpose + " but this machine has "
                    + bytes(machine) + " of memory " + shape);
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && n.heapBytes() > heap)
            throw new UserError(where + ": the model needs " + bytes(n.heapBytes()) + " of JVM heap" + (use == Use.TRAINING ? " to write a checkpoint" : " to load")
                    + " but the heap is " + bytes(heap) + " (raise it with PHRONESIS_JAVA_OPTS=-Xmx...) " + shape);
    }

    /** Physical memory of this machine or container, or 0 when unknown. */
    static long machineMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return os.getTotalMemorySize();
        return 0;
    }

    static String bytes(double b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = 0;
        while (b >= 1024 && u < units.length - 1) { b /= 1024; u++; }
        return String.format(Locale.ROOT, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
    }

    static String count(double n) {
        return n < 1e6 ? String.format(Locale.ROOT, "%.0f", n) : String.format(Locale.ROOT, "%.3g", n).replace("e+0", "e").replace("e+", "e");
    }
}
