package dev.phronesis.train.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Hugging Face weights on disk: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}'s {@code weight_map}. The format is an 8-byte little-endian
 * header length, a JSON header {@code name -> {dtype, shape, data_offsets}} (plus {@code __metadata__}),
 * then raw little-endian data.
 *
 * <p>Reading maps each tensor's bytes read-only ({@link FileChannel#map}) and converts F16/BF16/F64
 * to float32 on the CPU; nothing is loaded until asked for. Writing is atomic per file (temp + move).
 */
public final class HfSafetensors implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** Headers beyond this are a corrupt file, not a model (the format itself caps headers at 100 MB). */
    private static final long MAX_HEADER_BYTES = 100L << 20;
    /** transformers' default shard size for save_pretrained, in bytes (5 GB). */
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;
    static final ObjectMapper JSON = dev.phronesis.core.Json.MAPPER;

    /** The package's Jackson mapper, for sibling packages. */
    public static ObjectMapper JSON_MAPPER() { return JSON; }

    /** Where one tensor's bytes are: absolute offsets into {@code file}. */
    public record Entry(String name, String dtype, long[] shape, Path file, long begin, long end) {
        public long[] shape() { return shape.clone(); }
    }

    private final Path source;
    private final Map<String, Entry> entries;
    private final Map<Path, FileChannel> channels;

    private HfSafetensors(Path source, Map<String, Entry> entries, Map<Path, FileChannel> channels) {
        this.source = source;
        this.entries = Collections.unmodifiableMap(entries);
        this.channels = channels;
    }

    /** Every tensor of one safetensors file as float32, in file order (optimizer state, organism checkpoints). */
    public static Map<String, HostTensor> readFile(Path file) {
        try (HfSafetensors f = openFile(file)) {
            return f.readAll();
        }
    }

    /** Opens the weights of a model directory (sharded with index, or single file). */
    public static HfSafetensors openDir(Path dir) {
        Path index = dir.resolve(INDEX), single = dir.resolve(SINGLE);
        if (Files.isRegularFile(index)) return openIndex(index);
        if (Files.isRegularFile(single)) return openFile(single);
        String hint = Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))
                ? " (pytorch_model.bin is not read: re-save it with save_pretrained(..., safe_serialization=True))" : "";
        throw new UserError(dir + ": no " + SINGLE + " or " + INDEX + hint);
    }

    /** Opens one safetensors file. */
    public static HfSafetensors openFile(Path file) {
        Map<Path, FileChannel> chans = new LinkedHashMap<>();
        try {
            Map<String, Entry> entries = new LinkedHashMap<>();
            readHeader(file, chans, entries);
            return new HfSafetensors(file, entries, chans);
        } catch (RuntimeException e) {
            closeAll(chans);
            throw e;
        }
    }

    /** Opens the shards named by an index file; every shard must exist and hold the tensors the index assigns to it. */
    public static HfSafetensors openIndex(Path indexFile) {
        JsonNode index;
        try {
            index = JSON.readTree(indexFile.toFile());
        } catch (IOException e) {
            throw new UserError(indexFile + ": not valid JSON: " + firstLine(e));
        }
        JsonNode map = index.path("weight_map");
        if (!map.isObject() || map.isEmpty()) throw new UserError(indexFile + ": field 'weight_map' must be a non-empty object");
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (var it = map.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual()) throw new UserError(indexFile + ": weight_map['" + e.getKey() + "'] must be a file name");
            weightMap.put(e.getKey(), e.getValue().asText());
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<Path, FileChannel> chans = new LinkedHashMap<>();
        try {
            Map<String, Map<String, Entry>> byShard = new TreeMap<>();
            for (var e : weightMap.entrySet()) {
                String shard = e.getValue();
                if (!byShard.containsKey(shard)) {
                    Path f = dir.resolve(shard).normalize();
                    if (!f.startsWith(dir)) throw new UserError(indexFile + ": weight_map['" + e.getKey() + "'] names a file outside the model directory: " + shard);
                    if (!Files.isRegularFile(f))
                        throw new UserError(indexFile + ": shard '" + shard + "' (weight_map['" + e.getKey() + "']) is missing");
                    Map<String, Entry> got = new LinkedHashMap<>();
                    readHeader(f, chans, got);
                    byShard.put(shard, got);
                }
            }
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (var e : weightMap.entrySet()) {
                Entry en = byShard.get(e.getValue()).get(e.getKey());
                if (en == null) throw new UserError(indexFile + ": weight_map['" + e.getKey() + "'] points to '" + e.getValue() + "', which has no such tensor");
                entries.put(e.getKey(), en);
            }
            return new HfSafetensors(indexFile, entries, chans);
        } catch (RuntimeException e) {
            closeAll(chans);
            throw e;
        }
    }

    private static void readHeader(Path file, Map<Path, FileChannel> chans, Map<String, Entry> out) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            chans.put(file, ch);
            long size = ch.size();
            if (size < 8) throw new UserError(file + ": not a safetensors file (" + size + " bytes)");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long headerLen = len.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size)
                throw new UserError(file + ": not a safetensors file (header length " + headerLen + " in a file of " + size + " bytes)");
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UserError(file + ": safetensors header is not valid JSON: " + firstLine(e));
            }
            if (!header.isObject()) throw new UserError(file + ": safetensors header must be a JSON object");
            long base = 8 + headerLen;
            for (var it = header.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                String name = e.getKey();
                if (name.equals("__metadata__")) continue;
                JsonNode t = e.getValue();
                String dtype = t.path("dtype").asText("");
                JsonNode shapeNode = t.path("shape"), offs = t.path("data_offsets");
                if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2)
                    throw new UserError(file + ": tensor '" + name + "' needs 'shape' and two 'data_offsets'");
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong(-1);
                long begin = offs.get(0).asLong(-1), end = offs.get(1).asLong(-1);
                DType d = DType.parse(dtype);
                long expect = d == null ? -1 : HostTensor.elements(shape) * d.bytes();
                if (begin < 0 || end < begin || base + end > size || (expect >= 0 && end - begin != expect))
                    throw new UserError(file + ": tensor '" + name + "' has data_offsets [" + begin + ", " + end + "] that do not fit its "
                            + dtype + " shape " + Arrays.toString(shape) + " in a file of " + size + " bytes");
                out.put(name, new Entry(name, dtype, shape, file, base + begin, base + end));
            }
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": missing");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + firstLine(e));
        }
    }

    public Path source() { return source; }

    /** Tensor names in file order. */
    public Set<String> names() { return entries.keySet(); }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new UserError(source + ": no tensor '" + name + "'");
        return e;
    }

    public boolean has(String name) { return entries.containsKey(name); }

    /** The tensor as float32 (F16, BF16 and F64 converted on the CPU). */
    public HostTensor read(String name) {
        Entry e = entry(name);
        DType d = DType.parse(e.dtype());
        if (d == null) throw new UserError(e.file() + ": tensor '" + name + "' has dtype " + e.dtype() + "; only F32, F16, BF16 and F64 are read");
        long n = HostTensor.elements(e.shape);
        if (n > Integer.MAX_VALUE - 8) throw new UserError(e.file() + ": tensor '" + name + "' has " + n + " elements, more than one Java array holds");
        try {
            ByteBuffer mapped = channels.get(e.file()).map(FileChannel.MapMode.READ_ONLY, e.begin(), e.end() - e.begin()).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[(int) n];
            d.decode(mapped, out);
            return new HostTensor(e.shape, out);
        } catch (IOException ex) {
            throw new UserError(e.file() + ": cannot read tensor '" + name + "': " + firstLine(ex));
        }
    }

    /** Every tensor as float32, in file order. */
    public Map<String, HostTensor> readAll() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String n : entries.keySet()) out.put(n, read(n));
        return out;
    }

    @Override public void close() { closeAll(channels); }

    private static void closeAll(Map<Path, FileChannel> chans) {
        for (FileChannel c : chans.values()) {
            try { c.close(); } catch (IOException ignored) { /* read-only channel: nothing to lose */ }
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes one safetensors file atomically. Tensors keep the map's order. */
    public static void write(Path file, Map<String, HostTensor> tensors, DType dtype, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            long bytes = (long) dtype.bytes() * e.getValue().data().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int pad = (8 - h.length % 8) % 8; // 8-byte aligned data; the spec allows trailing spaces in the header
        byte[] hp = Arrays.copyOf(h, h.length + pad);
        Arrays.fill(hp, h.length, hp.length, (byte) ' ');
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, hp.length));
            writeFully(out, ByteBuffer.wrap(hp));
            for (HostTensor t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(dtype.bytes() * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                dtype.encode(t.data(), b);
                writeFully(out, b.flip());
            }
            out.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Writes model weights as transformers' {@code save_pretrained} does: one {@code model.safetensors}
     * when they fit in {@code maxShardBytes}, else {@code model-0000i-of-0000n.safetensors} plus the index.
     * Returns the files written.
     */
    public static List<Path> writeModel(Path dir, Map<String, HostTensor> tensors, DType dtype, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
        List<Map<String, HostTensor>> shards = new ArrayList<>();
        Map<String, HostTensor> cur = new LinkedHashMap<>();
        long curBytes = 0, total = 0;
        for (var e : tensors.entrySet()) {
            long b = (long) dtype.bytes() * e.getValue().data().length;
            if (!cur.isEmpty() && curBytes + b > maxShardBytes) {
                shards.add(cur);
                cur = new LinkedHashMap<>();
                curBytes = 0;
            }
            cur.put(e.getKey(), e.getValue());
            curBytes += b;
            total += b;
        }
        if (!cur.isEmpty()) shards.add(cur);
        Map<String, String> md = Map.of("format", "pt"); // transformers checks for this on load
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        if (shards.size() <= 1) {
            Path f = dir.resolve(SINGLE);
            write(f, shards.isEmpty() ? Map.of() : shards.get(0), dtype, md);
            Files.deleteIfExists(dir.resolve(INDEX)); // a stale index would win over the single file
            written.add(f);
            return written;
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode wm = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path f = dir.resolve(name);
            write(f, shards.get(i), dtype, md);
            for (String k : shards.get(i).keySet()) wm.put(k, name);
            written.add(f);
        }
        Path idx = dir.resolve(INDEX);
        Path tmp = Files.createTempFile(dir, "." + INDEX, ".tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
        Files.move(tmp, idx, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(dir.resolve(SINGLE));
        written.add(idx);
        return written;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
