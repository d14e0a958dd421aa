package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.cuda.CudaBackend;
import com.seedsq.engine.cuda.CudaFatbin;
import com.seedsq.engine.cuda.CudaLlama;
import com.seedsq.engine.cuda.GpuLatency;
import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.jobs.spec.JobSpec;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Measures latency of every variant on this runner, over the spec's grid of batch sizes × sequence lengths: prefill
 * (all prompt tokens in one forward pass) and decode (one token at a time after it). Each point is measured after a
 * warm-up run, as the median of a few repetitions. The engine runs one sequence per forward pass, so a batch of B is
 * B sequences one after another; the report says so.
 */
public class BenchmarkStep extends JobStep {

    private static final int REPEATS = 3;

    /** What the report says about how a batch is run. */
    static final String BATCH_SEMANTICS = "sequences of a batch run one after another";

    public record Point(String variant, String kernel, int batch, int seqLen, double prefillMs, double prefillTokensPerSecond,
                        double decodeMsPerToken, int decodeTokens, Memory memory) {
    }

    /**
     * Memory of one grid point, in bytes, each part counted from the buffers themselves (see the README's report
     * section).
     *
     * @param weightBytes     what the variant holds for its weights: memory-mapped tensors as loaded, INT8 codes and
     *                        scales plus the kernel's packed copies (CPU); null on the GPU, where it is in peakBytes
     * @param kvCacheBytes    the KV cache of one sequence (the batch's sequences run one after another)
     * @param activationBytes heap the forward pass's thread allocated during one prefill: an upper bound of the
     *                        activations alive at once (CPU; null where the JVM cannot count it, and on the GPU)
     * @param peakBytes       CPU: the sum of the three, an upper bound of what the point holds at its peak beyond the
     *                        runtime itself; GPU: every device buffer the model allocated (all of them up front)
     */
    public record Memory(Long weightBytes, long kvCacheBytes, Long activationBytes, long peakBytes) {
    }

    /**
     * @param device       the CPU or GPU that measured, in words
     * @param fallback     why the CPU measured although the spec allowed a GPU ({@code auto}), or null
     * @param gpuKernels   the CUDA kernels a forward pass launched, per variant (GPU runs only)
     */
    public record Results(String backend, String kernel, int threads, String batchSemantics, List<Point> points,
                          String device, String fallback, Map<String, List<String>> gpuKernels) {
    }

    private final Variants variants;

    public BenchmarkStep(Services services, Variants variants) {
        super(services, QuantizeSteps.BENCHMARK);
        this.variants = variants;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        var grid = ctx.spec().benchmark();
        List<Point> points = new ArrayList<>();
        try (LoadedModel m = LoadedModel.open(ctx.modelDir());
             VectorKernels kernels = new VectorKernels();
             BenchmarkBackend backend = BenchmarkBackend.resolve(ctx.spec().backend(), m.model())) {
            if (backend.onGpu()) {
                ctx.putJson("benchmark.json", onGpu(ctx, m, kernels, backend.cuda(), progress));
                return;
            }
            List<String> names = variants.names(ctx);
            int total = names.size() * grid.batchSizes().size() * grid.seqLens().size();
            for (String name : names) {
                try (Variants.Runnable variant = variants.open(ctx, m, name, kernels)) {
                    for (int batch : grid.batchSizes()) {
                        for (int seqLen : grid.seqLens()) {
                            progress.report((double) points.size() / total, name + ": batch " + batch + " × " + seqLen);
                            // Leave room in the context for the decode tokens.
                            int len = Math.max(1, Math.min(seqLen, m.summary().maxSeqLen() - decodeTokens(m, grid)));
                            points.add(measure(variant.transformer(), name, variant.kernel(), batch, len,
                                    decodeTokens(m, grid), m.summary().vocabSize(), () -> variant.weightBytes(m)));
                        }
                    }
                }
            }
            ctx.putJson("benchmark.json", new Results("cpu", kernels.getClass().getSimpleName(), kernels.threads(),
                    BATCH_SEMANTICS, points, cpuDevice(kernels), backend.fallback(),
                    null));
        }
    }

    /**
     * The same grid end to end on the GPU: the FP original runs as FP16 (the GPU baseline, named {@code fp16}), every
     * INT8 variant as W8A8 on the tensor cores with its own codes, scales and smoothing; both resident on the device
     * (CudaLlama), one sequence per forward pass as on the CPU.
     */
    private Results onGpu(JobContext ctx, LoadedModel m, VectorKernels kernels, CudaBackend cuda, StepProgress progress)
            throws Exception {
        var grid = ctx.spec().benchmark();
        List<Point> points = new ArrayList<>();
        Map<String, List<String>> launched = new LinkedHashMap<>();
        List<String> names = variants.names(ctx);
        int total = names.size() * grid.batchSizes().size() * grid.seqLens().size();
        for (String name : names) {
            try (Variants.Runnable variant = variants.open(ctx, m, name, kernels)) {
                for (int batch : grid.batchSizes()) {
                    for (int seqLen : grid.seqLens()) {
                        progress.report((double) points.size() / total, name + " on the GPU: batch " + batch + " × "
                                + seqLen);
                        GpuPoint g = measureOnGpu(cuda, m, variant, name, batch, seqLen, decodeTokens(m, grid));
                        points.add(g.point());
                        launched.putIfAbsent(g.point().variant(), g.kernels());
                    }
                }
            }
        }
        return new Results("cuda", gpuKernelSource(), 1, BATCH_SEMANTICS, points, cuda.info().describe(), null,
                launched);
    }

