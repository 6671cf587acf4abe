package dev.phronesis.cli.models;

import dev.phronesis.core.UserError;
import dev.phronesis.data.distill.JournaledModel;
import dev.phronesis.eval.RecordedAnswers;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.llm.ModelSpec;
import dev.phronesis.train.EmbeddedStudent;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one resolver of {@link ModelRef}s, used by every command and stage: what a reference
 * resolves to ({@link #identity}, which stage keys use instead of a catalog name), opening it, and
 * opening it through the run's {@link LlmEngine} journal. In a rehearsal every remote model is
 * replaced by the same model name on a local test server.
 */
public final class Models implements AutoCloseable {
    private final ModelCatalog catalog;
    private final Path journal;
    private final String rehearsalUrl;
    private final List<ChatModel> opened = new ArrayList<>();
    private LlmEngine engine;

    /**
     * @param catalog      the models file the user named, or null
     * @param journal      where the run's llm journal lives (null: calls are not journaled)
     * @param rehearsalUrl base URL of the local test server standing in for every remote model, or null
     */
    public Models(ModelCatalog catalog, Path journal, String rehearsalUrl) {
        this.catalog = catalog;
        this.journal = journal;
        this.rehearsalUrl = rehearsalUrl;
    }

    /** Resolver for a command's {@code --models FILE} flag (null: no file; {@code ./models.yaml} is never read unasked). */
    public static Models of(Path modelsFile) {
        return new Models(modelsFile == null ? null : ModelCatalog.load(modelsFile), null, null);
    }

    public ModelRef ref(String text) { return ModelRef.parse(text, catalog); }

    /** The remote spec a reference stands for (null for scripted, embedded and recorded answers). */
    public ModelSpec spec(ModelRef ref) {
        return switch (ref) {
            case ModelRef.Catalog c -> catalog.spec(c.name());
            case ModelRef.Inline i -> ModelCatalog.parseSpec(i.spec());
            case ModelRef.Scripted s -> null;
            case ModelRef.Embedded e -> null;
            case ModelRef.Answers a -> null;
        };
    }

    /**
     * What the reference resolves to, as plain values for stage keys: backend, model, base URL
     * (without credentials) and the catalog's request parameters for a remote model; the checkpoint
     * path for an embedded one; the content hash of recorded answers.
     */
    public Map<String, Object> identity(ModelRef ref) {
        Map<String, Object> m = new TreeMap<>();
        switch (ref) {
            case ModelRef.Scripted s -> m.put("kind", "scripted");
            case ModelRef.Embedded e -> {
                m.put("kind", "embedded");
                m.put("dir", e.dir().toAbsolutePath().normalize().toString());
            }
            case ModelRef.Answers a -> {
                m.put("kind", "answers");
                m.put("sha256", sha256(a.file()));
            }
            case ModelRef.Catalog c -> remote(m, spec(c));
            case ModelRef.Inline i -> remote(m, spec(i));
        }
        return m;
    }

    private void remote(Map<String, Object> m, ModelSpec s) {
        m.put("kind", "remote");
        m.put("backend", s.backend().wire());
        m.put("model", s.model());
        m.put("base_url", rehearsalUrl != null ? "rehearsal" : s.baseUrl() == null ? "" : withoutUserInfo(s.baseUrl()));
        m.put("params", new TreeMap<>(s.params()));
    }

    /** Opens the model itself (no journal); closed with this resolver. */
    public ChatModel open(ModelRef ref) {
        ChatModel m = switch (ref) {
            case ModelRef.Scripted s -> throw new UserError("model 'scripted' is not a chat model here; name a model (" + ModelRef.FORMS + ")");
            case ModelRef.Answers a -> RecordedAnswers.load(a.file());
            case ModelRef.Embedded e -> {
                if (!Files.exists(e.dir())) throw new UserError("model " + e.text() + ": no such checkpoint " + e.dir());
                yield EmbeddedStudent.load(e.dir());
            }
            case ModelRef.Catalog c -> rehearsalUrl != null ? rehearsal(spec(c)) : catalog.open(c.name());
            case ModelRef.Inline i -> rehearsalUrl != null ? rehearsal(spec(i)) : ModelCatalog.openSpec(i.spec());
        };
        synchronized (opened) { opened.add(m); }
        return m;
    }

    private ChatModel rehearsal(ModelSpec s) {
        return ModelCatalog.openSpec((s.backend().isAnthropic() ? "anthropic:" : "openai:") + s.model() + "@" + rehearsalUrl);
    }

    /** Opens the model with every call going through the run's journal (no paid call twice). */
    public ChatModel journaled(ModelRef ref) {
        if (journal == null) throw new IllegalStateException("no journal for this resolver");
        return new JournaledModel(engine(), open(ref));
    }

    /** The run's engine, opened on first use (runs that call no model create no journal). */
    public synchronized LlmEngine engine() {
        if (engine == null) engine = LlmEngine.open(journal);
        return engine;
    }

    /** Fails now, clearly, on an unknown name or a missing key variable, before any stage runs. */
    public void check(ModelRef ref) {
        if (ref instanceof ModelRef.Catalog || ref instanceof ModelRef.Inline) {
            if (rehearsalUrl == null) open(ref).close();
        } else if (ref instanceof ModelRef.Embedded e && !Files.exists(e.dir())) {
            throw new UserError("model " + e.text() + ": no such checkpoint " + e.dir());
        } else if (ref instanceof ModelRef.Answers a && !Files.isRegularFile(a.file())) {
            throw new UserError("model " + a.text() + ": no such file " + a.file());
        }
    }

    @Override public synchronized void close() {
        synchronized (opened) {
            for (ChatModel m : opened) m.close();
            opened.clear();
        }
        if (engine != null) engine.close();
        engine = null;
    }

    static String withoutUserInfo(String url) {
        try {
            URI u = URI.create(url);
            if (u.getUserInfo() == null) return url;
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment()).toString();
        } catch (Exception e) {
            return url.replaceFirst("//[^/@]*@", "//");
        }
    }

    private static String sha256(Path f) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (IOException e) {
            throw new UserError(f + ": cannot read: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
