package dev.phronesis.core.records;

/** A deliberation's judgement of one harm factor or benefit: the level (number and label) and a one-line rationale. */
public record FactorAssessment(String factor, int level, String label, String rationale) {}
