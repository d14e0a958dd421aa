package com.seedsq.engine.smoothquant;

/**
 * Perplexity evaluation on the <em>head</em> of the token stream (the protocol of {@code eval.Perplexity}): windows
 * of {@code [BOS] + (seqLen-1)} tokens over the first {@code maxTokens} stream tokens ({@code <= 0}: all).
 */
public record EvalSpec(int seqLen, long maxTokens) {

    public EvalSpec {
        if (seqLen < 2) {
            throw new IllegalArgumentException("seqLen must be at least 2, got " + seqLen);
        }
    }

    /** The reference protocol for stories260K on WikiText-2: 128 windows of 256 = 32,640 scored tokens. */
    public static EvalSpec reference() {
        return new EvalSpec(256, 32_640);
    }
}
