package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;

import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark grid cut into one partition per variant × batch size × sequence length, numbered in the order
 * {@link BenchmarkStep} measures them. Latencies are measurements, not results: they differ from run to run and
 * from runner to runner, which is why the report names the runner of every partition.
 */
public class BenchmarkPartitions implements PartitionedWork {

    /** One partition's output: the point and the runner's kernel facts. */
    public record Output(BenchmarkStep.Point point, String kernel, int threads) {
    }

    private final Variants variants;

    public BenchmarkPartitions(Variants variants) {
        this.variants = variants;
    }

    @Override
    public QuantizeSteps step() {
        return QuantizeSteps.BENCHMARK;
    }

    @Override
    public int partitions(JobContext ctx) throws Exception {
        var grid = ctx.spec().benchmark();
        return variants.names(ctx).size() * grid.batchSizes().size() * grid.seqLens().size();
    }

    @Override
    public String describe(JobContext ctx, int index, int count) throws Exception {
        Cell c = cell(ctx, index);
        return c.variant + ": batch " + c.batch + " × " + c.seqLen;
    }

    @Override
    public void run(JobContext ctx, int index, int count, StepProgress progress) throws Exception {
        Cell c = cell(ctx, index);
        var grid = ctx.spec().benchmark();
        try (LoadedModel m = LoadedModel.open(ctx.modelDir());
             VectorKernels kernels = new VectorKernels();
             Variants.Runnable variant = variants.open(ctx, m, c.variant, kernels)) {
            progress.report(0.1, c.variant + ": batch " + c.batch + " × " + c.seqLen);
            int len = Math.max(1, Math.min(c.seqLen, m.summary().maxSeqLen() - grid.decodeTokens()));
            BenchmarkStep.Point point = BenchmarkStep.measure(variant.transformer(), c.variant, variant.kernel(),
                    c.batch, len, grid.decodeTokens(), m.summary().vocabSize());
            ctx.putJson(outputKey(index), new Output(point, kernels.getClass().getSimpleName(), kernels.threads()));
        }
    }

    @Override
    public void merge(JobContext ctx, int count) throws Exception {
        List<BenchmarkStep.Point> points = new ArrayList<>();
        String kernel = null;
        int threads = 0;
        for (int i = 0; i < count; i++) {
            Output o = ctx.getJson(outputKey(i), Output.class);
            points.add(o.point());
            kernel = kernel == null ? o.kernel() : kernel;
            threads = Math.max(threads, o.threads());
        }
        ctx.putJson("benchmark.json", new BenchmarkStep.Results("cpu", kernel, threads,
                BenchmarkStep.BATCH_SEMANTICS + "; each grid point measured by the runner the report names",
                points));
    }

    private String outputKey(int index) {
        return PartitionedWork.outputKey(step(), index, ".json");
    }

    private record Cell(String variant, int batch, int seqLen) {
    }

    private Cell cell(JobContext ctx, int index) throws Exception {
        var grid = ctx.spec().benchmark();
        int perVariant = grid.batchSizes().size() * grid.seqLens().size();
        int rest = index % perVariant;
        return new Cell(variants.names(ctx).get(index / perVariant), grid.batchSizes().get(rest / grid.seqLens().size()),
                grid.seqLens().get(rest % grid.seqLens().size()));
    }
}
