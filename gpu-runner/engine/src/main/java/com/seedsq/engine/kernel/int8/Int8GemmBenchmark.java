package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.Int8Quantizer;
import com.seedsq.engine.quant.QuantizedMatrix;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * INT8 GEMM throughput against the engine's FP32 Vector API GEMM, and against oneDNN's s8s8s32 GEMM where
 * {@code libdnnl.so.2} is installed, measured side by side in one process so the ratios are not skewed by a machine
 * that changed in between (this one is shared; run it twice to see the noise).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp target/classes
 * com.seedsq.engine.kernel.int8.Int8GemmBenchmark [threads]}; with fewer threads than cores, set
 * {@code OMP_NUM_THREADS} to the same number for oneDNN. With one thread (and {@code OMP_NUM_THREADS=1}) calls are
 * timed by the calling thread's CPU time (see the {@code clock} field); {@code -Dsq.bench.repeats=N} sets the runs per
 * candidate.
 *
 * <p>Every kernel computes the same linear layer: FP32 {@code X·Wᵀ}, or INT8 codes with the fused dequantization
 * (activations already quantized per token: that pass reads M·K values, negligible next to M·N·K). GEMV (M = 1)
 * rotates over several weight matrices totalling more than the last-level cache, as decoding a real model does;
 * otherwise a 16 MB INT8 matrix would be served from L3 and flatter INT8.
 */
public final class Int8GemmBenchmark {

    /** GEMV weights in flight per kernel: beyond any L3 here. */
    private static final long GEMV_WORKING_SET = 256L << 20;
    private static final double MIN_SECONDS = 0.5;
    /**
     * With one thread every candidate runs on the calling thread (our pools then have no workers; oneDNN needs
     * {@code OMP_NUM_THREADS=1}), so its CPU time is the cost of the call and excludes time the scheduler gave to
     * other processes: on a shared machine that compares kernels far more steadily than wall time. Set by main.
     */
    private static java.util.function.LongSupplier clock = System::nanoTime;
    /** Timed runs per candidate (best kept); more of them find the quiet windows on a loaded machine. */
    private static final int REPEATS = Integer.getInteger("sq.bench.repeats", 5);

    private record Shape(int m, int k, int n) {
        double ops() {
            return 2.0 * m * k * n;
        }

