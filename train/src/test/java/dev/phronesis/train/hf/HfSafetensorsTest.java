package dev.phronesis.train.hf;

import dev.phronesis.core.UserError;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HfSafetensorsTest {
    @TempDir Path dir;

    static Map<String, HostTensor> tensors(long seed, int n) {
        Random r = new Random(seed);
        Map<String, HostTensor> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            int a = 1 + r.nextInt(5), b = 1 + r.nextInt(7);
            float[] v = new float[a * b];
            for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
            m.put("model.layers." + i + ".w", new HostTensor(new long[]{a, b}, v));
        }
        return m;
    }

    @Test void f32RoundTripIsExactAndKeepsOrder() throws Exception {
        var t = tensors(1, 6);
        HfSafetensors.write(dir.resolve("x.safetensors"), t, DType.F32, Map.of("format", "pt"));
        try (var s = HfSafetensors.openFile(dir.resolve("x.safetensors"))) {
            assertThat(s.names()).containsExactlyElementsOf(t.keySet());
            assertThat(s.readAll()).isEqualTo(t);
        }
    }

    @Test void bf16AndF16AreConvertedToF32WithinTheirPrecision() throws Exception {
        var t = tensors(2, 3);
        for (DType d : List.of(DType.BF16, DType.F16)) {
            Path f = dir.resolve(d + ".safetensors");
            HfSafetensors.write(f, t, d, null);
            double tol = d == DType.BF16 ? 1.0 / 128 : 1.0 / 1024; // 8 and 11 significant bits
            try (var s = HfSafetensors.openFile(f)) {
                assertThat(s.entry(t.keySet().iterator().next()).dtype()).isEqualTo(d.name());
                for (var e : t.entrySet()) {
                    float[] got = s.read(e.getKey()).data();
                    for (int i = 0; i < got.length; i++) {
                        float want = e.getValue().data()[i];
                        assertThat((double) Math.abs(got[i] - want)).isLessThanOrEqualTo(tol * Math.max(1, Math.abs(want)));
                    }
                }
            }
        }
    }

    @Property(tries = 300) void bf16RoundsToNearestEven(@ForAll float v) {
        if (Float.isNaN(v)) { assertThat(Float.isNaN(Float.intBitsToFloat((DType.toBf16(v) & 0xffff) << 16))).isTrue(); return; }
        float back = Float.intBitsToFloat((DType.toBf16(v) & 0xffff) << 16);
        // no other bf16 value is nearer to v
        int bits = DType.toBf16(v) & 0xffff;
        for (int d : new int[]{-1, 1}) {
            float other = Float.intBitsToFloat(((bits + d) & 0xffff) << 16);
            if (Float.isFinite(other) && Float.isFinite(back))
                assertThat(Math.abs((double) other - v)).isGreaterThanOrEqualTo(Math.abs((double) back - v));
        }
    }

    @Test void shardedWritesIndexAndReadsBack() throws Exception {
        var t = tensors(3, 10);
        var files = HfSafetensors.writeModel(dir, t, DType.F32, 200); // ~1-2 tensors per shard
        assertThat(files.size()).isGreaterThan(3);
        assertThat(dir.resolve(HfSafetensors.INDEX)).exists();
        assertThat(dir.resolve(HfSafetensors.SINGLE)).doesNotExist();
        var index = HfSafetensors.JSON.readTree(dir.resolve(HfSafetensors.INDEX).toFile());
        long total = t.values().stream().mapToLong(x -> 4L * x.data().length).sum();
        assertThat(index.path("metadata").path("total_size").asLong()).isEqualTo(total);
        try (var s = HfSafetensors.openDir(dir)) {
            assertThat(s.readAll()).isEqualTo(t);
            assertThat(s.entry("model.layers.9.w").file().getFileName().toString()).matches("model-000\\d\\d-of-000\\d\\d\\.safetensors");
        }
        // re-saving small removes the stale index so the single file wins
        HfSafetensors.writeModel(dir, t, DType.F32, HfSafetensors.DEFAULT_SHARD_BYTES);
        assertThat(dir.resolve(HfSafetensors.INDEX)).doesNotExist();
        try (var s = HfSafetensors.openDir(dir)) { assertThat(s.readAll()).isEqualTo(t); }
    }

    @Test void missingShardIsNamed() throws Exception {
        var files = HfSafetensors.writeModel(dir, tensors(4, 6), DType.F32, 100);
        String second = files.get(1).getFileName().toString();
        Files.delete(files.get(1));
        assertThatThrownBy(() -> HfSafetensors.openDir(dir)).isInstanceOf(UserError.class)
                .hasMessageContaining(HfSafetensors.INDEX).hasMessageContaining("shard '" + second + "'").hasMessageContaining("missing");
    }

    @Test void indexPointingAtTheWrongShardIsNamed() throws Exception {
        var files = HfSafetensors.writeModel(dir, tensors(5, 4), DType.F32, 100);
        Path idx = dir.resolve(HfSafetensors.INDEX);
        var index = (com.fasterxml.jackson.databind.node.ObjectNode) HfSafetensors.JSON.readTree(idx.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) index.get("weight_map")).put("model.layers.0.w", files.get(1).getFileName().toString());
        Files.writeString(idx, index.toString());
        assertThatThrownBy(() -> HfSafetensors.openDir(dir)).isInstanceOf(UserError.class)
                .hasMessageContaining("weight_map['model.layers.0.w']").hasMessageContaining("no such tensor");
    }

    @Test void corruptFilesGiveOneLineErrors() throws Exception {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, new byte[]{1, 2, 3});
        assertThatThrownBy(() -> HfSafetensors.openFile(f)).isInstanceOf(UserError.class).hasMessageContaining("not a safetensors file");
        // offsets that overrun the file
        byte[] header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}".getBytes();
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(f, b.array());
        assertThatThrownBy(() -> HfSafetensors.openFile(f)).isInstanceOf(UserError.class).hasMessageContaining("tensor 'w'").hasMessageContaining("data_offsets");
        assertThatThrownBy(() -> HfSafetensors.openDir(dir)).isInstanceOf(UserError.class).hasMessageContaining("no model.safetensors");
    }

    @Test void unsupportedDtypeIsNamedOnRead() throws Exception {
        byte[] header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}".getBytes();
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Path f = dir.resolve("i.safetensors");
        Files.write(f, b.array());
        try (var s = HfSafetensors.openFile(f)) {
            assertThatThrownBy(() -> s.read("ids")).isInstanceOf(UserError.class).hasMessageContaining("dtype I64");
        }
    }
}
