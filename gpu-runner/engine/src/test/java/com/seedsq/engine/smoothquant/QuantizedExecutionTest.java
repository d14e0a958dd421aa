package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.llama2c.Llama2cHeader;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.kernel.int8.Int8Weights;
import com.seedsq.engine.kernel.int8.ScalarInt8Gemm;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.Int8Quantizer;
import com.seedsq.engine.quant.QuantizedMatrix;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** W8A8 execution: activation scales per level, INT8 vs fake quantization, and end-to-end codes vs the reference. */
class QuantizedExecutionTest {

    static VectorKernels kernels;

    @TempDir
    Path tmp;

    @BeforeAll
    static void init() {
        kernels = new VectorKernels(2);
    }

    @AfterAll
    static void done() {
        kernels.close();
    }

    /** One linear through the decorator equals the reference conventions computed by hand, for every level. */
    @Test
    void oneLinearFollowsTheReferenceConventionsAtEveryLevel() {
        int m = 5, k = 19, n = 7;
        Random rnd = new Random(5);
        float[] x = new float[m * k], w = new float[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (i % k == 3 ? 20 : 1)); // channel 3 is an outlier
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        for (Granularity wg : new Granularity[]{Granularity.TENSOR, Granularity.CHANNEL}) {
            QuantizedMatrix qw = Int8Quantizer.weights(w, n, k, wg);
            for (QuantLevel level : QuantLevel.values()) {
                float staticScale = 50f / 127;
                QuantizedLinear ql = new QuantizedLinear("w", new SiteKey(0, "attn_in"), Int8Weights.of(qw), null,
                        staticScale, Matrix.ofFloats("w", n, k, qw.dequantize()));
                float[] expected = new float[m * n];
                for (int r = 0; r < m; r++) {
                    float amax = 0;
                    for (int c = 0; c < k; c++) {
                        amax = Math.max(amax, Math.abs(level.activations() == Granularity.TOKEN ? x[r * k + c] : 0));
                    }
                    if (level.activations() == Granularity.TENSOR) {
                        for (float v : x) {
                            amax = Math.max(amax, Math.abs(v));
                        }
                    }
                    float sa = level.staticScale() ? staticScale : Math.max(amax, 1e-5f) / 127;
                    for (int j = 0; j < n; j++) {
                        int acc = 0;
                        for (int c = 0; c < k; c++) {
                            int qa = (int) Math.max(-127, Math.min(127, Math.rint(x[r * k + c] / sa)));
                            acc += qa * qw.code(j, c);
                        }
                        expected[r * n + j] = acc * sa * qw.scale(j);
                    }
                }
                float[] out = new float[m * n];
                new Int8LinearKernels(kernels, Map.of("w", ql), level, new ScalarInt8Gemm(), false)
                        .matmul(x, m, Matrix.ofFloats("w", n, k, w), out);
                assertArrayEquals(expected, out, level + " " + wg);
                float[] fake = new float[m * n];
                new Int8LinearKernels(kernels, Map.of("w", ql), level, null, false)
                        .matmul(x, m, Matrix.ofFloats("w", n, k, w), fake);
                for (int i = 0; i < fake.length; i++) {
                    assertEquals(expected[i], fake[i], 1e-5 * (1 + Math.abs(expected[i])), "fake " + level + " " + i);
                }
                // a matmul with another name is not quantized
                float[] other = new float[m * n], plain = new float[m * n];
                new Int8LinearKernels(kernels, Map.of("w", ql), level, new ScalarInt8Gemm(), false)
                        .matmul(x, m, Matrix.ofFloats("lm_head", n, k, w), other);
                kernels.matmul(x, m, Matrix.ofFloats("lm_head", n, k, w), plain);
                assertArrayEquals(plain, other);
            }
        }
    }

