package dev.phronesis.data.distill;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal Apache Parquet writer for flat tables of required UTF-8 string and INT32 columns: one row
 * group, one PLAIN-encoded uncompressed data page (v1) per column, metadata in the Thrift compact
 * protocol as the format specification defines it. Why not parquet-hadoop/parquet-avro: they pull in
 * Hadoop (tens of MB of jars) for what is here a few hundred lines; the tests read our files back with
 * pyarrow where a Python venv is available.
 */
final class ParquetWriter {
    enum Type { STRING, INT32 }

    record Column(String name, Type type) {}

    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    // Parquet enum values (parquet.thrift)
    private static final int T_INT32 = 1, T_BYTE_ARRAY = 6, REQUIRED = 0, CONVERTED_UTF8 = 0, ENC_PLAIN = 0, ENC_RLE = 3, CODEC_UNCOMPRESSED = 0, PAGE_DATA = 0;
    // Thrift compact protocol type ids
    private static final int CT_I32 = 5, CT_I64 = 6, CT_BINARY = 8, CT_LIST = 9, CT_STRUCT = 12;

    private ParquetWriter() {}

    /** Writes {@code rows} (each a list of String / Integer matching {@code columns}) atomically to {@code file}. */
    static void write(Path file, List<Column> columns, List<List<Object>> rows) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try (OutputStream raw = Files.newOutputStream(tmp)) {
            CountingOut out = new CountingOut(raw);
            out.write(MAGIC);
            List<long[]> chunkInfo = new ArrayList<>(); // offset, size
            for (int c = 0; c < columns.size(); c++) {
                ByteArrayOutputStream values = new ByteArrayOutputStream();
                for (List<Object> row : rows) {
                    Object v = row.get(c);
                    if (columns.get(c).type() == Type.STRING) {
                        byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
                        le32(values, b.length);
                        values.write(b);
                    } else {
                        le32(values, (Integer) v);
                    }
                }
                byte[] page = values.toByteArray();
                Compact h = new Compact();
                h.fieldI32(1, PAGE_DATA);
                h.fieldI32(2, page.length);
                h.fieldI32(3, page.length);
                h.structBegin(5);
                h.fieldI32(1, rows.size());
                h.fieldI32(2, ENC_PLAIN);
                h.fieldI32(3, ENC_RLE);
                h.fieldI32(4, ENC_RLE);
                h.structEnd();
                h.stop();
                long offset = out.count;
                out.write(h.bytes());
                out.write(page);
                chunkInfo.add(new long[]{offset, out.count - offset});
            }
            Compact m = new Compact();
            m.fieldI32(1, 1); // version
            m.listBegin(2, CT_STRUCT, columns.size() + 1);
            m.elemBegin();
            m.fieldString(4, "schema");
            m.fieldI32(5, columns.size());
            m.elemEnd();
            for (Column col : columns) {
                m.elemBegin();
                m.fieldI32(1, col.type() == Type.STRING ? T_BYTE_ARRAY : T_INT32);
                m.fieldI32(3, REQUIRED);
                m.fieldString(4, col.name());
                if (col.type() == Type.STRING) m.fieldI32(6, CONVERTED_UTF8);
                m.elemEnd();
            }
            m.fieldI64(3, rows.size());
            m.listBegin(4, CT_STRUCT, 1);
            m.elemBegin(); // RowGroup
            m.listBegin(1, CT_STRUCT, columns.size());
            long total = 0;
            for (int c = 0; c < columns.size(); c++) {
                long[] ci = chunkInfo.get(c);
                total += ci[1];
                m.elemBegin(); // ColumnChunk
                m.fieldI64(2, ci[0]);
                m.structBegin(3); // ColumnMetaData
                m.fieldI32(1, columns.get(c).type() == Type.STRING ? T_BYTE_ARRAY : T_INT32);
                m.listBegin(2, CT_I32, 2);
                m.rawI32(ENC_PLAIN);
                m.rawI32(ENC_RLE);
                m.listBegin(3, CT_BINARY, 1);
                m.rawString(columns.get(c).name());
                m.fieldI32(4, CODEC_UNCOMPRESSED);
                m.fieldI64(5, rows.size());
                m.fieldI64(6, ci[1]);
                m.fieldI64(7, ci[1]);
                m.fieldI64(9, ci[0]);
                m.structEnd();
                m.elemEnd();
            }
            m.fieldI64(2, total);
            m.fieldI64(3, rows.size());
            m.elemEnd();
            m.fieldString(6, "phronesis minimal parquet writer");
            m.stop();
            byte[] meta = m.bytes();
            out.write(meta);
            ByteArrayOutputStream len = new ByteArrayOutputStream();
            le32(len, meta.length);
            out.write(len.toByteArray());
            out.write(MAGIC);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void le32(ByteArrayOutputStream o, int v) {
        o.write(v);
        o.write(v >>> 8);
        o.write(v >>> 16);
        o.write(v >>> 24);
    }

    private static final class CountingOut {
        final OutputStream o;
        long count;

        CountingOut(OutputStream o) { this.o = o; }

        void write(byte[] b) throws IOException {
            o.write(b);
            count += b.length;
        }
    }

    /** Thrift compact protocol, only what the Parquet footer needs. Tracks the last field id per nesting level. */
    private static final class Compact {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();
        private final java.util.ArrayDeque<Integer> lastIds = new java.util.ArrayDeque<>();
        private int lastId;

        byte[] bytes() { return b.toByteArray(); }

        private void header(int id, int type) {
            int delta = id - lastId;
            if (delta > 0 && delta <= 15) b.write(delta << 4 | type);
            else {
                b.write(type);
                varint(zigzag32(id));
            }
            lastId = id;
        }

        void fieldI32(int id, int v) { header(id, CT_I32); varint(zigzag32(v)); }
        void fieldI64(int id, long v) { header(id, CT_I64); varint(zigzag64(v)); }
        void fieldString(int id, String s) { header(id, CT_BINARY); rawString(s); }
        void rawI32(int v) { varint(zigzag32(v)); }

        void rawString(String s) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            varint(x.length);
            b.writeBytes(x);
        }

        void listBegin(int id, int elemType, int size) {
            header(id, CT_LIST);
            if (size < 15) b.write(size << 4 | elemType);
            else {
                b.write(0xF0 | elemType);
                varint(size);
            }
        }

        void structBegin(int id) { header(id, CT_STRUCT); elemBegin(); }
        void structEnd() { elemEnd(); }
        void elemBegin() { lastIds.push(lastId); lastId = 0; }
        void elemEnd() { b.write(0); lastId = lastIds.pop(); }
        void stop() { b.write(0); }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                b.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            b.write((int) v);
        }

        private static long zigzag32(int n) { return ((n << 1) ^ (n >> 31)) & 0xFFFFFFFFL; }
        private static long zigzag64(long n) { return (n << 1) ^ (n >> 63); }
    }
}
