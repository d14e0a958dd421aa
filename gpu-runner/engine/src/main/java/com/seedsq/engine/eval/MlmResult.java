package com.seedsq.engine.eval;

/**
 * @param accuracy         top-1 predictions equal to the original id, over all masked positions
 * @param pseudoPerplexity {@code exp(nll / count)}
 * @param nll              summed negative log-likelihood (natural log) of the original ids at the masked positions
 * @param count            masked positions scored
 * @param correct          masked positions predicted correctly
 * @param sequences        sequences evaluated
 */
public record MlmResult(double accuracy, double pseudoPerplexity, double nll, long count, long correct,
                        int sequences) {
}
