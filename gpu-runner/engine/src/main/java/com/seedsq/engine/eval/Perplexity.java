package com.seedsq.engine.eval;

import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;

import java.util.List;

/**
 * Perplexity with the protocol of the shared reference (data/README.md), which follows GPTQ/SmoothQuant's
 * non-overlapping windows but keeps a BOS in every window, as llama2.c-trained models expect one:
 * <ul>
 *   <li>the text is encoded once, with BOS; {@code stream} = the ids after that BOS;</li>
 *   <li>window w = {@code [BOS] + stream[(seqLen-1) w : (seqLen-1)(w+1)]} (the last one may be shorter);</li>
 *   <li>logits at window position i score token i+1, for every position: each stream token is scored once;</li>
 *   <li>PPL = exp(sum NLL / count), NLL from a float64 log-softmax.</li>
 * </ul>
 */
public final class Perplexity {

    /** Called after each window with (windows done, windows in all). */
    @FunctionalInterface
    public interface Progress {
        void windowDone(int done, int total);
    }

    private final Transformer model;
    private final int bos;
    private final Progress progress;

    public Perplexity(Transformer model, int bos) {
        this(model, bos, (done, total) -> { });
    }

    private Perplexity(Transformer model, int bos, Progress progress) {
        this.model = model;
        this.bos = bos;
        this.progress = progress;
    }

    public Perplexity withProgress(Progress listener) {
        return new Perplexity(model, bos, listener);
    }

    /**
     * @param idsWithBos the whole text's encoding, starting with BOS
     * @param maxTokens  evaluate at most this many stream tokens (after BOS); {@code <= 0} for all
     */
    public PerplexityResult evaluate(int[] idsWithBos, int seqLen, long maxTokens) {
        if (idsWithBos.length == 0 || idsWithBos[0] != bos) {
            throw new IllegalArgumentException("ids must start with BOS " + bos);
        }
        long available = idsWithBos.length - 1L;
        int total = (int) (maxTokens > 0 ? Math.min(maxTokens, available) : available);
        Accumulator acc = new Accumulator();
        int per = seqLen - 1;
        KvCache cache = model.newCache(seqLen);
        int windows = (total + per - 1) / per;
        for (int w = 0; w < windows; w++) {
            int from = w * per;
            int len = Math.min(per, total - from);
            int[] window = new int[len + 1];
            window[0] = bos;
            System.arraycopy(idsWithBos, 1 + from, window, 1, len);
            scoreWindow(cache, window, acc);
            progress.windowDone(w + 1, windows);
        }
        return acc.result();
    }

    /** Each sequence (starting with BOS) on its own, e.g. one story per window; longer ones are cut into windows. */
    public PerplexityResult evaluateSequences(List<int[]> sequencesWithBos, int seqLen) {
        Accumulator acc = new Accumulator();
        KvCache cache = model.newCache(seqLen);
        for (int[] seq : sequencesWithBos) {
            int per = seqLen - 1;
            for (int from = 0; from < seq.length - 1; from += per) {
                int len = Math.min(per, seq.length - 1 - from);
                int[] window = new int[len + 1];
                window[0] = bos;
                System.arraycopy(seq, 1 + from, window, 1, len);
                scoreWindow(cache, window, acc);
            }
        }
        return acc.result();
    }

    private void scoreWindow(KvCache cache, int[] window, Accumulator acc) {
        cache.clear();
        float[] logits = model.forward(cache, window, true);
        int vocab = model.config().vocabSize();
        for (int i = 0; i + 1 < window.length; i++) {
            acc.nll += -logSoftmax(logits, i * vocab, vocab, window[i + 1]);
            acc.count++;
        }
        acc.windows++;
    }

    /** log p(target) from one row of logits, in double: stable log-sum-exp around the row maximum. */
    static double logSoftmax(float[] logits, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, logits[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(logits[off + j] - max);
        }
        return logits[off + target] - max - Math.log(sum);
    }

    private static final class Accumulator {
        double nll;
        long count;
        int windows;

        PerplexityResult result() {
            return new PerplexityResult(count == 0 ? Double.NaN : Math.exp(nll / count), nll, count, windows);
        }
    }
}
