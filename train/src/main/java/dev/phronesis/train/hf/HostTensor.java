package dev.phronesis.train.hf;

import java.util.Arrays;

/** A tensor in host memory as float32, row-major, with its shape (HF layout: linears are {@code (out, in)}). */
public record HostTensor(long[] shape, float[] data) {
    public HostTensor {
        shape = shape.clone();
        if (elements(shape) != data.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + elements(shape) + " values, got " + data.length);
    }

    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    @Override public long[] shape() { return shape.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override public int hashCode() { return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data); }

    @Override public String toString() { return "HostTensor" + Arrays.toString(shape); }
}
