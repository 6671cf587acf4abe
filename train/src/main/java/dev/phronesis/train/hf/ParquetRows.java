package dev.phronesis.train.hf;

import dev.phronesis.core.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Parquet dataset (ours, or one written by pandas / pyarrow / {@code datasets}) as one JSON object
 * per row, through DuckDB's Parquet reader (any compression and encoding, nested {@code messages} lists of
 * structs included), so it goes through the same parsing as a JSONL line.
 */
public final class ParquetRows {
    /** "PAR1": the first and last four bytes of every Parquet file. */
    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};

    private ParquetRows() {}

    /** Whether the file starts with the Parquet magic bytes. */
    public static boolean isParquet(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            return java.util.Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    /** Every row as a JSON object (column name → value; nested lists and structs as JSON arrays and objects). */
    public static List<String> readAsJson(Path f) {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             PreparedStatement s = c.prepareStatement("SELECT to_json(t)::VARCHAR FROM read_parquet(?) t")) {
            s.setString(1, f.toAbsolutePath().toString());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) out.add(r.getString(1));
            }
        } catch (SQLException e) {
            throw new UserError(f + ": cannot read as Parquet: " + HfSafetensors.firstLine(e));
        }
        return out;
    }
}
