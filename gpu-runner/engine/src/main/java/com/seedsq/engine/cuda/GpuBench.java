package com.seedsq.engine.cuda;

import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.kernel.int8.Int8Kernels;
import com.seedsq.engine.kernel.int8.Int8Weights;
import com.seedsq.engine.model.PositionKind;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.Int8Quantizer;
import com.seedsq.engine.quant.QuantizedMatrix;
import jcuda.driver.CUevent;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GPU self-check and benchmark, for a machine with a CUDA device. One run does everything:
 * <ol>
 *   <li>correctness: activation quantization equal to {@link Int8Quantizer} bit for bit; the INT8 GEMM's INT32
 *       results equal to the CPU kernel's (every tile, ragged shapes) and its dequantized FP32 results equal bit for
 *       bit; the FP16 GEMM within an FP16 error bound of a double reference; the FP16 forward helpers close to
 *       {@link ScalarKernels};</li>
 *   <li>GEMM timings with CUDA events, INT8 (W8A8: per-token activation scales, per-channel weight scales, FP16 out)
 *       against our FP16 GEMM, for M in {1, 16, 128, 512, 2048} × (K=N=4096, K=N=8192, LLaMA-7B FFN 4096→11008 and
 *       11008→4096), auto tile and every tile;</li>
 *   <li>an end-to-end LLaMA-7B-shaped decoder stack (32 layers sharing one layer's random weights) in FP16 and in
 *       W8A8: prefill of 512 tokens and decode at context 512.</li>
 * </ol>
 * Usage: {@code GpuBench [--out DIR] [--quick] [--parts check,gemm,e2e]}. Writes {@code gpu-bench.csv} (the GEMM
 * grid) and {@code gpu-bench.md} (or {@code gpu-bench-PARTS.md} when only some parts run) to DIR and the same tables
 * to stdout. Running the parts as separate processes keeps a sticky CUDA error in one (an illegal address poisons
 * the context) from hiding the others. Exit status 0 when every check passed, 1 when one failed, 2 without a CUDA
 * device.
 */
public final class GpuBench {

    static final int[] MS = {1, 16, 128, 512, 2048};
    /** (K, N) pairs: square 4096 and 8192, LLaMA-7B FFN up (4096→11008) and down (11008→4096). */
    static final int[][] KN = {{4096, 4096}, {8192, 8192}, {4096, 11008}, {11008, 4096}};

    private final CudaBackend backend;
    private final CudaDevice dev;
    private final CudaKernels k;
    private final PrintStream out;
    private final SplittableRandom rnd = new SplittableRandom(42);
    private int failures;
    private final StringBuilder md = new StringBuilder();

    GpuBench(CudaBackend backend, PrintStream out) {
        this.backend = backend;
        this.dev = backend.device();
        this.k = backend.kernels();
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(".");
        boolean quick = false;
        java.util.Set<String> parts = new java.util.LinkedHashSet<>(PARTS);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> dir = Path.of(args[++i]);
                case "--quick" -> quick = true;
                case "--parts" -> {
                    parts.clear();
                    parts.addAll(List.of(args[++i].split(",")));
                    if (!PARTS.containsAll(parts)) {
                        System.err.println("unknown part in " + parts + " (known: " + PARTS + ")");
                        System.exit(64);
                    }
                }
                default -> {
                    System.err.println("usage: GpuBench [--out DIR] [--quick] [--parts check,gemm,e2e]");
                    System.exit(64);
                }
            }
        }
        var opened = CudaBackend.tryOpen();
        if (opened.isEmpty()) {
            System.err.println("gpu-bench: no CUDA device, nothing measured (" + CudaBackend.unavailableReason() + ")");
            System.exit(2);
        }
        int failures;
        try (CudaBackend b = opened.get()) {
            GpuBench bench = new GpuBench(b, System.out);
            failures = bench.run(dir, quick, parts);
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    static final List<String> PARTS = List.of("check", "gemm", "e2e");

    int run(Path dir, boolean quick, java.util.Set<String> parts) throws IOException {
        Files.createDirectories(dir);
        Path mdFile = dir.resolve(parts.size() == PARTS.size() ? "gpu-bench.md"
                : "gpu-bench-" + String.join("-", parts) + ".md");
        DeviceInfo info = dev.info();
        line("# GPU self-check and benchmark");
        line("");
        line("- device: " + info.describe());
        line("- kernels: " + CudaFatbin.RESOURCE + " " + CudaFatbin.entries(CudaFatbin.load()) + ", source sha256 "
                + CudaFatbin.committedSourceHash());
        line("- java " + System.getProperty("java.version") + ", " + java.time.Instant.now());
        line("");
        if (parts.contains("check")) {
            line("## Correctness");
            line("");
            section("quantization", this::checkQuantize);
            section("RMSNorm + quantization", this::checkNormQuantize);
            section("INT8 GEMM", this::checkInt8Gemm);
            section("FP16 GEMM", this::checkFp16Gemm);
            section("forward helpers", this::checkForward);
            section("model forward (CudaLlama)", this::checkModelForward);
            line("");
            line(failures == 0 ? "All checks passed." : failures + " check(s) FAILED.");
            line("");
            Files.writeString(mdFile, md);
        }
        if (parts.contains("gemm")) {
            List<String> csv = new ArrayList<>();
            section("GEMM timings", () -> csv.addAll(benchGemms(quick ? new int[]{1, 512} : MS,
                    quick ? new int[][]{KN[0], KN[2]} : KN)));
            Files.write(dir.resolve("gpu-bench.csv"), csv);
            Files.writeString(mdFile, md);
        }
        if (parts.contains("e2e")) {
            section("end to end", () -> endToEnd(quick));
            Files.writeString(mdFile, md);
        }
        return failures;
    }

    /** Runs one part; an exception (a CUDA error, say) is reported as a failure and the next part still runs. */
    private void section(String name, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException | LinkageError e) {
            check(false, name + " aborted: " + e);
            e.printStackTrace();
        }
    }

    private void line(String s) {
        out.println(s);
        md.append(s).append('\n');
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            failures++;
        }
        line("- " + (ok ? "PASS " : "FAIL ") + what);
    }

    // ---------------------------------------------------------------------------------------------------- data

    private float[] activations(int rows, int cols) {
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (i % cols == 7 ? 40 : 1)); // one outlier channel, as in LLMs
        }
        return x;
    }

    private byte[] int8Codes(long n) {
        byte[] b = new byte[Math.toIntExact(n)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (rnd.nextInt(255) - 127);
        }
        return b;
    }

    private short[] halves(long n, double scale) {
        short[] h = new short[Math.toIntExact(n)];
        for (int i = 0; i < h.length; i++) {
            h[i] = Float.floatToFloat16((float) (rnd.nextGaussian() * scale));
        }
        return h;
    }

    private float[] positive(int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * (float) rnd.nextDouble();
        }
        return v;
    }

    private static float[] widen(short[] h) {
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) {
            f[i] = Float.float16ToFloat(h[i]);
        }
        return f;
    }

    private static short[] padHalves(short[] src, int rows, int cols, int ld) {
        if (ld == cols) {
            return src;
        }
        short[] o = new short[rows * ld];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, r * cols, o, r * ld, cols);
        }
        return o;
    }

    // ---------------------------------------------------------------------------------------------------- checks

    private void checkQuantize() {
        int rows = 37, cols = 1000, ld = 1024;
        float[] x = activations(rows, cols);
        float[] inScale = positive(cols, 0.2f, 3f);
        short[] xh = new short[x.length];
        for (int i = 0; i < x.length; i++) {
            xh[i] = Float.floatToFloat16(x[i]);
        }
        float staticScale = Int8Quantizer.scale(50f);
        for (boolean half : new boolean[]{false, true}) {
            float[] xRef = half ? widen(xh) : x;
            for (float[] is : new float[][]{null, inScale}) {
                try (DeviceBuffer dx = half ? dev.upload(xh) : dev.upload(x);
                     DeviceBuffer dis = is == null ? null : dev.upload(is);
                     DeviceBuffer q = dev.allocate((long) rows * ld);
                     DeviceBuffer sc = dev.allocate(4L * rows)) {
                    String what = (half ? "f16" : "f32") + " input" + (is == null ? "" : ", fused input scale");
                    k.quantizePerToken(dx, half, dis, q, sc, rows, cols, ld);
                    compareQuant(q, sc, rows, cols, ld, Int8Quantizer.activations(xRef, rows, cols, Granularity.TOKEN, is),
                            "quantize per-token, " + what);
                    k.quantizePerTensor(dx, half, dis, q, sc, rows, cols, ld);
                    compareQuant(q, sc, rows, cols, ld, Int8Quantizer.activations(xRef, rows, cols, Granularity.TENSOR, is),
                            "quantize per-tensor dynamic, " + what);
                    dev.copyIn(sc, jcuda.Pointer.to(new float[]{staticScale}), 4);
                    k.quantizeStatic(dx, half, dis, q, sc, rows, cols, ld);
                    compareQuant(q, sc, rows, cols, ld, Int8Quantizer.activationsStatic(xRef, rows, cols, staticScale, is),
                            "quantize per-tensor static, " + what);
                }
            }
        }
    }

    /** The fused RMSNorm + per-token quantization gives the codes and scales of RMSNorm, then quantization. */
    private void checkNormQuantize() {
        int rows = 37, dim = 1000, ld = 1024;
        short[] xh = halves((long) rows * dim, 1), wh = halves(dim, 1);
        float[] inScale = positive(dim, 0.2f, 3f);
        for (float[] is : new float[][]{null, inScale}) {
            try (DeviceBuffer dx = dev.upload(xh); DeviceBuffer dw = dev.upload(wh);
                 DeviceBuffer dis = is == null ? null : dev.upload(is); DeviceBuffer h = dev.allocate(2L * rows * dim);
                 DeviceBuffer q1 = dev.allocate((long) rows * ld); DeviceBuffer s1 = dev.allocate(4L * rows);
                 DeviceBuffer q2 = dev.allocate((long) rows * ld); DeviceBuffer s2 = dev.allocate(4L * rows)) {
                k.rmsnorm(h, dx, dw, rows, dim, 1e-5f);
                k.quantizePerToken(h, true, dis, q1, s1, rows, dim, ld);
                k.rmsnormQuantizePerToken(dx, dw, dis, q2, s2, rows, dim, ld, 1e-5f);
                byte[] c1 = new byte[rows * ld], c2 = new byte[rows * ld];
                float[] sc1 = new float[rows], sc2 = new float[rows];
                dev.download(q1, c1);
                dev.download(q2, c2);
                dev.download(s1, sc1);
                dev.download(s2, sc2);
                int bad = 0;
                for (int i = 0; i < c1.length; i++) {
                    bad += c1[i] != c2[i] ? 1 : 0;
                }
                boolean same = java.util.Arrays.equals(sc1, sc2);
                check(bad == 0 && same, "RMSNorm fused with per-token quantization" + (is == null ? "" : ", input scale")
                        + ": " + bad + " codes differ from norm-then-quantize, scales " + (same ? "equal" : "DIFFER"));
            }
        }
    }

    private void compareQuant(DeviceBuffer q, DeviceBuffer sc, int rows, int cols, int ld, QuantizedMatrix ref,
                              String what) {
        byte[] codes = new byte[rows * ld];
        dev.download(q, codes);
        float[] scales = new float[ref.scales().length];
        dev.download(sc, scales);
        int bad = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < ld; c++) {
                byte want = c < cols ? ref.code(r, c) : 0;
                if (codes[r * ld + c] != want) {
                    bad++;
                }
            }
        }
        boolean scalesOk = java.util.Arrays.equals(scales, ref.scales());
        check(bad == 0 && scalesOk, what + ": " + bad + " codes differ, scales " + (scalesOk ? "equal" : "DIFFER"));
    }

    private void checkInt8Gemm() {
        int[][] shapes = {{1, 256, 64}, {3, 100, 100}, {16, 4096, 4096}, {37, 300, 200}, {129, 4097, 1000},
                {200, 1024, 4096}, {512, 11008, 512}};
        Int8Gemm cpu = Int8Kernels.best(Runtime.getRuntime().availableProcessors());
        for (int[] s : shapes) {
            int m = s[0], n = s[1], kk = s[2];
            QuantizedMatrix a = Int8Quantizer.activations(activations(m, kk), m, kk, Granularity.TOKEN, null);
            float[] wf = new float[n * kk];
            for (int i = 0; i < wf.length; i++) {
                wf[i] = (float) rnd.nextGaussian();
            }
            Int8Weights w = Int8Weights.of(Int8Quantizer.weights(wf, n, kk, Granularity.CHANNEL));
            float[] bias = positive(n, -1f, 1f);
            int[] want = new int[m * n];
            cpu.multiplyInt32(a, w, want);
            float[] wantF = new float[m * n];
            cpu.multiply(a, w, bias, wantF);
            for (GemmTile t : GemmTile.values()) {
                if (!t.fits(dev.info().maxSharedPerBlockOptin())) {
                    continue;
                }
                try (CudaInt8Gemm g = new CudaInt8Gemm(k, t)) {
                    int[] got = new int[m * n];
                    g.multiplyInt32(a, w, got);
                    int bad = 0;
                    for (int i = 0; i < got.length; i++) {
                        if (got[i] != want[i]) {
                            bad++;
                        }
                    }
                    float[] gotF = new float[m * n];
                    g.multiply(a, w, bias, gotF);
                    int badF = 0;
                    for (int i = 0; i < gotF.length; i++) {
                        if (Float.floatToRawIntBits(gotF[i]) != Float.floatToRawIntBits(wantF[i])) {
                            badF++;
                        }
                    }
                    check(bad == 0 && badF == 0, String.format(Locale.ROOT,
                            "INT8 GEMM %dx%dx%d tile %s: %d INT32 results differ from %s, %d dequantized FP32 differ",
                            m, n, kk, t.suffix(), bad, cpu.name(), badF));
                }
            }
        }
    }

    private void checkFp16Gemm() {
        int[][] shapes = {{1, 256, 64}, {37, 300, 200}, {129, 1000, 1000}, {256, 512, 4096}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], kk = s[2];
            short[] ah = halves((long) m * kk, 1), wh = halves((long) n * kk, 0.05);
            float[] af = widen(ah), wf = widen(wh);
            double[] ref = new double[m * n], bound = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0, abs = 0;
                    for (int c = 0; c < kk; c++) {
                        double p = (double) af[i * kk + c] * wf[j * kk + c];
                        sum += p;
                        abs += Math.abs(p);
                    }
                    ref[i * n + j] = sum;
                    bound[i * n + j] = abs * kk * 0x1p-24; // FP32 accumulation, worst case
                }
            }
            for (GemmTile t : GemmTile.values()) {
                if (!t.fits(dev.info().maxSharedPerBlockOptin())) {
                    continue;
                }
                GemmPlan plan = GemmPlan.of(m, n, kk, GemmPrecision.FP16, t);
                try (DeviceBuffer da = dev.upload(padHalves(ah, m, kk, plan.kPadded()));
                     DeviceBuffer dw = dev.upload(padHalves(wh, n, kk, plan.kPadded()));
                     DeviceBuffer c32 = dev.allocate(4L * m * n);
                     DeviceBuffer c16 = dev.allocate(2L * m * n)) {
                    k.gemm(plan, GemmOutput.FP32, da, dw, c32, null, false, null, false, null);
                    k.gemm(plan, GemmOutput.FP16, da, dw, c16, null, false, null, false, null);
                    float[] g32 = new float[m * n];
                    short[] g16 = new short[m * n];
                    dev.download(c32, g32);
                    dev.download(c16, g16);
                    int bad32 = 0, bad16 = 0;
                    double worst = 0;
                    for (int i = 0; i < g32.length; i++) {
                        double e32 = Math.abs(g32[i] - ref[i]);
                        double tol32 = bound[i] + Math.abs(ref[i]) * 0x1p-24 + 1e-30;
                        if (!(e32 <= tol32)) {
                            bad32++;
                        }
                        double e16 = Math.abs(Float.float16ToFloat(g16[i]) - ref[i]);
                        // FP16 output: one rounding (half an ulp, 2^-11 relative) on top of the FP32 error
                        double tol16 = tol32 + Math.max(Math.abs(ref[i]) * 0x1p-11, 0x1p-25);
                        if (!(e16 <= tol16)) {
                            bad16++;
                        }
                        worst = Math.max(worst, e16 / Math.max(Math.abs(ref[i]), 1e-3));
                    }
                    check(bad32 == 0 && bad16 == 0, String.format(Locale.ROOT,
                            "FP16 GEMM %dx%dx%d tile %s: %d FP32 and %d FP16 outputs outside the FP16 bound "
                                    + "(max relative error of FP16 output %.2e)", m, n, kk, t.suffix(), bad32, bad16, worst));
                }
            }
        }
    }

    private static double maxRelErr(float[] got, float[] want) {
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1.0));
        }
        return worst;
    }

    private float[] downloadHalf(DeviceBuffer b, int n) {
        short[] h = new short[n];
        dev.download(b, h);
        return widen(h);
    }

    /**
     * The whole GPU forward pass against the CPU engine on a small random LLaMA (GQA, an FFN width of 688 that is
     * not a multiple of the FP16 GEMM's 32-half K step, so the padding path runs): FP16 against FP32 logits, and W8A8
     * (O1 and O3, per-channel weights, no smoothing) against the CPU's INT8 execution of the same codes. Both differ
     * from their reference by FP16 activation storage only (~2^-11 relative per value, compounded over two layers),
     * so the bound is 3 % of the logit range, and the greedy next token must agree at every decode step.
     */
    private void checkModelForward() {
        var family = com.seedsq.engine.model.Families.LLAMA;
        var config = new com.seedsq.engine.model.ModelConfig(256, 2, 8, 4, 32, 688, 512, 128, 1e-5f, 10000f, false);
        var weights = new com.seedsq.engine.model.RandomWeights(family, config, com.seedsq.engine.tensor.DType.F32, 7);
        var model = new com.seedsq.engine.model.Model(family, config, weights, Path.of("random-llama"));
        int[] prompt = new SplittableRandom(3).ints(40, 0, 512).toArray();
        try (var cpuKernels = new com.seedsq.engine.kernel.VectorKernels()) {
            var cpu = com.seedsq.engine.forward.Transformer.of(model, cpuKernels);
            try (CudaLlama gpu = CudaLlama.fp16(backend, model, 64)) {
                compareForward("FP16 vs CPU FP32", cpu, gpu, prompt);
            }
            for (var level : new com.seedsq.engine.smoothquant.QuantLevel[]{
                    com.seedsq.engine.smoothquant.QuantLevel.O1, com.seedsq.engine.smoothquant.QuantLevel.O3}) {
                var qc = new com.seedsq.engine.smoothquant.QuantConfig(level, 0, Granularity.CHANNEL,
                        com.seedsq.engine.smoothquant.SiteSelection.NONE,
                        com.seedsq.engine.smoothquant.QuantConfig.Execution.INT8);
                var stats = level.staticScale() ? com.seedsq.engine.calib.Calibrator.run(model,
                        model.weights(), cpuKernels, new int[][]{prompt}, "", com.seedsq.engine.calib.ProgressListener.NONE) : null;
                try (var qm = com.seedsq.engine.smoothquant.QuantizedModel.prepare(model, stats, qc,
                        Int8Kernels.best(cpuKernels.threads()), com.seedsq.engine.calib.ProgressListener.NONE);
                     CudaLlama gpu = CudaLlama.int8(backend, qm, 64)) {
                    compareForward("W8A8 " + level + " vs CPU INT8", qm.transformer(cpuKernels), gpu, prompt);
                }
            }
        }
    }

    private void compareForward(String what, com.seedsq.engine.forward.Transformer cpu, CudaLlama gpu, int[] prompt) {
        var cache = cpu.newCache(64);
        float[] want = cpu.forward(cache, prompt, false);
        gpu.reset();
        gpu.useGraphs(true);
        float[] got = gpu.forward(prompt);
        double worst = 0;
        boolean sameArgmax = true;
        int[] steps = new int[8];
        List<float[]> graphLogits = new ArrayList<>();
        for (int step = 0; step < 8; step++) {
            worst = Math.max(worst, maxAbsErr(got, want) / range(want));
            int next = argmax(want);
            steps[step] = next;
            sameArgmax &= argmax(got) == next;
            want = cpu.forward(cache, new int[]{next}, false);
            got = gpu.forward(new int[]{next});
            graphLogits.add(got);
        }
        check(worst < 0.03 && sameArgmax, String.format(Locale.ROOT,
                "%s: prefill %d + 8 decode steps (graph: %b), max |Δ logit| / logit range %.2e, greedy tokens %s",
                what, prompt.length, gpu.graphs(), worst, sameArgmax ? "equal" : "DIFFER"));
        // the same steps launched kernel by kernel must give the same logits, bit for bit
        gpu.reset();
        gpu.useGraphs(false);
        gpu.forward(prompt);
        int differ = 0;
        for (int step = 0; step < 8; step++) {
            differ += java.util.Arrays.equals(gpu.forward(new int[]{steps[step]}), graphLogits.get(step)) ? 0 : 1;
        }
        check(differ == 0, what + ": decode replayed as a CUDA graph equals decode launched kernel by kernel ("
                + differ + " of 8 steps differ)");
        GpuLatency.Timing launched = GpuLatency.measure(gpu, prompt, 16, 5);
        gpu.useGraphs(true);
        GpuLatency.Timing graphed = GpuLatency.measure(gpu, prompt, 16, 5);
        line(String.format(Locale.ROOT, "  (%s, GpuLatency on this 2-layer model: decode %.3f ms/token launched, %.3f "
                + "as a graph; prefill %.3f ms)", what, launched.decodeMsPerToken(), graphed.decodeMsPerToken(),
                graphed.prefillMs()));
    }

    private static double maxAbsErr(float[] got, float[] want) {
        double e = 0;
        for (int i = 0; i < want.length; i++) {
            e = Math.max(e, Math.abs((double) got[i] - want[i]));
        }
        return e;
    }

    private static double range(float[] v) {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (float f : v) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        return Math.max(hi - lo, 1e-6);
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

    private void checkForward() {
        Kernels cpu = new ScalarKernels();
        double tol = 1e-2; // FP16 storage: about 2^-11 relative per value, a few roundings
        int rows = 5, dim = 512;
        short[] xh = halves((long) rows * dim, 1), wh = halves(dim, 1);
        float[] x = widen(xh), w = widen(wh);
        try (DeviceBuffer dx = dev.upload(xh); DeviceBuffer dw = dev.upload(wh);
             DeviceBuffer dout = dev.allocate(2L * rows * dim)) {
            k.rmsnorm(dout, dx, dw, rows, dim, 1e-5f);
            float[] want = new float[rows * dim];
            cpu.rmsnorm(want, x, w, rows, dim, 1e-5f);
            double e = maxRelErr(downloadHalf(dout, rows * dim), want);
            check(e < tol, String.format(Locale.ROOT, "rmsnorm f16: max error %.2e", e));

            k.softmax(dx, rows, dim);
            float[] sm = x.clone();
            for (int r = 0; r < rows; r++) {
                cpu.softmax(sm, r * dim, dim);
            }
            e = maxRelErr(downloadHalf(dx, rows * dim), sm);
            check(e < tol, String.format(Locale.ROOT, "softmax f16: max error %.2e", e));
        }
        for (PositionKind layout : new PositionKind[]{PositionKind.ROPE_INTERLEAVED, PositionKind.ROPE_HALVES}) {
            int heads = 4, headDim = 64, stride = heads * headDim + 32;
            short[] qh = halves((long) rows * stride, 1);
            try (DeviceBuffer dq = dev.upload(qh)) {
                k.rope(dq, rows, stride, heads, headDim, 7, 10000f, layout == PositionKind.ROPE_INTERLEAVED);
                float[] want = widen(qh);
                cpu.rope(want, rows, stride, heads, headDim, 7, 10000f, layout);
                double e = maxRelErr(downloadHalf(dq, rows * stride), want);
                check(e < tol, String.format(Locale.ROOT, "rope f16 %s: max error %.2e", layout, e));
            }
        }
        int n = 4099;
        short[] gh = halves(n, 2), uh = halves(n, 1);
        try (DeviceBuffer dg = dev.upload(gh); DeviceBuffer du = dev.upload(uh)) {
            k.swiglu(dg, du, n);
            float[] want = widen(gh);
            cpu.swiglu(want, widen(uh), n);
            double e = maxRelErr(downloadHalf(dg, n), want);
            check(e < tol, String.format(Locale.ROOT, "swiglu f16: max error %.2e", e));
        }
        checkAttention(cpu, tol);
    }

    /** Every attention kernel that takes the shape, on short and multi-block prefills, after caches, and decode steps. */
    private void checkAttention(Kernels cpu, double tol) {
        // T, start, heads, kvHeads, headDim (96: not a multiple of the 32 lanes)
        for (int[] c : new int[][]{{5, 3, 4, 2, 64}, {70, 30, 4, 1, 128}, {1, 100, 8, 2, 96}, {33, 0, 2, 2, 32},
                {130, 0, 2, 2, 64}, {1, 200, 4, 4, 128}, {17, 600, 4, 2, 128}}) {
            for (CudaKernels.AttentionKernel kernel : CudaKernels.AttentionKernel.values()) {
                if (kernel.accepts(c[0], c[1], c[4], c[2] * c[4], c[3] * c[4])) {
                    checkAttention(cpu, tol, c[0], c[1], c[2], c[3], c[4], kernel);
                }
            }
        }
    }

    private void checkAttention(Kernels cpu, double tol, int t, int start, int heads, int kvHeads, int hd,
                                CudaKernels.AttentionKernel kernel) {
        int qs = heads * hd, kvs = kvHeads * hd, s = start + t;
        short[] qh = halves((long) t * qs, 1), kh = halves((long) s * kvs, 1), vh = halves((long) s * kvs, 1);
        float[] q = widen(qh), kc = widen(kh), vc = widen(vh);
        float scale = (float) (1 / Math.sqrt(hd));
        float[] want = new float[t * qs];
        for (int i = 0; i < t; i++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / (heads / kvHeads), len = start + i + 1;
                float[] sc = new float[len];
                for (int p = 0; p < len; p++) {
                    sc[p] = cpu.dot(q, i * qs + h * hd, kc, p * kvs + kvh * hd, hd) * scale;
                }
                cpu.softmax(sc, 0, len);
                for (int p = 0; p < len; p++) {
                    cpu.axpy(sc[p], vc, p * kvs + kvh * hd, want, i * qs + h * hd, hd);
                }
            }
        }
        try (DeviceBuffer dq = dev.upload(qh); DeviceBuffer dk = dev.upload(kh); DeviceBuffer dv = dev.upload(vh);
             DeviceBuffer dout = dev.allocate(2L * t * qs)) {
            k.attention(dout, dq, dk, dv, t, start, heads, kvHeads, hd, qs, kvs, scale, kernel);
            double e = maxRelErr(downloadHalf(dout, t * qs), want);
            check(e < tol, String.format(Locale.ROOT, "causal attention f16, %s kernel (T=%d after %d cached, %d heads "
                    + "on %d KV heads of %d): max error %.2e", kernel, t, start, heads, kvHeads,
                    hd, e));
        }
    }

    // ---------------------------------------------------------------------------------------------------- timing

    /** Milliseconds per call of {@code body}: warm-up, then the best of 3 event-timed batches of ~30 ms. */
    double time(Runnable body) {
        for (int i = 0; i < 3; i++) {
            body.run();
        }
        dev.synchronize();
        CUevent a = dev.event(), b = dev.event();
        try {
            dev.record(a);
            body.run();
            dev.record(b);
            double once = Math.max(dev.elapsedMs(a, b), 1e-3);
            int iters = (int) Math.max(3, Math.min(1000, Math.ceil(30 / once)));
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < 3; rep++) {
                dev.record(a);
                for (int i = 0; i < iters; i++) {
                    body.run();
                }
                dev.record(b);
                best = Math.min(best, dev.elapsedMs(a, b) / iters);
            }
            return best;
        } finally {
            dev.destroy(a);
            dev.destroy(b);
        }
    }

    private record Timed(GemmTile tile, double ms) {
    }

    private List<String> benchGemms(int[] ms, int[][] kns) {
        int sms = dev.info().multiprocessors();
        int maxM = 0;
        for (int m : ms) {
            maxM = Math.max(maxM, m);
        }
        List<String> csv = new ArrayList<>();
        csv.add("m,n,k,int8_auto_tile,int8_auto_ms,int8_best_tile,int8_best_ms,fp16_auto_tile,fp16_auto_ms,"
                + "fp16_best_tile,fp16_best_ms,quant_per_token_ms,int8_tops,fp16_tflops,speedup_auto,speedup_best,"
                + "int8_sampled_exact");
        line("## GEMM timings (" + dev.info().name() + ", CUDA events, best of 3 batches)");
        line("");
        line("C[M,N] = A[M,K]·W[N,K]ᵀ. INT8: W8A8 with per-token activation and per-channel weight scales, fused "
                + "dequantization to FP16. FP16: FP16 operands, FP32 accumulation, FP16 out. \"quant\" is the per-token "
                + "quantization of FP16 activations [M,K] that precedes an INT8 GEMM in the forward pass.");
        line("");
        line("| M | N | K | FP16 ms (tile) | INT8 ms (tile) | INT8 speedup | best FP16 ms | best INT8 ms | best speedup "
                + "| quant ms | INT8 TOPS | FP16 TFLOPS | INT8 exact (sampled) |");
        line("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (int[] kn : kns) {
            int kk = kn[0], n = kn[1];
            GemmPlan p8 = GemmPlan.of(maxM, n, kk, GemmPrecision.INT8, GemmTile.LARGE);
            GemmPlan p16 = GemmPlan.of(maxM, n, kk, GemmPrecision.FP16, GemmTile.LARGE);
            byte[] a8 = int8Codes((long) maxM * p8.kPadded()), w8 = int8Codes((long) n * p8.kPadded());
            try (DeviceBuffer da8 = dev.upload(a8); DeviceBuffer dw8 = dev.upload(w8);
                 DeviceBuffer da16 = dev.upload(halves((long) maxM * p16.kPadded(), 1));
                 DeviceBuffer dw16 = dev.upload(halves((long) n * p16.kPadded(), 0.02));
                 DeviceBuffer aScale = dev.upload(positive(maxM, 0.01f, 0.02f));
                 DeviceBuffer wScale = dev.upload(positive(n, 0.0001f, 0.0002f));
                 DeviceBuffer c = dev.allocate(4L * maxM * n);
                 DeviceBuffer q = dev.allocate((long) maxM * p8.kPadded());
                 DeviceBuffer qs = dev.allocate(4L * maxM)) {
                for (int m : ms) {
                    java.util.Map<GemmTile, Timed> t8 = new java.util.EnumMap<>(GemmTile.class);
                    java.util.Map<GemmTile, Timed> t16 = new java.util.EnumMap<>(GemmTile.class);
                    for (GemmTile tile : GemmTile.values()) {
                        if (!tile.fits(dev.info().maxSharedPerBlockOptin())) {
                            continue;
                        }
                        GemmPlan g8 = GemmPlan.of(m, n, kk, GemmPrecision.INT8, tile);
                        GemmPlan g16 = GemmPlan.of(m, n, kk, GemmPrecision.FP16, tile);
                        t8.put(tile, new Timed(tile, time(() -> k.gemm(g8, GemmOutput.FP16, da8, dw8, c, aScale, true,
                                wScale, true, null))));
                        t16.put(tile, new Timed(tile, time(() -> k.gemm(g16, GemmOutput.FP16, da16, dw16, c, null, false,
                                null, false, null))));
                    }
                    GemmTile auto = GemmPlan.chooseTile(m, n, sms);
                    Timed a8t = t8.get(auto), a16t = t16.get(auto);
                    Timed b8 = t8.values().stream().min((x, y) -> Double.compare(x.ms, y.ms)).orElseThrow();
                    Timed b16 = t16.values().stream().min((x, y) -> Double.compare(x.ms, y.ms)).orElseThrow();
                    StringBuilder every = new StringBuilder("every tile, M=" + m + " N=" + n + " K=" + kk + ":");
                    t8.forEach((tile, t) -> every.append(String.format(Locale.ROOT, " %s INT8 %.4f FP16 %.4f;",
                            tile.suffix(), t.ms, t16.get(tile).ms)));
                    out.println(every); // the log only: what the tile choice is tuned from
                    double quant = time(() -> k.quantizePerToken(da16, true, null, q, qs, m, kk, p8.kPadded()));
                    boolean exact = sampledExact(GemmPlan.of(m, n, kk, GemmPrecision.INT8, auto), da8, dw8, c, a8, w8);
                    if (!exact) {
                        failures++;
                    }
                    double ops = 2.0 * m * n * kk;
                    line(String.format(Locale.ROOT,
                            "| %d | %d | %d | %.4f (%s) | %.4f (%s) | %.2fx | %.4f (%s) | %.4f (%s) | %.2fx | %.4f | %.1f | %.1f | %s |",
                            m, n, kk, a16t.ms, auto.suffix(), a8t.ms, auto.suffix(), a16t.ms / a8t.ms, b16.ms,
                            b16.tile.suffix(), b8.ms, b8.tile.suffix(), b16.ms / b8.ms, quant, ops / b8.ms / 1e9,
                            ops / b16.ms / 1e9, exact ? "yes" : "NO"));
                    csv.add(String.format(Locale.ROOT, "%d,%d,%d,%s,%.5f,%s,%.5f,%s,%.5f,%s,%.5f,%.5f,%.2f,%.2f,%.3f,%.3f,%b",
                            m, n, kk, auto.suffix(), a8t.ms, b8.tile.suffix(), b8.ms, auto.suffix(), a16t.ms,
                            b16.tile.suffix(), b16.ms, quant, ops / b8.ms / 1e9, ops / b16.ms / 1e9, a16t.ms / a8t.ms,
                            b16.ms / b8.ms, exact));
                }
            }
        }
        line("");
        return csv;
    }

    /** INT32 results at 256 random positions equal the exact dot products. */
    private boolean sampledExact(GemmPlan plan, DeviceBuffer a, DeviceBuffer w, DeviceBuffer c, byte[] a8, byte[] w8) {
        k.gemm(plan, GemmOutput.INT32, a, w, c, null, false, null, false, null);
        int[] got = new int[plan.m() * plan.n()];
        dev.download(c.slice(0, 4L * got.length), got);
        int ld = plan.kPadded();
        for (int s = 0; s < 256; s++) {
            int i = rnd.nextInt(plan.m()), j = rnd.nextInt(plan.n());
            int want = 0;
            for (int x = 0; x < plan.k(); x++) {
                want += a8[i * ld + x] * w8[j * ld + x];
            }
            if (got[i * plan.n() + j] != want) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------- e2e

    private void endToEnd(boolean quick) {
        LlamaStack s = new LlamaStack(this, quick ? 4 : 32);
        try {
            int prompt = 512;
            line("## End to end: LLaMA-7B-shaped decoder stack, random weights");
            line("");
            line("dim 4096, 32 heads of 128, FFN 11008 (SwiGLU), " + s.layers + " layers sharing one layer's weights "
                    + "(7B's weights do not fit L2 either way), no embedding or LM head. W8A8: every linear is a per-token "
                    + "quantization of its FP16 input (fused into the RMSNorm where one precedes it) plus an INT8 GEMM with "
                    + "per-channel weight scales and FP16 output; RoPE, attention and SwiGLU are the same FP16 kernels "
                    + "in both. \"launched\": every kernel "
                    + "launched from Java (" + s.launchesPerLayer(false) + " launches per layer in FP16, "
                    + s.launchesPerLayer(true) + " in W8A8); \"graph\": the same forward captured once as a CUDA graph "
                    + "and replayed.");
            line("");
            line("| phase | FP16 ms launched | W8A8 ms launched | speedup | FP16 ms graph | W8A8 ms graph | speedup |");
            line("|---|---|---|---|---|---|---|");
            for (int[] phase : new int[][]{{prompt, 0}, {1, prompt}}) {
                int t = phase[0], start = phase[1];
                double f16 = time(() -> s.forward(false, t, start));
                double i8 = time(() -> s.forward(true, t, start));
                double g16, g8;
                try (CudaDevice.CudaGraph g = dev.capture(() -> s.forward(false, t, start))) {
                    g16 = time(g::launch);
                }
                try (CudaDevice.CudaGraph g = dev.capture(() -> s.forward(true, t, start))) {
                    g8 = time(g::launch);
                }
                line(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.2fx | %.3f | %.3f | %.2fx |",
                        t > 1 ? "prefill " + t + " tokens" : "decode 1 token at context " + start, f16, i8, f16 / i8,
                        g16, g8, g16 / g8));
            }
            line("");
            launchCost();
            breakdown(s, prompt, 0);
            breakdown(s, 1, prompt);
        } finally {
            s.close();
        }
    }

    /** Host cost of one kernel launch through JCuda: a burst of tiny launches, wall clock, GPU idle otherwise. */
    private void launchCost() {
        try (DeviceBuffer x = dev.allocate(64); DeviceBuffer y = dev.allocate(64)) {
            dev.fill32(x, 0, 16);
            dev.fill32(y, 0, 16);
            for (int i = 0; i < 2000; i++) {
                k.add(x, y, 1);
            }
            dev.synchronize();
            int n = 20_000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                k.add(x, y, 1);
            }
            long queued = System.nanoTime();
            dev.synchronize();
            long done = System.nanoTime();
            line(String.format(Locale.ROOT, "Kernel launch from Java (JCuda cuLaunchKernel, 1-element kernel, %d in a "
                    + "row): %.2f µs of host time each to queue, %.2f µs each until all had run.", n,
                    (queued - t0) / 1e3 / n, (done - t0) / 1e3 / n));
            line("");
        }
    }

    /** Per-layer time of each part of the layer (each timed alone, launched), FP16 and W8A8. */
    private void breakdown(LlamaStack s, int t, int start) {
        line("Per layer, " + (t > 1 ? "prefill of " + t + " tokens" : "decode of 1 token at context " + start)
                + " (each part timed alone, ms):");
        line("");
        line("| part | FP16 | W8A8 |");
        line("|---|---|---|");
        long kvOff = 2L * start * LlamaStack.DIM, kvLen = 2L * t * LlamaStack.DIM;
        double[] sum = new double[2];
        java.util.function.BiConsumer<String, java.util.function.Function<Boolean, Runnable>> row = (name, part) -> {
            double a = time(part.apply(false)), b = time(part.apply(true));
            sum[0] += a;
            sum[1] += b;
            line(String.format(Locale.ROOT, "| %s | %.4f | %.4f |", name, a, b));
        };
        row.accept("2 RMSNorms (W8A8: fused with the quantization of their output)", int8 -> () -> {
            s.norm(int8, t);
            s.norm(int8, t);
        });
        row.accept("activation quantization (W8A8: before o and down)", int8 -> () -> {
            if (int8) {
                s.quantize(0, s.attn, t);
                s.quantize(6, s.g, t);
            }
        });
        row.accept("q, k, v, o projections", int8 -> () -> {
            s.linear(int8, 0, s.h, s.q, t, false);
            s.linear(int8, 1, s.h, s.kCache.slice(kvOff, kvLen), t, false);
            s.linear(int8, 2, s.h, s.vCache.slice(kvOff, kvLen), t, false);
            s.linear(int8, 3, s.attn, s.o, t, false);
        });
        row.accept("2 RoPEs", int8 -> () -> {
            k.rope(s.q, t, LlamaStack.DIM, LlamaStack.HEADS, LlamaStack.HEAD_DIM, start, 10000f, false);
            k.rope(s.kCache.slice(kvOff, kvLen), t, LlamaStack.DIM, LlamaStack.HEADS, LlamaStack.HEAD_DIM, start,
                    10000f, false);
        });
        CudaKernels.AttentionKernel chosen = CudaKernels.attentionKernel(t, start, LlamaStack.HEAD_DIM,
                LlamaStack.DIM, LlamaStack.DIM);
        row.accept("attention (" + chosen + " kernel)", int8 -> () -> s.attention(t, start, chosen));
        row.accept("gate, up, down projections", int8 -> () -> {
            s.linear(int8, 4, s.h, s.g, t, false);
            s.linear(int8, 5, s.h, s.u, t, false);
            s.linear(int8, 6, s.g, s.d, t, false);
        });
        row.accept("SwiGLU + 2 residual adds", int8 -> () -> {
            k.swiglu(s.g, s.u, (long) t * LlamaStack.FFN);
            k.add(s.x, s.o, (long) t * LlamaStack.DIM);
            k.add(s.x, s.d, (long) t * LlamaStack.DIM);
        });
        line(String.format(Locale.ROOT, "| sum | %.4f | %.4f |", sum[0], sum[1]));
        for (CudaKernels.AttentionKernel other : CudaKernels.AttentionKernel.values()) {
            if (other != chosen && other.accepts(t, start, LlamaStack.HEAD_DIM, LlamaStack.DIM, LlamaStack.DIM)) {
                double ms = time(() -> s.attention(t, start, other));
                line(String.format(Locale.ROOT, "| (attention, %s kernel, for comparison) | %.4f | %.4f |", other, ms,
                        ms));
            }
        }
        line("");
    }

    /** One LLaMA-7B decoder layer's buffers, run {@code layers} times per forward. */
    private static final class LlamaStack implements AutoCloseable {
        static final int DIM = 4096, HEADS = 32, HEAD_DIM = 128, FFN = 11008, MAX_T = 1024;
        final int layers;
        final CudaKernels k;
        final List<DeviceBuffer> all = new ArrayList<>();
        final DeviceBuffer x, h, q, attn, o, g, u, d, kCache, vCache, normW, q8, qScale;
        final DeviceBuffer[] w16 = new DeviceBuffer[7], w8 = new DeviceBuffer[7], ws = new DeviceBuffer[7];
        final int[][] shape = {{DIM, DIM}, {DIM, DIM}, {DIM, DIM}, {DIM, DIM}, {DIM, FFN}, {DIM, FFN}, {FFN, DIM}};

        LlamaStack(GpuBench b, int layers) {
            this.layers = layers;
            this.k = b.k;
            CudaDevice dev = b.dev;
            x = keep(dev.upload(b.halves((long) MAX_T * DIM, 1)));
            h = keep(dev.allocate(2L * MAX_T * DIM));
            q = keep(dev.allocate(2L * MAX_T * DIM));
            attn = keep(dev.allocate(2L * MAX_T * DIM));
            o = keep(dev.allocate(2L * MAX_T * DIM));
            g = keep(dev.allocate(2L * MAX_T * FFN));
            u = keep(dev.allocate(2L * MAX_T * FFN));
            d = keep(dev.allocate(2L * MAX_T * DIM));
            kCache = keep(dev.allocate(2L * (MAX_T + 1) * DIM));
            vCache = keep(dev.allocate(2L * (MAX_T + 1) * DIM));
            dev.fill32(kCache, 0, kCache.bytes() / 4); // defined values for the positions decode reads
            dev.fill32(vCache, 0, vCache.bytes() / 4);
            normW = keep(dev.upload(b.halves(DIM, 1)));
            q8 = keep(dev.allocate((long) MAX_T * FFN));
            qScale = keep(dev.allocate(4L * MAX_T));
            for (int i = 0; i < 7; i++) { // wq wk wv wo w1(gate) w3(up) w2(down): [out, in]
                int in = shape[i][0], outDim = shape[i][1];
                w16[i] = keep(dev.upload(b.halves((long) outDim * in, 0.02)));
                w8[i] = keep(dev.upload(b.int8Codes((long) outDim * in)));
                ws[i] = keep(dev.upload(b.positive(outDim, 0.0001f, 0.0003f)));
            }
        }

        private DeviceBuffer keep(DeviceBuffer buf) {
            all.add(buf);
            return buf;
        }

        /** A linear: out [t, N] = in [t, K] · W_i; in W8A8 mode quantizes {@code in} first unless already done. */
        void linear(boolean int8, int i, DeviceBuffer in, DeviceBuffer outBuf, int t, boolean quantize) {
            int kk = shape[i][0], n = shape[i][1];
            if (int8) {
                GemmPlan p = GemmPlan.of(t, n, kk, GemmPrecision.INT8, k.device().info().multiprocessors());
                if (quantize) {
                    k.quantizePerToken(in, true, null, q8, qScale, t, kk, p.kPadded());
                }
                k.gemm(p, GemmOutput.FP16, q8, w8[i], outBuf, qScale, true, ws[i], true, null);
            } else {
                GemmPlan p = GemmPlan.of(t, n, kk, GemmPrecision.FP16, k.device().info().multiprocessors());
                k.gemm(p, GemmOutput.FP16, in, w16[i], outBuf, null, false, null, false, null);
            }
        }

        int launchesPerLayer(boolean int8) {
            return 15 + (int8 ? 2 : 0); // 2 norms, 7 GEMMs, 2 RoPEs, attention, SwiGLU, 2 adds (+ 2 quantizations)
        }

        void quantize(int i, DeviceBuffer in, int t) {
            int kk = shape[i][0];
            GemmPlan p = GemmPlan.of(t, shape[i][1], kk, GemmPrecision.INT8, k.device().info().multiprocessors());
            k.quantizePerToken(in, true, null, q8, qScale, t, kk, p.kPadded());
        }

        void attention(int t, int start, CudaKernels.AttentionKernel kernel) {
            k.attention(attn, q, kCache, vCache, t, start, HEADS, HEADS, HEAD_DIM, DIM, DIM,
                    (float) (1 / Math.sqrt(HEAD_DIM)), kernel);
        }

        /** RMSNorm of x: into h in FP16, or (W8A8) straight into the INT8 codes the next linears read. */
        void norm(boolean int8, int t) {
            if (int8) {
                int ld = GemmPlan.of(t, DIM, DIM, GemmPrecision.INT8, GemmTile.LARGE).kPadded();
                k.rmsnormQuantizePerToken(x, normW, null, q8, qScale, t, DIM, ld, 1e-5f);
            } else {
                k.rmsnorm(h, x, normW, t, DIM, 1e-5f);
            }
        }

        void forward(boolean int8, int t, int start) {
            long kvOff = 2L * start * DIM, kvLen = 2L * t * DIM;
            for (int l = 0; l < layers; l++) {
                norm(int8, t);
                linear(int8, 0, h, q, t, false);
                linear(int8, 1, h, kCache.slice(kvOff, kvLen), t, false);
                linear(int8, 2, h, vCache.slice(kvOff, kvLen), t, false);
                k.rope(q, t, DIM, HEADS, HEAD_DIM, start, 10000f, false);
                k.rope(kCache.slice(kvOff, kvLen), t, DIM, HEADS, HEAD_DIM, start, 10000f, false);
                attention(t, start, CudaKernels.attentionKernel(t, start, HEAD_DIM, DIM, DIM));
                linear(int8, 3, attn, o, t, true);
                k.add(x, o, (long) t * DIM);
                norm(int8, t);
                linear(int8, 4, h, g, t, false);
                linear(int8, 5, h, u, t, false);
                k.swiglu(g, u, (long) t * FFN);
                linear(int8, 6, g, d, t, true);
                k.add(x, d, (long) t * DIM);
            }
        }

        @Override
        public void close() {
            all.forEach(DeviceBuffer::close);
        }
    }
}