        @Override
        public String toString() {
            return (m == 1 ? "GEMV" : "GEMM") + " M=" + m + " K=" + k + " N=" + n;
        }
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        List<Int8Gemm> int8 = new ArrayList<>();
        int8.add(new VectorInt8Gemm(threads));
        NativeInt8Gemm.load(threads).ifPresentOrElse(int8::add, () -> System.out.println(
                "native INT8 kernel unavailable: " + NativeInt8Gemm.unavailableReason()));
        System.out.printf(Locale.ROOT, "threads=%d, %s, %d cores visible, load average %.1f%n", threads,
                System.getProperty("java.vm.name") + " " + Runtime.version(),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        Optional<OneDnnGemm> oneDnn = OneDnnGemm.load();
        java.lang.management.ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        // oneDNN's OpenMP workers' CPU time would not be counted: only when it runs on this thread alone
        boolean cpuTime = threads == 1 && cpu.isCurrentThreadCpuTimeSupported()
                && (oneDnn.isEmpty() || "1".equals(System.getenv("OMP_NUM_THREADS")))
                && !"1".equals(System.getenv("SQ_BENCH_WALL"));
        if (cpuTime) {
            clock = cpu::getCurrentThreadCpuTime;
        }
        System.out.println("timing: " + (cpuTime ? "CPU time of the calling thread (SQ_BENCH_WALL=1 for wall time)"
                : "wall time") + ", best of " + REPEATS + " runs");
        if (oneDnn.isEmpty()) {
            System.out.println("oneDNN (libdnnl.so.2) not found: no oneDNN comparison");
        } else {
            // oneDNN runs on OpenMP's threads, not ours: compare like with like by setting both
            String omp = System.getenv("OMP_NUM_THREADS");
            System.out.println("oneDNN threads: OMP_NUM_THREADS=" + (omp == null ? "unset (all cores)" : omp));
        }
        System.out.printf(Locale.ROOT, "%-28s %-34s %10s %10s %8s%n", "shape", "kernel", "ms/call", "GOP/s", "vs FP32");
        try (VectorKernels fp32 = new VectorKernels(threads)) {
            // square GEMMs as in the targets, BERT-base's three linear shapes at a 128-token prefill, decode
            for (Shape s : new Shape[]{new Shape(512, 2048, 2048), new Shape(512, 4096, 4096),
                    new Shape(128, 768, 768), new Shape(128, 768, 3072), new Shape(128, 3072, 768),
                    new Shape(1, 2048, 2048), new Shape(1, 4096, 4096)}) {
                run(s, fp32, int8, oneDnn);
            }
        } finally {
            int8.forEach(Int8Gemm::close);
        }
        // other processes' load competes for the cores: numbers taken under a high load are lower bounds
        System.out.printf(Locale.ROOT, "load average at the end %.1f%n", loadAverage());
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** One timed kernel call; the argument picks the weight copy. */
    private record Candidate(String name, IntConsumer call) {
    }

    private static void run(Shape s, VectorKernels fp32, List<Int8Gemm> int8, Optional<OneDnnGemm> oneDnn) {
        SplittableRandom rnd = new SplittableRandom(s.k * 31L + s.m);
        float[] x = gaussian(s.m * s.k, rnd);
        int copies = s.m == 1 ? (int) Math.max(1, GEMV_WORKING_SET / ((long) s.n * s.k * Float.BYTES)) : 1;
        Matrix[] wf = new Matrix[copies];
        for (int c = 0; c < copies; c++) {
            wf[c] = Matrix.ofFloats("w", s.n, s.k, gaussian(s.n * s.k, rnd));
        }
        int int8Copies = s.m == 1 ? (int) Math.max(1, GEMV_WORKING_SET / ((long) s.n * s.k)) : 1;
        Int8Weights[] wq = new Int8Weights[int8Copies];
        for (int c = 0; c < int8Copies; c++) {
            float[] w = c < copies ? floats(wf[c]) : gaussian(s.n * s.k, rnd);
            wq[c] = Int8Weights.of(Int8Quantizer.weights(w, s.n, s.k, Granularity.CHANNEL));
        }
        QuantizedMatrix a = Int8Quantizer.activations(x, s.m, s.k, Granularity.TOKEN, null);

        List<Candidate> candidates = new ArrayList<>();
        float[] outF = new float[s.m * s.n];
        candidates.add(new Candidate("fp32-" + fp32.getClass().getSimpleName() + "-"
                + fp32.sgemm().name().toLowerCase(Locale.ROOT),
                i -> fp32.matmul(x, s.m, wf[i % copies], outF)));
        float[] out = new float[s.m * s.n];
        for (Int8Gemm g : int8) {
            candidates.add(new Candidate("int8-" + g.name(), i -> g.multiply(a, wq[i % int8Copies], null, out)));
        }
        // oneDNN returns INT32 only: it is compared with our fastest kernel's INT32 output, not the fused one
        Int8Gemm ours = int8.getLast();
        oneDnn.ifPresent(dnnl -> {
            int[] theirs = new int[s.m * s.n], mine = new int[s.m * s.n];
            dnnl.multiplyInt32(a, wq[0], theirs);
            ours.multiplyInt32(a, wq[0], mine);
            if (!Arrays.equals(theirs, mine)) {
                throw new IllegalStateException("oneDNN and " + ours.name() + " disagree on " + s);
            }
            candidates.add(new Candidate("int8-onednn (int32)", i -> dnnl.multiplyInt32(a, wq[i % int8Copies],
                    theirs)));
            candidates.add(new Candidate("int8-" + ours.name() + " (int32)",
                    i -> ours.multiplyInt32(a, wq[i % int8Copies], mine)));
        });

        double[] seconds = time(candidates);
        for (int c = 0; c < seconds.length; c++) {
            report(s, candidates.get(c).name(), seconds[c], seconds[0]);
        }
        if (oneDnn.isPresent()) {
            int n = seconds.length;
            System.out.printf(Locale.ROOT, "%-28s %s / oneDNN = %.2f%n", s, ours.name(), seconds[n - 2] / seconds[n - 1]);
        }
    }

    /**
     * Seconds per call of each candidate, the best of {@code REPEATS} runs. Runs are interleaved (a run of each,
     * then again), so that load from other processes, which comes and goes, hits all candidates alike; and the best
     * run is kept because interference only ever adds time. Each run lasts about half the warm-up, long enough to
     * average out the timer.
     */
    private static double[] time(List<Candidate> candidates) {
        int[] perRun = new int[candidates.size()];
        for (int c = 0; c < perRun.length; c++) {
            IntConsumer call = candidates.get(c).call();
            int calls = 0;
            long t0 = clock.getAsLong();
            while (clock.getAsLong() - t0 < MIN_SECONDS * 1e9 || calls < 3) {
                call.accept(calls++); // warm-up, and sizes a run
            }
            perRun[c] = Math.max(1, calls / 2);
        }
        double[] best = new double[perRun.length];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        for (int r = 0; r < REPEATS; r++) {
            for (int c = 0; c < perRun.length; c++) {
                IntConsumer call = candidates.get(c).call();
                long start = clock.getAsLong();
                for (int i = 0; i < perRun[c]; i++) {
                    call.accept(i);
                }
                best[c] = Math.min(best[c], (clock.getAsLong() - start) / 1e9 / perRun[c]);
            }
        }
        return best;
    }

    private static void report(Shape s, String kernel, double seconds, double fpSeconds) {
        System.out.printf(Locale.ROOT, "%-28s %-34s %10.3f %10.1f %7.2fx%n", s, kernel, seconds * 1e3,
                s.ops() / seconds / 1e9, fpSeconds / seconds);
    }

    private static float[] gaussian(int n, SplittableRandom rnd) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            // sum of uniforms: close enough to Gaussian for timing, and far cheaper than nextGaussian on 16M values
            f[i] = (float) (rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5);
        }
        return f;
    }

    private static float[] floats(Matrix m) {
        float[] f = new float[m.rows() * m.cols()];
        m.widenRows(0, m.rows(), f);
        return f;
    }
}
