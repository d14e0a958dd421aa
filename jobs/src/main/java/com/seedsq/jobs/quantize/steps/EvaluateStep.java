package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.jobs.model.DatasetText;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.objective.Objective;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.storage.metadata.DatasetRecord;
import com.seedsq.storage.metadata.Datasets;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures accuracy: perplexity of each variant on each evaluation dataset, with the protocol in the README
 * (windows of [BOS] + seqLen−1 tokens over the head of the token stream, at most {@code evaluation.maxTokens}).
 */
public class EvaluateStep extends JobStep {

    /**
     * One measured score: {@code metric} {@code perplexity} (value = perplexity, tokens scored, windows) or
     * {@code mlm} (value = masked-LM top-1 accuracy, tokens = masked positions, windows = sequences, and the
     * pseudo-perplexity over those positions).
     */
    public record Result(String variant, String datasetId, String datasetName, String metric, double value,
                         long tokens, int windows, int seqLen, Double pseudoPerplexity) {
    }

    public record Results(List<Result> results) {
    }

    private final Datasets datasets;
    private final Variants variants;

    public EvaluateStep(Services services, Datasets datasets, Variants variants) {
        super(services, QuantizeSteps.EVALUATE);
        this.datasets = datasets;
        this.variants = variants;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        List<Result> results = new ArrayList<>();
        try (LoadedModel m = LoadedModel.open(ctx.modelDir());
             VectorKernels kernels = new VectorKernels()) {
            List<String> names = variants.names(ctx);
            List<DatasetRecord> sets = new ArrayList<>();
            for (String id : ctx.spec().evaluation().datasetIds()) {
                sets.add(datasets.find(ctx.job().tenant(), id).orElseThrow());
            }
            int units = names.size() * sets.size();
            for (int v = 0; v < names.size(); v++) {
                try (Variants.Runnable variant = variants.open(ctx, m, names.get(v), kernels)) {
                    for (int d = 0; d < sets.size(); d++) {
                        int unit = v * sets.size() + d;
                        String what = names.get(v) + " × " + sets.get(d).name() + ": "
                                + Objective.of(m).unit() + " ";
                        results.add(evaluate(ctx, m, names.get(v), variant, sets.get(d),
                                (w, total) -> progress.report((unit + (double) w / total) / units,
                                        what + w + "/" + total)));
                    }
                }
            }
        }
        ctx.putJson("evaluation.json", new Results(results));
    }

    static Result evaluate(JobContext ctx, LoadedModel m, String name, Variants.Runnable variant,
                           DatasetRecord d, Objective.Progress progress) throws Exception {
        Objective.Score r = Objective.of(m).evaluate(m, variant.transformer(), DatasetText.read(ctx.store(), d),
                ctx.spec(), progress);
        return new Result(name, d.id(), d.name(), r.metric(), r.value(), r.tokens(), r.sequences(), r.seqLen(),
                r.pseudoPerplexity());
    }
}
