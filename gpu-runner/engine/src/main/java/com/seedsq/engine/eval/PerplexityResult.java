package com.seedsq.engine.eval;

/**
 * @param perplexity {@code exp(nll / count)}
 * @param nll        summed negative log-likelihood (natural log) over all scored tokens
 * @param count      tokens scored
 * @param windows    model calls (sequences) evaluated
 */
public record PerplexityResult(double perplexity, double nll, long count, int windows) {
}
