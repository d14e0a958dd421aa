package com.seedsq.engine.eval;

import com.seedsq.engine.dataset.MlmSequence;
import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;

import java.util.List;

/**
 * Masked-LM evaluation with the protocol of the shared reference (data/README.md, "Masked-LM (BERT)"): each
 * sequence runs once with its masked ids; at every masked position the top-1 prediction is compared with the
 * original id (accuracy) and the original id's NLL is taken from a float64 log-softmax; pseudo-perplexity is
 * {@code exp(mean NLL)} over all masked positions of all sequences. Only the masked rows go through the MLM head.
 */
public final class MaskedLm {

    /** Called after each sequence with (sequences done, sequences in all). */
    @FunctionalInterface
    public interface Progress {
        void sequenceDone(int done, int total);
    }

    private final Transformer model;
    private final Progress progress;

    public MaskedLm(Transformer model) {
        this(model, (done, total) -> { });
    }

    private MaskedLm(Transformer model, Progress progress) {
        if (model.family().causal()) {
            throw new IllegalArgumentException(model.family().name() + " is a causal decoder; the masked-LM metric "
                    + "needs a bidirectional encoder (use perplexity)");
        }
        this.model = model;
        this.progress = progress;
    }

    public MaskedLm withProgress(Progress listener) {
        return new MaskedLm(model, listener);
    }

    public MlmResult evaluate(List<MlmSequence> sequences) {
        int maxLen = 0;
        for (MlmSequence s : sequences) {
            maxLen = Math.max(maxLen, s.masked().length);
        }
        KvCache cache = model.newCache(maxLen);
        int vocab = model.config().vocabSize();
        double nll = 0;
        long count = 0, correct = 0;
        for (int k = 0; k < sequences.size(); k++) {
            MlmSequence s = sequences.get(k);
            float[] logits = logitsAtMasks(cache, s);
            for (int j = 0; j < s.maskPositions().length; j++) {
                int target = s.original()[s.maskPositions()[j]];
                int off = j * vocab;
                if (argmax(logits, off, vocab) == target) {
                    correct++;
                }
                nll += logSumExp(logits, off, vocab) - logits[off + target];
                count++;
            }
            progress.sequenceDone(k + 1, sequences.size());
        }
        return new MlmResult(count == 0 ? Double.NaN : correct / (double) count,
                count == 0 ? Double.NaN : Math.exp(nll / count), nll, count, correct, sequences.size());
    }

    /** Logits [masks, vocab] at the masked positions of one sequence (for inspection and reference checks). */
    public float[] logitsAtMasks(MlmSequence s) {
        return logitsAtMasks(model.newCache(s.masked().length), s);
    }

    private float[] logitsAtMasks(KvCache cache, MlmSequence s) {
        cache.clear();
        return model.forward(cache, s.masked(), s.maskPositions());
    }

    /** Index of the largest logit; the lowest index wins a tie. */
    public static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            if (logits[off + j] > logits[off + best]) {
                best = j;
            }
        }
        return best;
    }

    /** {@code log Σ exp(logit)} of one row, in double, around the row maximum. */
    public static double logSumExp(float[] logits, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, logits[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(logits[off + j] - max);
        }
        return max + Math.log(sum);
    }
}
