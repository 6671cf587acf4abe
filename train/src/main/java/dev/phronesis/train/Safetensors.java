package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (8-byte little-endian header length, a JSON header of
 * {@code name -> {dtype, shape, data_offsets}}, then raw little-endian data), so that PyTorch,
 * transformers and other tools read our checkpoints. Writes F32; reads F32, F64, F16 and BF16 into F32.
 */
public final class Safetensors {
    /** A tensor in host memory: row-major float data with its shape. */
    public record Tensor(long[] shape, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) n *= d;
            if (n != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
    }

    /** Header sizes beyond this are a corrupt file, not a model (the format's own limit is 100 MB). */
    private static final long MAX_HEADER_BYTES = 100L << 20;

    private Safetensors() {}

    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        ObjectNode header = Json.MAPPER.createObjectNode();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            long bytes = 4L * e.getValue().data().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = Json.MAPPER.writeValueAsBytes(header);
        int pad = (8 - h.length % 8) % 8; // keep data 8-byte aligned, padding the header with spaces as the spec allows
        byte[] hp = Arrays.copyOf(h, h.length + pad);
        Arrays.fill(hp, h.length, hp.length, (byte) ' ');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hp.length).array());
            out.write(hp);
            for (Tensor t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.data());
                out.write(b.array());
            }
        }
    }

    public static Map<String, Tensor> read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > ch.size())
                throw new UserError(file + ": not a safetensors file (header length " + headerLen + ")");
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header = Json.MAPPER.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            long base = 8 + headerLen;
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (var it = header.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode t = e.getValue();
                String dtype = t.path("dtype").asText();
                long[] shape = new long[t.path("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = t.path("shape").get(i).asLong();
                long begin = t.path("data_offsets").get(0).asLong(), end = t.path("data_offsets").get(1).asLong();
                long n = 1;
                for (long d : shape) n *= d;
                int width = switch (dtype) {
                    case "F32" -> 4;
                    case "F64" -> 8;
                    case "F16", "BF16" -> 2;
                    default -> throw new UserError(file + ": tensor '" + e.getKey() + "' has unsupported dtype " + dtype);
                };
                if (end - begin != n * width || base + end > ch.size())
                    throw new UserError(file + ": tensor '" + e.getKey() + "' has inconsistent offsets");
                ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, data, base + begin);
                data.flip();
                float[] f = new float[(int) n];
                switch (dtype) {
                    case "F32" -> data.asFloatBuffer().get(f);
                    case "F64" -> { for (int i = 0; i < n; i++) f[i] = (float) data.getDouble(); }
                    case "F16" -> { for (int i = 0; i < n; i++) f[i] = Float.float16ToFloat(data.getShort()); }
                    default -> { for (int i = 0; i < n; i++) f[i] = Float.intBitsToFloat((data.getShort() & 0xffff) << 16); }
                }
                out.put(e.getKey(), new Tensor(shape, f));
            }
            return out;
        } catch (IOException e) {
            throw new UserError(file + ": cannot read safetensors: " + Json.oneLine(e));
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }
}