    /**
     * q, k and v through {@link Int8LinearKernels#linears}: one quantization of the shared input and one batch for the
     * GEMM where they quantize alike, separate calls where they do not (another input scale, or one linear left FP).
     * Either way every output must be bit-identical to its own {@code linear} call, at every level and with the
     * native kernel's batch where it loads.
     */
    @Test
    void qkvSharingOneInputEqualSeparateLinears() {
        int m = 33, k = 40;
        Random rnd = new Random(8);
        float[] x = new float[m * k], inputScale = new float[k], otherScale = new float[k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (i % k == 3 ? 20 : 1));
        }
        for (int c = 0; c < k; c++) {
            inputScale[c] = 0.5f + rnd.nextFloat();
            otherScale[c] = 0.5f + rnd.nextFloat();
        }
        String[] names = {"q", "k", "v"};
        int[] rows = {40, 24, 24};
        try (var gemm = com.seedsq.engine.kernel.int8.Int8Kernels.best(2)) {
            for (boolean alike : new boolean[]{true, false}) {
                for (QuantLevel level : QuantLevel.values()) {
                    Map<String, QuantizedLinear> qs = new java.util.HashMap<>();
                    Matrix[] ws = new Matrix[3];
                    float[][] biases = new float[3][];
                    for (int i = 0; i < 3; i++) {
                        float[] w = new float[rows[i] * k];
                        for (int j = 0; j < w.length; j++) {
                            w[j] = (float) rnd.nextGaussian() * 0.1f;
                        }
                        ws[i] = Matrix.ofFloats(names[i], rows[i], k, w);
                        QuantizedMatrix qw = Int8Quantizer.weights(w, rows[i], k,
                                i == 1 ? Granularity.TENSOR : Granularity.CHANNEL);
                        float[] scale = alike || i < 2 ? inputScale : otherScale;
                        qs.put(names[i], new QuantizedLinear(names[i], new SiteKey(0, "attn_in"), Int8Weights.of(qw),
                                scale, 30f / 127, null));
                        biases[i] = i == 2 ? null : new float[rows[i]];
                        if (biases[i] != null) {
                            for (int j = 0; j < rows[i]; j++) {
                                biases[i][j] = (float) rnd.nextGaussian();
                            }
                        }
                    }
                    Int8LinearKernels int8 = new Int8LinearKernels(kernels, qs, level, gemm, false);
                    float[][] outs = {new float[m * 40], new float[m * 24], new float[m * 24]};
                    int8.linears(x, m, ws, biases, outs);
                    for (int i = 0; i < 3; i++) {
                        float[] want = new float[outs[i].length];
                        int8.linear(x, m, ws[i], biases[i], want);
                        assertArrayEquals(want, outs[i], level + " " + names[i] + (alike ? "" : " (scales differ)"));
                    }
                }
            }
        }
    }

    @Test
    void int8AndFakeQuantizationAgreeOnARandomModelAndErrorsAreMeasured() {
        Path f = tmp.resolve("rand.bin");
        RandomLlama2c.write(f, new Llama2cHeader(32, 48, 2, 4, 2, 40, 64, true), 3);
        try (Model model = Model.open(f)) {
            int[] ids = new int[300];
            ids[0] = 1;
            for (int i = 1; i < ids.length; i++) {
                ids[i] = 2 + (i * 11 + i / 3) % 38;
            }
            ActivationStats stats = Calibrator.run(model, kernels, new CalibrationSpec(4, 40).windows(ids, 1),
                    ProgressListener.NONE);
            int[] window = java.util.Arrays.copyOf(ids, 48);
            Transformer fp = Transformer.of(model, kernels);
            float[] ref = fp.forward(fp.newCache(), window, true);
            for (QuantLevel level : QuantLevel.values()) {
                QuantConfig c = QuantConfig.of(level, 0.5, Granularity.CHANNEL);
                try (QuantizedModel real = QuantizedModel.prepare(model, stats, c, new ScalarInt8Gemm(),
                        ProgressListener.NONE);
                     QuantizedModel fake = QuantizedModel.prepare(model, stats,
                             c.withExecution(QuantConfig.Execution.FAKE), null, ProgressListener.NONE)) {
                    assertEquals(14, real.linears().size(), "7 linears x 2 layers; embedding/LM head stay FP");
                    assertFalse(real.linears().containsKey("model.embed_tokens.weight"));
                    assertEquals(level == QuantLevel.NAIVE ? 0 : 4, real.plan().factors().size());
                    Transformer tr = real.transformer(kernels), tf = fake.transformer(kernels);
                    float[] a = tr.forward(tr.newCache(), window, true);
                    float[] b = tf.forward(tf.newCache(), window, true);
                    double maxDiff = 0, err = 0, norm = 0;
                    for (int i = 0; i < a.length; i++) {
                        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                        err += (a[i] - ref[i]) * (double) (a[i] - ref[i]);
                        norm += ref[i] * (double) ref[i];
                    }
                    // same codes and scales; only float32 accumulation order differs, amplified slightly by
                    // re-quantization downstream (a code can flip at a rounding tie)
                    assertTrue(maxDiff < 5e-2, level + ": INT8 vs fake max |delta| " + maxDiff);
                    assertTrue(err / norm < 0.05, level + ": relative error vs FP " + err / norm);
                    var errors = SmoothQuant.linearErrors(real, new CalibrationSpec(2, 40).windows(ids, 1), kernels);
                    assertEquals(14, errors.size());
                    errors.forEach(e -> assertTrue(e.relativeMse() > 0 && e.relativeMse() < 0.05, e.toString()));
                    assertTrue(real.int8Bytes() < model.weights().names().stream()
                            .mapToLong(t -> model.weights().tensor(t).data().byteSize()).sum() / 2);
                }
            }
        }
    }

    /**
     * {@code int8Head}: the tied classifier (the embedding matrix, read by the head's matmul) joins the INT8 linears
     * with per-token dynamic activations at every level, INT8 and fake quantization agree, the logits stay close to
     * FP yet differ from the FP-head variant's, and the export refuses it rather than write an FP head silently.
     */
    @Test
    void int8HeadQuantizesTheClassifierOnly() throws Exception {
        Path f = tmp.resolve("rand-head.bin");
        RandomLlama2c.write(f, new Llama2cHeader(32, 48, 2, 4, 2, 40, 64, true), 4);
        try (Model model = Model.open(f)) {
            int[] ids = new int[300];
            ids[0] = 1;
            for (int i = 1; i < ids.length; i++) {
                ids[i] = 2 + (i * 7 + i / 5) % 38;
            }
            ActivationStats stats = Calibrator.run(model, kernels, new CalibrationSpec(4, 40).windows(ids, 1),
                    ProgressListener.NONE);
            int[] window = java.util.Arrays.copyOf(ids, 48);
            Transformer fp = Transformer.of(model, kernels);
            float[] ref = fp.forward(fp.newCache(), window, true);
            String head = "model.embed_tokens.weight";
            for (QuantLevel level : new QuantLevel[]{QuantLevel.O1, QuantLevel.O3}) {
                QuantConfig c = QuantConfig.of(level, 0.5, Granularity.CHANNEL).withInt8Head(true);
                try (QuantizedModel real = QuantizedModel.prepare(model, stats, c, new ScalarInt8Gemm(),
                        ProgressListener.NONE);
                     QuantizedModel fake = QuantizedModel.prepare(model, stats,
                             c.withExecution(QuantConfig.Execution.FAKE), null, ProgressListener.NONE);
                     QuantizedModel fpHead = QuantizedModel.prepare(model, stats, c.withInt8Head(false),
                             new ScalarInt8Gemm(), ProgressListener.NONE)) {
                    assertEquals(15, real.linears().size(), "14 block linears + the head");
                    QuantizedLinear h = real.linears().get(head);
                    assertTrue(Float.isNaN(h.staticScale()) && h.inputScale() == null, "dynamic, unsmoothed");
                    Transformer tr = real.transformer(kernels), tf = fake.transformer(kernels),
                            th = fpHead.transformer(kernels);
                    float[] a = tr.forward(tr.newCache(), window, true);
                    float[] b = tf.forward(tf.newCache(), window, true);
                    float[] withFpHead = th.forward(th.newCache(), window, true);
                    double maxDiff = 0, moved = 0, err = 0, norm = 0;
                    for (int i = 0; i < a.length; i++) {
                        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                        moved = Math.max(moved, Math.abs(a[i] - withFpHead[i]));
                        err += (a[i] - ref[i]) * (double) (a[i] - ref[i]);
                        norm += ref[i] * (double) ref[i];
                    }
                    assertTrue(maxDiff < 5e-2, level + ": INT8 vs fake max |delta| " + maxDiff);
                    assertTrue(moved > 1e-4, level + ": the INT8 head must change the logits, moved " + moved);
                    assertTrue(err / norm < 0.05, level + ": relative error vs FP " + err / norm);
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> com.seedsq.engine.export.Int8Export.write(real, tmp.resolve("no-export")));
                    assertTrue(e.getMessage().contains("LM head"), e.getMessage());
                }
            }
        }
    }

    /** The whole pipeline (reference statistics → smoothing → weight quantization) reproduces the reference codes. */
    @Test
    void layer0CodesMatchTheReferenceBitForBit() {
        ActivationStats stats = ReferenceStats.stories260K();
        try (Model model = Model.open(SharedData.model());
             QuantizedModel naive = QuantizedModel.prepare(model, stats,
                     QuantConfig.naive().withExecution(QuantConfig.Execution.FAKE), null, ProgressListener.NONE);
             QuantizedModel o1 = QuantizedModel.prepare(model, stats,
                     QuantConfig.of(QuantLevel.O1, 0.5, Granularity.TENSOR).withExecution(QuantConfig.Execution.FAKE),
                     null, ProgressListener.NONE)) {
            assertCodes("int8_L0_wq_pertensor.csv", naive.linears().get("model.layers.0.self_attn.q_proj.weight"));
            assertCodes("int8_L0_wq_smoothed_a0.5_pertensor.csv",
                    o1.linears().get("model.layers.0.self_attn.q_proj.weight"));
            assertCodes("int8_L0_w1_smoothed_a0.5_pertensor.csv",
                    o1.linears().get("model.layers.0.mlp.gate_proj.weight"));
        }
    }

    private static void assertCodes(String file, QuantizedLinear q) {
        float[][] expected = ReferenceStats.csv(file);
        QuantizedMatrix m = q.weights().matrix();
        assertEquals(expected.length, m.rows(), file);
        for (int r = 0; r < m.rows(); r++) {
            for (int c = 0; c < m.cols(); c++) {
                assertEquals((int) expected[r][c], m.code(r, c), file + " [" + r + "," + c + "]");
            }
        }
    }
}
