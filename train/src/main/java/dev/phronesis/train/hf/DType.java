package dev.phronesis.train.hf;

import java.nio.ByteBuffer;

/** Float element types of safetensors files we read and write; all are computed in as float32 on CPU. */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8);

    final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }

    /** The safetensors dtype name, or null when it is not a float type we handle. */
    static DType parse(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "F16" -> F16;
            case "BF16" -> BF16;
            case "F64" -> F64;
            default -> null;
        };
    }

    /** Reads {@code n} little-endian values of this type from {@code in} into {@code out}. */
    void decode(ByteBuffer in, float[] out) {
        int n = out.length;
        switch (this) {
            case F32 -> in.asFloatBuffer().get(out);
            case F64 -> { for (int i = 0; i < n; i++) out[i] = (float) in.getDouble(); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(in.getShort()); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((in.getShort() & 0xffff) << 16); }
        }
    }

    /** Writes {@code values} as this type (little-endian) into {@code out}; BF16 rounds to nearest even as PyTorch does. */
    void encode(float[] values, ByteBuffer out) {
        switch (this) {
            case F32 -> { for (float v : values) out.putFloat(v); }
            case F64 -> { for (float v : values) out.putDouble(v); }
            case F16 -> { for (float v : values) out.putShort(Float.floatToFloat16(v)); }
            case BF16 -> { for (float v : values) out.putShort(toBf16(v)); }
        }
    }

    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40); // keep NaN a (quiet) NaN
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
