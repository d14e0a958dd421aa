package com.seedsq.engine.bench;

import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.RandomWeights;
import com.seedsq.engine.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Latency of the FP forward pass on a random LLaMA-shaped model, next to the GEMM ceiling of the same kernel:
 * prefill tokens/s (and the GFLOP/s it implies) and decode ms/token, for F32 and F16 weights.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... com.seedsq.engine.bench.Benchmark [dim] [layers] [prompt]</pre>
 * Defaults: dim 1024, 4 layers, 8 heads (4 KV heads), FFN 2816, vocab 8192, prompt 256 tokens, 32 decode steps.
 */
public final class Benchmark {

    public static void main(String[] args) {
        int dim = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int prompt = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int decode = 32;
        int heads = Math.max(1, dim / 128);
        int ffn = (int) Math.round(dim * 8 / 3.0 / 64) * 64;
        ModelConfig c = new ModelConfig(dim, layers, heads, Math.max(1, heads / 2), dim / heads, ffn, 8192,
                prompt + decode, 1e-5f, 10000f, false);
        try (VectorKernels k = new VectorKernels()) {
            System.out.printf("machine: %d threads, %s; model: dim %d, %d layers, %d heads (%d kv), ffn %d, vocab %d%n",
                    k.threads(), System.getProperty("os.arch"), dim, layers, heads, c.kvHeads(), ffn, c.vocabSize());
            gemmCeiling(k, dim);
            for (DType dt : new DType[]{DType.F32, DType.F16}) {
                try (RandomWeights w = new RandomWeights(Families.LLAMA, c, dt, 42)) {
                    model(k, Transformer.load(Families.LLAMA, c, w, k, null), dt, prompt, decode);
                }
            }
        }
    }

    /** Our matmul on a compute-bound shape (activations [256, K] x weights [N, K], in cache-friendly tiles). */
    private static void gemmCeiling(VectorKernels k, int dim) {
        int m = 256, n = dim, kk = dim;
        Random rnd = new Random(1);
        float[] x = new float[m * kk];
        float[] wv = new float[n * kk];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat();
        }
        for (int i = 0; i < wv.length; i++) {
            wv[i] = rnd.nextFloat();
        }
        try (Arena arena = Arena.ofShared()) { // shared: kernel threads read it
            MemorySegment seg = arena.allocate((long) wv.length * 4, 64);
            MemorySegment.copy(wv, 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, wv.length);
            Matrix w = new Matrix("w", DType.F32, n, kk, seg);
            float[] out = new float[m * n];
            // Sustained, like a prefill: each timed run repeats the GEMM for about as many FLOPs as the model's
            // prefill (~0.25 s+), so both numbers see the same share of a shared machine.
            int calls = 64;
            double seconds = bestOf(() -> {
                for (int i = 0; i < calls; i++) {
                    k.matmul(x, m, w, out);
                }
            }, 6) / calls;
            double best = 2.0 * m * n * kk / seconds / 1e9;
            System.out.printf("GEMM ceiling (F32, [%d,%d] x [%d,%d]^T): %.1f GFLOP/s%n", m, kk, n, kk, best);
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong LAST_DECODE_NS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Best time in seconds over repetitions for about {@code budgetSeconds}: the machine is shared, so the minimum is
     * the least disturbed run, and the first repetitions double as JIT warm-up.
     */
    private static double bestOf(Runnable r, double budgetSeconds) {
        return bestOf(r, budgetSeconds, null);
    }

    /** As above; with {@code measured}, the run reports its own time there (to exclude its setup). */
    private static double bestOf(Runnable r, double budgetSeconds, java.util.concurrent.atomic.AtomicLong measured) {
        double best = Double.MAX_VALUE;
        long deadline = System.nanoTime() + (long) (budgetSeconds * 1e9);
        int reps = 0;
        while (reps < 3 || System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            r.run();
            long ns = measured != null ? measured.get() : System.nanoTime() - t0;
            best = Math.min(best, ns / 1e9);
            reps++;
        }
        return best;
    }

    private static void model(VectorKernels k, Transformer t, DType dt, int prompt, int decode) {
        ModelConfig c = t.config();
        int[] tokens = new Random(7).ints(prompt + decode, 3, c.vocabSize()).toArray();
        int[] promptIds = java.util.Arrays.copyOf(tokens, prompt);
        long linearParams = (long) c.layers() * (2L * c.hiddenSize() * c.qDim() + 2L * c.hiddenSize() * c.kvDim()
                + 3L * c.hiddenSize() * c.intermediateSize());
        double bestPrefill = bestOf(() -> t.forward(t.newCache(), promptIds, false), 6);
        int[] step = new int[1];
        double bestDecode = bestOf(() -> {
            // decode after the prompt, at positions prompt..prompt+decode-1; reset the cache for each repetition
            KvCache cache = t.newCache();
            t.forward(cache, promptIds, false);
            long t0 = System.nanoTime();
            for (int i = 0; i < decode; i++) {
                step[0] = tokens[prompt + i];
                t.forward(cache, step, false);
            }
            LAST_DECODE_NS.set(System.nanoTime() - t0);
        }, 6, LAST_DECODE_NS) * 1e3 / decode; // seconds per run -> ms per token
        System.out.printf("%s weights: prefill %d tokens %.0f tokens/s (%.1f GFLOP/s in the linears), "
                        + "decode %.2f ms/token%n", dt, prompt, prompt / bestPrefill,
                2.0 * linearParams * prompt / bestPrefill / 1e9, bestDecode);
    }
}
