package com.seedsq.jobs.objective;

import com.seedsq.engine.eval.Perplexity;
import com.seedsq.engine.eval.PerplexityResult;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.steps.QuantizationArtifacts;
import com.seedsq.jobs.spec.JobSpec;

/**
 * Decoders: windows of [BOS] + seqLen−1 tokens; calibration takes {@code samples} windows from the tail of the token
 * stream, evaluation the first {@code evaluation.maxTokens} tokens (the perplexity protocol in the README).
 */
public final class PerplexityObjective implements Objective {

    @Override
    public String metric() {
        return "perplexity";
    }

    @Override
    public String unit() {
        return "window";
    }

    @Override
    public int[][] calibrationWindows(LoadedModel m, String text, JobSpec spec) {
        int[] ids = m.tokenizer().encode(text, true);
        return QuantizationArtifacts.calibrationSpec(spec).windows(ids, m.tokenizer().bos());
    }

    @Override
    public int seqLen(LoadedModel m, JobSpec spec) {
        return spec.calibration().seqLen();
    }

    @Override
    public Score evaluate(LoadedModel m, Transformer t, String text, JobSpec spec, Progress progress) {
        int[] ids = m.tokenizer().encode(text, true);
        int seqLen = seqLen(m, spec);
        PerplexityResult r = new Perplexity(t, m.tokenizer().bos()).withProgress(progress::report)
                .evaluate(ids, seqLen, spec.evaluation().maxTokens());
        return new Score(metric(), r.perplexity(), r.count(), r.windows(), seqLen, null);
    }

    @Override
    public Problem checkSize(LoadedModel m, String text, JobSpec spec, boolean calibration, boolean evaluation) {
        int stream = m.tokenizer().encode(text, true).length - 1;
        int calibTokens = spec.calibration().samples() * (spec.calibration().seqLen() - 1);
        if (calibration && evaluation && spec.evaluation().maxTokens() + calibTokens > stream) {
            return new Problem("evaluation.maxTokens", "the dataset serves calibration and evaluation but has "
                    + stream + " tokens: " + calibTokens + " for calibration (the tail) plus "
                    + spec.evaluation().maxTokens() + " for evaluation (the head) would overlap. Lower "
                    + "calibration.samples or evaluation.maxTokens.");
        }
        if (calibration && stream < calibTokens) {
            return new Problem("calibration.samples", "the calibration dataset has " + stream
                    + " tokens, fewer than samples × (seqLen − 1) = " + calibTokens);
        }
        if (evaluation && stream < 1) {
            return new Problem("evaluation.datasetIds", "the evaluation dataset has no tokens to score");
        }
        return null;
    }
}
