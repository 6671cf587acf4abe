package dev.phronesis.train.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.phronesis.train.LlamaModel;
import dev.phronesis.train.Torch;

/**
 * One LoRA update on a frozen linear: {@code delta(x) = B(A(dropout(x))) * alpha / r}, with
 * A (r, in) and B (out, r) in PEFT's layout ({@code lora_A.weight}, {@code lora_B.weight}).
 */
final class LoraAdapter implements LlamaModel.Projection.Adapter {
    final Parameter a, b;
    private final float scale;
    private final float dropout;
    private volatile boolean training;

    LoraAdapter(Parameter a, Parameter b, double scale, double dropout) {
        this.a = a;
        this.b = b;
        this.scale = (float) scale;
        this.dropout = (float) dropout;
    }

    void setTraining(boolean t) { training = t; }

    @Override public NDArray delta(NDArray x) {
        NDArray in = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x; // (..., in)
        NDArray low = Linear.linear(in, a.getArray()).singletonOrThrow(); // (..., r)
        return Torch.mul(Linear.linear(low, b.getArray()).singletonOrThrow(), scale); // (..., out)
    }
}
