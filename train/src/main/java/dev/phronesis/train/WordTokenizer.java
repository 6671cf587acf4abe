package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The organism's tokenizer: word-level with a leading-space marker and character fallback, built
 * from the training corpus.
 *
 * <p>Text is cut into pieces: a special token, an optional single space followed by a run of
 * letters/digits/underscores ({@code " word"}), an optional space followed by one other visible
 * character ({@code " ("}), or one whitespace character. Each piece that is in the vocabulary is one
 * token; any other piece is spelled character by character (every character of the corpus is in the
 * vocabulary), and only a character never seen in the corpus becomes {@code <|unk|>}. So decoding is
 * exact concatenation, and {@code decode(encode(s)) == s} for any text over the corpus' characters.
 */
public final class WordTokenizer implements Tokenizer {
    public static final String FILE = "phronesis-vocab.json";
    public static final String PAD = "<|pad|>", UNK = "<|unk|>", BOS = "<|bos|>", END = "<|end|>",
            SYSTEM = "<|system|>", USER = "<|user|>", ASSISTANT = "<|assistant|>", TOOL = "<|tool|>",
            THINK = "<think>", END_THINK = "</think>";
    /** Special tokens, ids 0..9 in this order. {@code <|end|>} ends a turn and a document. */
    public static final List<String> SPECIALS = List.of(PAD, UNK, BOS, END, SYSTEM, USER, ASSISTANT, TOOL, THINK, END_THINK);

    private static final Pattern PIECE;
    static {
        StringBuilder sp = new StringBuilder();
        for (String s : SPECIALS) sp.append(Pattern.quote(s)).append('|');
        PIECE = Pattern.compile(sp + " ?[\\p{L}\\p{N}_]+| ?[^\\s\\p{L}\\p{N}_]|\\s", Pattern.UNICODE_CHARACTER_CLASS);
    }

    private final List<String> tokens;
    private final Map<String, Integer> ids;

    private WordTokenizer(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        this.ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.put(tokens.get(i), i) != null) throw new IllegalArgumentException("duplicate token " + tokens.get(i));
        }
        for (int i = 0; i < SPECIALS.size(); i++) {
            if (!SPECIALS.get(i).equals(tokens.get(i))) throw new IllegalArgumentException("special token " + i + " must be " + SPECIALS.get(i));
        }
    }

    /**
     * Builds a vocabulary: the specials, every character of the corpus, then the most frequent pieces
     * (at least {@code minCount} occurrences) until {@code maxVocab} tokens.
     */
    public static WordTokenizer build(Collection<String> corpus, int maxVocab, int minCount) {
        if (maxVocab <= SPECIALS.size()) throw new IllegalArgumentException("max vocab must exceed " + SPECIALS.size() + ", got " + maxVocab);
        if (minCount < 1) throw new IllegalArgumentException("min count must be >= 1, got " + minCount);
        Map<String, Integer> counts = new HashMap<>();
        TreeSet<String> chars = new TreeSet<>();
        for (String doc : corpus) {
            doc.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
            Matcher m = PIECE.matcher(doc);
            while (m.find()) counts.merge(m.group(), 1, Integer::sum);
        }
        List<String> out = new ArrayList<>(SPECIALS);
        for (String c : chars) if (!SPECIALS.contains(c)) out.add(c);
        var seen = new java.util.HashSet<>(out);
        counts.entrySet().stream()
                .filter(e -> e.getValue() >= minCount && !seen.contains(e.getKey()))
                .sorted(Comparator.<Map.Entry<String, Integer>>comparingInt(Map.Entry::getValue).reversed().thenComparing(Map.Entry::getKey))
                .limit(Math.max(0, maxVocab - out.size()))
                .forEach(e -> out.add(e.getKey()));
        return new WordTokenizer(out);
    }

    @Override public int[] encode(String text) {
        int[] buf = new int[Math.max(16, text.length())];
        int n = 0;
        Matcher m = PIECE.matcher(text);
        while (m.find()) {
            String piece = m.group();
            Integer id = ids.get(piece);
            if (id != null) {
                if (n == buf.length) buf = java.util.Arrays.copyOf(buf, n * 2);
                buf[n++] = id;
                continue;
            }
            Integer bare = piece.length() > 1 && piece.charAt(0) == ' ' ? ids.get(piece.substring(1)) : null;
            Integer space = ids.get(" ");
            if (bare != null && space != null) { // " word" unseen with its space, but "word" known
                if (n + 2 > buf.length) buf = java.util.Arrays.copyOf(buf, n * 2 + 2);
                buf[n++] = space;
                buf[n++] = bare;
                continue;
            }
            for (int i = 0; i < piece.length(); ) {
                int cp = piece.codePointAt(i);
                String c = new String(Character.toChars(cp));
                if (n == buf.length) buf = java.util.Arrays.copyOf(buf, n * 2);
                buf[n++] = ids.getOrDefault(c, 1);
                i += Character.charCount(cp);
            }
        }
        return java.util.Arrays.copyOf(buf, n);
    }

    @Override public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= tokens.size()) throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + tokens.size());
            if (id == 0) continue; // padding carries no text
            sb.append(tokens.get(id));
        }
        return sb.toString();
    }

    @Override public int vocabSize() { return tokens.size(); }

    @Override public int specialId(String token) {
        int i = SPECIALS.indexOf(token);
        return i;
    }

    public String token(int id) { return tokens.get(id); }

    @Override public void save(Path checkpointDir) throws IOException {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("type", "phronesis-word-level");
        n.put("version", 1);
        var arr = n.putArray("tokens");
        tokens.forEach(arr::add);
        Files.writeString(checkpointDir.resolve(FILE), Json.MAPPER.writeValueAsString(n) + "\n");
    }

    public static WordTokenizer read(Path file) {
        try {
            JsonNode n = Json.MAPPER.readTree(file.toFile());
            if (!"phronesis-word-level".equals(n.path("type").asText()))
                throw new UserError(file + ": field 'type' must be phronesis-word-level");
            List<String> toks = new ArrayList<>();
            n.path("tokens").forEach(t -> toks.add(t.asText()));
            return new WordTokenizer(toks);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read vocabulary: " + Json.oneLine(e));
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": " + e.getMessage());
        }
    }
}
