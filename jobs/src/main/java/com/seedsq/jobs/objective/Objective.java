package com.seedsq.jobs.objective;

import com.seedsq.engine.forward.Transformer;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.spec.JobSpec;

/**
 * What "accuracy" means for a model and how its text becomes calibration data: next-token perplexity for decoders,
 * masked-LM accuracy for encoders (BERT). The job's steps ask the objective instead of branching on the family, so a
 * step reads the same for both, on one runner or partitioned over many.
 */
public sealed interface Objective permits PerplexityObjective, MaskedLmObjective {

    /** One evaluation of one variant on one text. */
    record Score(String metric, double value, long tokens, int sequences, int seqLen, Double pseudoPerplexity) {
    }

    /** Progress within one evaluation: {@code done} of {@code total} sequences. */
    @FunctionalInterface
    interface Progress {
        void report(int done, int total);
    }

    static Objective of(LoadedModel m) {
        return m.model().family().causal() ? new PerplexityObjective() : new MaskedLmObjective();
    }

    /** {@code perplexity} or {@code mlm}, as reports name it. */
    String metric();

    /** What one evaluated sequence is called in progress messages: a perplexity window, a masked-LM sequence. */
    String unit();

    /** The calibration sequences of the spec, taken from the tail of {@code text}'s token stream. */
    int[][] calibrationWindows(LoadedModel m, String text, JobSpec spec);

    /** The sequence length calibration and evaluation run at (the spec's, or the protocol's for masked LMs). */
    int seqLen(LoadedModel m, JobSpec spec);

    /** Scores {@code t} (one variant of {@code m}) on the head of {@code text}'s token stream. */
    Score evaluate(LoadedModel m, Transformer t, String text, JobSpec spec, Progress progress);

    /** What is wrong with a spec against a text: the spec field to blame and the reason. */
    record Problem(String field, String message) {
    }

    /**
     * Checks that {@code text} is long enough for the spec: for calibration ({@code calibration} true), for
     * evaluation, and, when one text serves both, that the two never overlap. Returns the problem, or null.
     */
    Problem checkSize(LoadedModel m, String text, JobSpec spec, boolean calibration, boolean evaluation);
}