    /** One grid point on the GPU, and the kernels its forward pass launched. */
    record GpuPoint(Point point, List<String> kernels) {
    }

    /**
     * Uploads {@code variant} (FP16 for the FP original, labelled {@code fp16}; W8A8 for an INT8 variant) and
     * measures one grid point end to end on the device.
     */
    static GpuPoint measureOnGpu(CudaBackend cuda, LoadedModel m, Variants.Runnable variant, String name, int batch,
                                 int seqLen, int decodeTokens) {
        int maxLen = m.summary().maxSeqLen();
        int len = Math.max(1, Math.min(seqLen, maxLen - decodeTokens));
        try (CudaLlama gpu = variant.quantized() == null ? CudaLlama.fp16(cuda, m.model(), len + decodeTokens)
                : CudaLlama.int8(cuda, variant.quantized(), len + decodeTokens)) {
            int[] prompt = new Random(42).ints(len, 3, m.summary().vocabSize()).toArray();
            GpuLatency.Timing t = GpuLatency.measure(gpu, prompt, decodeTokens, REPEATS);
            double prefillMs = t.prefillMs() * batch;
            Point p = new Point(variant.quantized() == null ? "fp16" : name,
                    gpu.int8() ? "cuda-mma-s8" : "cuda-mma-f16", batch, len, prefillMs,
                    batch * len / (prefillMs / 1000), t.decodeMsPerToken(), decodeTokens,
                    new Memory(null, gpu.kvCacheBytes(), null, gpu.deviceBytes()));
            return new GpuPoint(p, List.copyOf(gpu.kernelNames(len)));
        }
    }

    static String gpuKernelSource() {
        return CudaFatbin.RESOURCE + " (CUDA source sha256 " + CudaFatbin.committedSourceHash() + ")";
    }

    /** Decode steps per point: the spec's for decoders, none for an encoder (it has no next token to generate). */
    static int decodeTokens(LoadedModel m, JobSpec.Benchmark grid) {
        return m.model().family().causal() ? grid.decodeTokens() : 0;
    }

    static String cpuDevice(VectorKernels kernels) {
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + kernels.threads() + " threads";
    }

    /**
     * One grid point on the CPU.
     *
     * @param weightBytes the variant's weight bytes, asked after the warm-up (INT8 kernels pack weights on first use)
     */
    static Point measure(Transformer t, String variant, String kernel, int batch, int seqLen,
                                 int decodeTokens, int vocab, LongSupplier weightBytes) {
        Random random = new Random(42);
        int[] prompt = random.ints(seqLen, 3, vocab).toArray();
        long[] warm = run(t, prompt, decodeTokens); // warm-up: JIT, page-in of the mapped weights
        double[] prefill = new double[REPEATS];
        double[] decode = new double[REPEATS];
        for (int r = 0; r < REPEATS; r++) {
            long prefillNs = 0, decodeNs = 0;
            for (int b = 0; b < batch; b++) {
                long[] ns = run(t, prompt, decodeTokens);
                prefillNs += ns[0];
                decodeNs += ns[1];
            }
            prefill[r] = prefillNs / 1e6;
            decode[r] = decodeTokens == 0 ? 0 : decodeNs / 1e6 / (batch * (double) decodeTokens);
        }
        double prefillMs = median(prefill);
        long weights = weightBytes.getAsLong(), kv = warm[2];
        Long activations = warm[3] < 0 ? null : warm[3];
        return new Point(variant, kernel, batch, seqLen, prefillMs, batch * seqLen / (prefillMs / 1000), median(decode),
                decodeTokens, new Memory(weights, kv, activations, weights + kv + Math.max(0, warm[3])));
    }

    /**
     * One sequence: nanoseconds for the prefill and for all decode steps, the KV cache's bytes, and the heap the
     * prefill allocated on this thread (-1 where the JVM does not count it).
     */
    private static long[] run(Transformer t, int[] prompt, int decodeTokens) {
        KvCache cache = t.newCache(prompt.length + decodeTokens);
        long allocated = ALLOCATIONS.get();
        long start = System.nanoTime();
        float[] logits = t.forward(cache, prompt, false);
        long prefill = System.nanoTime() - start;
        long allocatedAfter = ALLOCATIONS.get();
        start = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) {
            logits = t.forward(cache, new int[] {argmax(logits)}, false);
        }
        return new long[] {prefill, System.nanoTime() - start, cache.bytes(),
                allocated < 0 ? -1 : allocatedAfter - allocated};
    }

    /** Heap bytes this thread has allocated so far (HotSpot's per-thread counter), or -1 where it is unavailable. */
    private static final java.util.function.Supplier<Long> ALLOCATIONS = allocationCounter();

    private static java.util.function.Supplier<Long> allocationCounter() {
        if (java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx
                && mx.isThreadAllocatedMemorySupported()) {
            if (!mx.isThreadAllocatedMemoryEnabled()) {
                mx.setThreadAllocatedMemoryEnabled(true);
            }
            return mx::getCurrentThreadAllocatedBytes;
        }
        return () -> -1L;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
