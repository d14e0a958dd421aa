package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark grid cut into one partition per variant × batch size × sequence length, numbered in the order
 * {@link BenchmarkStep} measures them. Latencies are measurements, not results: they differ from run to run and
 * from runner to runner, which is why the report names the runner of every partition.
 */
public class BenchmarkPartitions implements PartitionedWork {

    /**
     * One partition's output: the point and the runner's facts (backend, kernel, threads, device in words, why the
     * CPU measured although the spec allowed a GPU, and the GPU kernels a forward pass launched).
     */
    public record Output(BenchmarkStep.Point point, String backend, String kernel, int threads, String device,
                         String fallback, List<String> gpuKernels) {
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
             Variants.Runnable variant = variants.open(ctx, m, c.variant, kernels);
             BenchmarkBackend backend = BenchmarkBackend.resolve(ctx.spec().backend(), m.model())) {
            progress.report(0.1, c.variant + ": batch " + c.batch + " × " + c.seqLen);
            if (backend.onGpu()) {
                BenchmarkStep.GpuPoint g = BenchmarkStep.measureOnGpu(backend.cuda(), m, variant, c.variant, c.batch,
                        c.seqLen, BenchmarkStep.decodeTokens(m, grid));
                ctx.putJson(outputKey(index), new Output(g.point(), "cuda", BenchmarkStep.gpuKernelSource(), 1,
                        backend.cuda().info().describe(), null, g.kernels()));
                return;
            }
            int len = Math.max(1, Math.min(c.seqLen, m.summary().maxSeqLen() - BenchmarkStep.decodeTokens(m, grid)));
            BenchmarkStep.Point point = BenchmarkStep.measure(variant.transformer(), c.variant, variant.kernel(),
                    c.batch, len, BenchmarkStep.decodeTokens(m, grid), m.summary().vocabSize(),
                    () -> variant.weightBytes(m));
            ctx.putJson(outputKey(index), new Output(point, "cpu", kernels.getClass().getSimpleName(),
                    kernels.threads(), BenchmarkStep.cpuDevice(kernels), backend.fallback(), null));
        }
    }

    @Override
    public void merge(JobContext ctx, int count) throws Exception {
        List<BenchmarkStep.Point> points = new ArrayList<>();
        String kernel = null, device = null, fallback = null;
        int threads = 0;
        java.util.Set<String> backends = new java.util.TreeSet<>();
        Map<String, List<String>> gpuKernels = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            Output o = ctx.getJson(outputKey(i), Output.class);
            points.add(o.point());
            backends.add(o.backend() == null ? "cpu" : o.backend());
            kernel = kernel == null ? o.kernel() : kernel;
            device = device == null ? o.device() : device;
            fallback = fallback == null ? o.fallback() : fallback;
            threads = Math.max(threads, o.threads());
            if (o.gpuKernels() != null) {
                gpuKernels.putIfAbsent(o.point().variant(), o.gpuKernels());
            }
        }
        // runners of one job share the backend the spec routed them to; a mix is reported as such, not hidden
        ctx.putJson("benchmark.json", new BenchmarkStep.Results(String.join("+", backends), kernel, threads,
                BenchmarkStep.BATCH_SEMANTICS + "; each grid point measured by the runner the report names",
                points, device, fallback, gpuKernels.isEmpty() ? null : gpuKernels));
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
