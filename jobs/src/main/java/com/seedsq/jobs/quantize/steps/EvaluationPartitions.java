package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.objective.Objective;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.storage.metadata.DatasetRecord;
import com.seedsq.storage.metadata.Datasets;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluation cut into one partition per variant × evaluation dataset, numbered variant-major as {@link EvaluateStep}
 * runs them, so the merged {@code evaluation.json} lists the results in the same order as an in-process run.
 */
public class EvaluationPartitions implements PartitionedWork {

    private final Datasets datasets;
    private final Variants variants;
    private final boolean reproducible;

    /** @param reproducible scalar kernels (JIT-independent results) rather than the faster vector kernels */
    public EvaluationPartitions(Datasets datasets, Variants variants, boolean reproducible) {
        this.datasets = datasets;
        this.variants = variants;
        this.reproducible = reproducible;
    }

    @Override
    public QuantizeSteps step() {
        return QuantizeSteps.EVALUATE;
    }

    @Override
    public int partitions(JobContext ctx) throws Exception {
        return variants.names(ctx).size() * ctx.spec().evaluation().datasetIds().size();
    }

    @Override
    public String describe(JobContext ctx, int index, int count) throws Exception {
        return variant(ctx, index) + " × " + dataset(ctx, index).name();
    }

    @Override
    public void run(JobContext ctx, int index, int count, StepProgress progress) throws Exception {
        String name = variant(ctx, index);
        DatasetRecord d = dataset(ctx, index);
        try (LoadedModel m = LoadedModel.open(ctx.modelDir());
             Kernels kernels = reproducible ? new ScalarKernels() : new VectorKernels();
             Variants.Runnable variant = variants.open(ctx, m, name, kernels)) {
            EvaluateStep.Result r = EvaluateStep.evaluate(ctx, m, name, variant, d,
                    (w, total) -> progress.report((double) w / total,
                            name + " × " + d.name() + ": " + Objective.of(m).unit() + " " + w + "/" + total));
            ctx.putJson(outputKey(index), r);
        }
    }

    @Override
    public void merge(JobContext ctx, int count) throws Exception {
        List<EvaluateStep.Result> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            results.add(ctx.getJson(outputKey(i), EvaluateStep.Result.class));
        }
        ctx.putJson("evaluation.json", new EvaluateStep.Results(results));
    }

    private String outputKey(int index) {
        return PartitionedWork.outputKey(step(), index, ".json");
    }

    private String variant(JobContext ctx, int index) throws Exception {
        return variants.names(ctx).get(index / ctx.spec().evaluation().datasetIds().size());
    }

    private DatasetRecord dataset(JobContext ctx, int index) {
        List<String> ids = ctx.spec().evaluation().datasetIds();
        String id = ids.get(index % ids.size());
        return datasets.find(ctx.job().tenant(), id)
                .orElseThrow(() -> new IllegalStateException("evaluation dataset " + id + " no longer exists"));
    }
}
