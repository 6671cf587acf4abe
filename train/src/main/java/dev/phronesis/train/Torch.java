package dev.phronesis.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The native engine's process-wide knobs. libtorch's grad mode is per thread and starts enabled,
 * so every inference or optimizer entry point calls {@link #noGrad()} on its own thread.
 *
 * <p>Offline: the {@code pytorch-native-cpu} jar on the classpath carries libtorch, so DJL extracts
 * it (to {@code ~/.djl.ai/pytorch}) instead of downloading it; no system property is needed.
 */
public final class Torch {
    private Torch() {}

    /** Loads the engine (once) and sets libtorch's intra-op thread count; {@code threads <= 0} means all available cores. */
    public static synchronized int threads(int threads) {
        Engine.getEngine("PyTorch");
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        if (JniUtils.getNumThreads() != n) JniUtils.setNumThreads(n);
        CpuLlama.setThreads(n); // the Java forward uses the same count
        return n;
    }

    /** Loads the engine (extracting libtorch on first use) without touching its settings. */
    public static void load() {
        Engine.getEngine("PyTorch");
    }

    /**
     * {@code x * s} for a graph that will be differentiated. DJL's {@code mul(Number)} wraps the
     * scalar in a tensor over a Java direct buffer and closes it at once, but autograd keeps that
     * tensor to compute {@code d/dx} in backward: a GC in between frees the buffer and backward reads
     * whatever the memory holds next (seen as gradient norms of 1e30 or Inf, and so a skipped step).
     * Here the scalar belongs to {@code x}'s manager, which outlives the backward pass. Same Number
     * type, so the same dtype promotion and the same bits as {@code x.mul(s)}.
     */
    public static NDArray mul(NDArray x, Number s) {
        return x.mul(x.getManager().create(s));
    }

    /** {@code x / d} for a graph that will be differentiated; see {@link #mul(NDArray, Number)}. */
    public static NDArray div(NDArray x, Number d) {
        return x.div(x.getManager().create(d));
    }

    /** Disables autograd on the calling thread (inference, optimizer updates). */
    public static void noGrad() {
        Engine.getEngine("PyTorch");
        JniUtils.setGradMode(false);
    }
}
