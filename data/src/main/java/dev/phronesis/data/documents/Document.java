package dev.phronesis.data.documents;

/**
 * One realised document. {@code constitution} is the constitution's {@code id@version#hash12} and
 * {@code constitutionHash} its full hash, so a document can always be traced to what it explains.
 */
public record Document(String id, DocumentSpec spec, String title, String text, int words, String realiser,
                       String constitution, String constitutionHash, String taxonomyHash) {}
