package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.eval.Perplexity;
import com.seedsq.engine.eval.PerplexityResult;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.jobs.model.DatasetText;
import com.seedsq.jobs.model.LoadedModel;
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

    /** One measured perplexity. */
    public record Result(String variant, String datasetId, String datasetName, String metric, double value,
                         long tokens, int windows, int seqLen) {
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
        int seqLen = ctx.spec().calibration().seqLen();
        try (LoadedModel m = LoadedModel.open(ctx.workDir().resolve("model"));
             VectorKernels kernels = new VectorKernels()) {
            List<String> names = variants.names(ctx);
            List<String> ids = ctx.spec().evaluation().datasetIds();
            int units = names.size() * ids.size();
            int unit = 0;
            for (String variant : names) {
                Transformer t = variants.transformer(ctx, m, variant, kernels);
                for (String id : ids) {
                    DatasetRecord d = datasets.find(ctx.job().tenant(), id).orElseThrow();
                    int[] ids0 = m.tokenizer().encode(DatasetText.read(ctx.store(), d), true);
                    final int done = unit;
                    PerplexityResult r = new Perplexity(t, m.tokenizer().bos())
                            .withProgress((w, total) -> progress.report((done + (double) w / total) / units,
                                    variant + " on " + d.name() + ": window " + w + "/" + total))
                            .evaluate(ids0, seqLen, ctx.spec().evaluation().maxTokens());
                    results.add(new Result(variant, id, d.name(), "perplexity", r.perplexity(), r.count(),
                            r.windows(), seqLen));
                    unit++;
                }
            }
        }
        ctx.putJson("evaluation.json", new Results(results));
    }
}
