package com.seedsq.engine.bench;

import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.OneDnnSgemm;
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
 * <pre>java --add-modules jdk.incubator.vector -cp ... com.seedsq.engine.bench.Benchmark [dim] [layers] [prompt]
 * java ... com.seedsq.engine.bench.Benchmark 1b [prompt]</pre>
 * Defaults: dim 1024, 4 layers, 8 heads (4 KV heads), FFN 2816, vocab 8192, prompt 256 tokens, 32 decode steps.
 * {@code 1b}: TinyLlama-1.1B's shape (dim 2048, 22 layers, 32 heads over 4 KV heads, FFN 5632, vocab 32000, 1.1 B
 * parameters; 4.4 GB off-heap in F32), prompt 128. The GEMM ceiling is oneDNN's {@code sgemm} on [256, dim] x
 * [dim, dim]^T, measured in the same run when {@code libdnnl.so.2} is on the loader path: the better of one call on
 * all threads (OpenMP) and the engine's own use of it (one call per 128-row weight chunk on our threads); each
 * prefill is printed as a share of it. {@code -Dsq.sgemm=java} runs the model on the Java kernel.
 */
public final class Benchmark {

    public static void main(String[] args) {
        boolean oneB = args.length > 0 && args[0].equalsIgnoreCase("1b");
        int dim = oneB ? 2048 : args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int layers = oneB ? 22 : args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int prompt = oneB ? (args.length > 1 ? Integer.parseInt(args[1]) : 128)
                : args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int decode = 32;
        int heads = oneB ? 32 : Math.max(1, dim / 128);
        int kvHeads = oneB ? 4 : Math.max(1, heads / 2);
        int ffn = oneB ? 5632 : (int) Math.round(dim * 8 / 3.0 / 64) * 64;
        ModelConfig c = new ModelConfig(dim, layers, heads, kvHeads, dim / heads, ffn, oneB ? 32000 : 8192,
                prompt + decode, 1e-5f, 10000f, false);
        try (VectorKernels k = new VectorKernels()) {
            System.out.printf("machine: %d threads, %s; model: dim %d, %d layers, %d heads (%d kv), ffn %d, vocab %d,"
                            + " %.2f B parameters%n", k.threads(), System.getProperty("os.arch"), dim, layers, heads,
                    c.kvHeads(), ffn, c.vocabSize(), parameters(c) / 1e9);
            double ceiling = gemmCeiling(k, dim);
            for (DType dt : new DType[]{DType.F32, DType.F16}) {
                try (RandomWeights w = new RandomWeights(Families.LLAMA, c, dt, 42)) {
                    model(k, Transformer.load(Families.LLAMA, c, w, k, null), dt, prompt, decode, ceiling);
                }
            }
        }
    }

    /** Parameters of a LLaMA-shaped config (untied classifier). */
    static long parameters(ModelConfig c) {
        long d = c.hiddenSize();
        long perLayer = 2 * d * c.qDim() + 2 * d * c.kvDim() + 3 * d * c.intermediateSize() + 2 * d;
        return c.layers() * perLayer + 2L * c.vocabSize() * d + d;
    }

    /**
     * The FP32 GEMM on a compute-bound shape (activations [256, K] x weights [N, K], K = N = dim): the engine's
     * matmul as configured ({@code -Dsq.sgemm}, oneDNN's sgemm on our threads by default), the Java Vector API
     * kernel, and oneDNN's sgemm as one call on as many OpenMP threads, all on the same data. Returns the ceiling:
     * the best rate oneDNN's sgemm reached, in either threading (NaN without oneDNN).
     */
    private static double gemmCeiling(VectorKernels k, int dim) {
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
        System.out.println("FP32 matmul: " + k.matmulPath() + " (-Dsq.sgemm=java|onednn|auto)");
        try (Arena arena = Arena.ofShared(); // shared: kernel threads read it
             VectorKernels javaPath = new VectorKernels(k.threads(), VectorKernels.Sgemm.JAVA)) {
            MemorySegment seg = arena.allocate((long) wv.length * 4, 64);
            MemorySegment.copy(wv, 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, wv.length);
            Matrix w = new Matrix("w", DType.F32, n, kk, seg);
            String shape = String.format("[%d,%d] x [%d,%d]^T", m, kk, n, kk);
            // Sustained, like a prefill: each timed run repeats the GEMM for about as many FLOPs as the model's
            // prefill (~0.25 s+), so all numbers see the same share of a shared machine.
            float[] out = new float[m * n];
            double engine = gflops(m, n, kk, () -> k.matmul(x, m, w, out));
            float[] javaOut = new float[m * n];
            double javaRate = gflops(m, n, kk, () -> javaPath.matmul(x, m, w, javaOut));
            System.out.printf("GEMM F32 %s: engine matmul %.1f GFLOP/s, Java Vector API kernel %.1f GFLOP/s"
                    + " (results agree to %.1e)%n", shape, engine, javaRate, maxRel(out, javaOut));
            var dnnl = OneDnnSgemm.get();
            if (dnnl.isEmpty()) {
                System.out.println("oneDNN sgemm: " + OneDnnSgemm.unavailableReason() + "; no ceiling measured");
                return Double.NaN;
            }
            // operands already in native memory: the ceiling is oneDNN's own rate, without our copies
            MemorySegment xs = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, x);
            MemorySegment refs = arena.allocate((long) m * n * Float.BYTES, 64);
            double oneCall = gflops(m, n, kk, () -> dnnl.get().gemm(m, n, kk, xs, kk, seg, kk, refs, n, k.threads()));
            float[] ref = refs.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
            double ceiling = k.sgemm() == VectorKernels.Sgemm.JAVA ? oneCall : Math.max(oneCall, engine);
            System.out.printf("oneDNN sgemm, one call on %d OpenMP threads: %.1f GFLOP/s (results agree with the "
                            + "engine's to %.1e)%nFP32 GEMM ceiling (best oneDNN sgemm rate above): %.1f GFLOP/s; "
                            + "Java kernel = %.2f x ceiling%n", k.threads(), oneCall, maxRel(ref, out), ceiling,
                    javaRate / ceiling);
            return ceiling;
        }
    }

    /** GFLOP/s of an [m, k] x [n, k]^T product, best of repeated runs of 64 calls for about 6 s. */
    private static double gflops(int m, int n, int k, Runnable call) {
        int calls = 64;
        double seconds = bestOf(() -> {
            for (int i = 0; i < calls; i++) {
                call.run();
            }
        }, 6) / calls;
        return 2.0 * m * n * k / seconds / 1e9;
    }

    private static double maxRel(float[] a, float[] b) {
        double maxRel = 0;
        for (int i = 0; i < a.length; i++) {
            maxRel = Math.max(maxRel, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
        }
        return maxRel;
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

    private static void model(VectorKernels k, Transformer t, DType dt, int prompt, int decode, double ceiling) {
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
        double gflops = 2.0 * linearParams * prompt / bestPrefill / 1e9;
        System.out.printf("%s weights: prefill %d tokens %.0f tokens/s (%.1f GFLOP/s in the linears%s), "
                        + "decode %.2f ms/token%n", dt, prompt, prompt / bestPrefill, gflops,
                Double.isNaN(ceiling) ? "" : String.format(" = %.0f%% of the ceiling", 100 * gflops / ceiling),
                bestDecode);
    }
}
