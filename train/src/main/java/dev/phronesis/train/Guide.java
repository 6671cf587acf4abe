package dev.phronesis.train;

import java.util.BitSet;

/**
 * Guided decoding: which tokens may come next so that the output stays inside a language (a
 * regular expression, a JSON schema, the project's answer ending). The generator masks every other
 * token's logit before sampling, the way vLLM's guided decoding and XGrammar do, so a row that ends
 * normally always parses. A guide is immutable and shared; each row walks it with its own cursor.
 */
public interface Guide {
    Cursor start();

    /** One row's position in the language. */
    interface Cursor {
        /** Token ids that keep the output inside the language (end tokens excluded). */
        BitSet allowed();

        /** Whether the output so far is a complete sentence of the language (an end token may come now). */
        boolean mayEnd();

        /** Whether nothing can follow: the row ends here. */
        boolean complete();

        void advance(int token);
    }
}
