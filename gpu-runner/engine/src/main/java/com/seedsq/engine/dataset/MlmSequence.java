package com.seedsq.engine.dataset;

/**
 * One masked-LM evaluation sequence: the framed ids ({@code [CLS] block [SEP]}), the same ids with the chosen
 * positions replaced by {@code [MASK]}, and those positions in ascending order.
 */
public record MlmSequence(int index, int[] original, int[] masked, int[] maskPositions) {
}
