package dev.phronesis.train.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.phronesis.train.Torch;

import static org.assertj.core.api.Assertions.assertThat;

/** Test helpers shared with other modules' parity tests (the train test-jar): a model's logits on fixed ids, and their distance. */
public final class ModelLogits {
    private ModelLogits() {}

    /** The logits of {@code m} on {@code ids} (rows of equal length), flattened. */
    public static float[] logits(HfModel m, long[][] ids) {
        Torch.noGrad();
        try (NDManager sm = NDManager.newBaseManager()) {
            long[] flat = new long[ids.length * ids[0].length];
            for (int i = 0; i < ids.length; i++) System.arraycopy(ids[i], 0, flat, i * ids[0].length, ids[0].length);
            NDArray x = sm.create(flat, new Shape(ids.length, ids[0].length));
            return m.forward(x).toFloatArray();
        }
    }

    /** The largest absolute difference of two equally long arrays. */
    public static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a.length).isEqualTo(b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }
}
