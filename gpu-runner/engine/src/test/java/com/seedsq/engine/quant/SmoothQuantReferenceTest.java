package com.seedsq.engine.quant;

import com.seedsq.engine.format.llama2c.Llama2cCheckpoint;
import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Smoothing factors and INT8 codes of stories260K against an independent implementation
 * ({@code reference/stories260K} in the shared data; skipped when it is absent).
 */
class SmoothQuantReferenceTest {

    private static final String REF = "reference/stories260K/";
    private static final double ALPHA = 0.5;
    private static Llama2cCheckpoint model;

    @BeforeAll
    static void open() {
        model = Llama2cCheckpoint.open(SharedData.model());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void smoothingFactorsMatchTheReferenceForEveryLayer() {
        for (int l = 0; l < model.header().layers(); l++) {
            check(l, "attn_in", attnInputs(l));
            check(l, "ffn_in", ffnInputs(l));
        }
    }

    private void check(int layer, String site, float[][] fed) {
        float[] s = factors(layer, site, fed);
        float[] expected = csv("smooth_a0.5_L" + layer + "_" + site + ".csv")[0];
        assertEquals(expected.length, s.length);
        for (int j = 0; j < s.length; j++) {
            // the reference prints 8 significant digits, so 1e-5 relative is far above print error, far below any
            // mistake in the formula (α, the floors, or which linears feed w_j)
            assertEquals(expected[j], s[j], 1e-5 * Math.abs(expected[j]), "L" + layer + " " + site + " channel " + j);
        }
    }

    @Test
    void int8CodesOfLayer0MatchBitForBit() {
        float[] wq = weight("model.layers.0.self_attn.q_proj.weight");
        assertCodes("int8_L0_wq_pertensor.csv", wq, 64);

        float[] sAttn = factors(0, "attn_in", attnInputs(0));
        SmoothingFold.intoLinearInput(wq, sAttn);
        assertCodes("int8_L0_wq_smoothed_a0.5_pertensor.csv", wq, 64);

        float[] w1 = weight("model.layers.0.mlp.gate_proj.weight");
        SmoothingFold.intoLinearInput(w1, factors(0, "ffn_in", ffnInputs(0)));
        assertCodes("int8_L0_w1_smoothed_a0.5_pertensor.csv", w1, 64);
    }

    @Test
    void foldingKeepsTheNormedLinearOutputUnchanged() {
        // RMSNorm output = g_j * xhat_j feeding W: (g_j / s_j) * xhat_j * (W[i,j] * s_j) equals g_j * xhat_j * W[i,j]
        // up to float32 rounding of the two extra operations (a few ulps per term; bound 1e-5 relative to Σ|terms|).
        float[] g = model.tensor("model.layers.0.input_layernorm.weight").toFloatArray();
        float[] w = weight("model.layers.0.self_attn.q_proj.weight");
        float[] s = factors(0, "attn_in", attnInputs(0));
        float[] xhat = new float[64];
        java.util.Random rnd = new java.util.Random(3);
        for (int j = 0; j < xhat.length; j++) {
            xhat[j] = (float) rnd.nextGaussian();
        }
        float[] gs = g.clone();
        float[] ws = w.clone();
        SmoothingFold.intoNorm(gs, null, s);
        SmoothingFold.intoLinearInput(ws, s);
        for (int i = 0; i < 64; i++) {
            double plain = 0, smoothed = 0, mag = 0;
            for (int j = 0; j < 64; j++) {
                plain += (double) (g[j] * xhat[j]) * w[i * 64 + j];
                smoothed += (double) (gs[j] * xhat[j]) * ws[i * 64 + j];
                mag += Math.abs((double) (g[j] * xhat[j]) * w[i * 64 + j]);
            }
            assertEquals(plain, smoothed, 1e-5 * mag, "output " + i);
        }
    }

    private static void assertCodes(String file, float[] w, int cols) {
        float[][] expected = csv(file);
        QuantizedMatrix q = Int8Quantizer.weights(w, w.length / cols, cols, Granularity.TENSOR);
        assertEquals(expected.length, q.rows(), file + " rows");
        for (int r = 0; r < q.rows(); r++) {
            assertEquals(cols, expected[r].length, file + " row " + r);
            for (int c = 0; c < cols; c++) {
                assertEquals((int) expected[r][c], q.code(r, c), file + " [" + r + "," + c + "]");
            }
        }
    }

    private static float[] factors(int layer, String site, float[][] fed) {
        float[] a = csv("calib_absmax_L" + layer + "_" + site + ".csv")[0];
        return SmoothingFactors.compute(a, SmoothingFactors.weightAbsMax(a.length, fed), ALPHA);
    }

    private static float[][] attnInputs(int l) {
        String p = "model.layers." + l + ".self_attn.";
        return new float[][]{weight(p + "q_proj.weight"), weight(p + "k_proj.weight"), weight(p + "v_proj.weight")};
    }

    private static float[][] ffnInputs(int l) {
        String p = "model.layers." + l + ".mlp.";
        return new float[][]{weight(p + "gate_proj.weight"), weight(p + "up_proj.weight")};
    }

    private static float[] weight(String name) {
        return model.tensor(name).toFloatArray();
    }

    private static float[][] csv(String name) {
        Path f = SharedData.require(REF + name);
        return SharedData.floatRows(f);
    }
}
