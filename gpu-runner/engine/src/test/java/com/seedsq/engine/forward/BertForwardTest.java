package com.seedsq.engine.forward;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.MlpKind;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.smoothquant.Fp16Weights;
import com.seedsq.engine.testutil.RandomBert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The BERT family (embedding LayerNorm, token type 0, post-LN blocks, bidirectional attention, GELU from config,
 * MLM head with tied decoder and output bias) on a small random BERT in the HF layout, against a naive float64
 * forward pass written here from the BERT paper / HF modeling code, independent of the engine's kernels.
 */
class BertForwardTest {

    @TempDir
    Path tmp;

    static final int D = 32, LAYERS = 2, HEADS = 4, FF = 64, MAXPOS = 40;

    @ParameterizedTest
    @ValueSource(strings = {"gelu", "gelu_pytorch_tanh"})
    void matchesANaiveFloat64ForwardPass(String act) {
        RandomBert bert = new RandomBert(D, LAYERS, HEADS, FF, MAXPOS, act, 11);
        int[] tokens = randomTokens(bert, 17, 3);
        double[][] ref = oracle(bert, tokens);
        try (Model model = Model.open(bert.write(tmp.resolve(act)))) {
            assertEquals(act.equals("gelu") ? MlpKind.GELU : MlpKind.GELU_TANH, model.family().mlp());
            assertFalse(model.family().causal());
            assertTrue(model.config().tiedEmbeddings());
            assertEquals(1e-12f, model.config().normEps());
            for (Kernels k : new Kernels[]{new ScalarKernels(), new VectorKernels(2)}) {
                try (k) {
                    Transformer t = Transformer.of(model, k);
                    float[] logits = t.forward(t.newCache(tokens.length), tokens, true);
                    double worst = 0;
                    for (int i = 0; i < tokens.length; i++) {
                        for (int j = 0; j < bert.vocab; j++) {
                            double r = ref[i][j];
                            // float32 compute vs float64: 1e-4 relative leaves ~50x margin over the measured error
                            worst = Math.max(worst, Math.abs(logits[i * bert.vocab + j] - r) / Math.max(1, Math.abs(r)));
                        }
                    }
                    assertTrue(worst < 1e-4, act + " " + k.getClass().getSimpleName() + ": worst relative error "
                            + worst);
                }
            }
        }
    }

    @Test
    void theTwoGeluFormsDifferSoTheConfigMatters() {
        RandomBert exact = new RandomBert(D, LAYERS, HEADS, FF, MAXPOS, "gelu", 11);
        RandomBert tanh = new RandomBert(D, LAYERS, HEADS, FF, MAXPOS, "gelu_new", 11);
        int[] tokens = randomTokens(exact, 9, 5);
        try (Model a = Model.open(exact.write(tmp.resolve("a"))); Model b = Model.open(tanh.write(tmp.resolve("b")));
             ScalarKernels k = new ScalarKernels()) {
            float[] la = Transformer.of(a, k).forward(Transformer.of(a, k).newCache(9), tokens, true);
            float[] lb = Transformer.of(b, k).forward(Transformer.of(b, k).newCache(9), tokens, true);
            double diff = 0;
            for (int i = 0; i < la.length; i++) {
                diff = Math.max(diff, Math.abs(la[i] - lb[i]));
            }
            assertTrue(diff > 1e-4, "erf and tanh GELU gave the same logits (max diff " + diff + ")");
        }
    }

    @Test
    void logitRowsAreThoseRowsOfTheFullOutputAndAttentionSeesLaterTokens() {
        RandomBert bert = new RandomBert(D, LAYERS, HEADS, FF, MAXPOS, "gelu_pytorch_tanh", 5);
        int[] tokens = randomTokens(bert, 20, 7);
        try (Model model = Model.open(bert.write(tmp.resolve("m"))); ScalarKernels k = new ScalarKernels()) {
            Transformer t = Transformer.of(model, k);
            float[] all = t.forward(t.newCache(20), tokens, true);
            int[] rows = {2, 5, 19};
            float[] some = t.forward(t.newCache(20), tokens, rows);
            for (int r = 0; r < rows.length; r++) {
                for (int j = 0; j < bert.vocab; j++) {
                    assertEquals(all[rows[r] * bert.vocab + j], some[r * bert.vocab + j], 0f);
                }
            }
            // bidirectional: changing the last token changes the first position's logits
            int[] changed = tokens.clone();
            changed[19] = changed[19] == 7 ? 8 : 7;
            float[] first = t.forward(t.newCache(20), changed, new int[]{0});
            assertNotEquals(all[0], first[0]);
            assertThrows(IllegalArgumentException.class, () -> t.forward(t.newCache(20), tokens, new int[]{20}));
        }
    }

    @Test
    void fp16WeightsAgreeWithFp32() {
        RandomBert bert = new RandomBert(D, LAYERS, HEADS, FF, MAXPOS, "gelu_pytorch_tanh", 3);
        int[] tokens = randomTokens(bert, 30, 9);
        try (Model model = Model.open(bert.write(tmp.resolve("m"))); VectorKernels k = new VectorKernels(2);
             Fp16Weights half = new Fp16Weights(model.weights())) {
            Transformer f32 = Transformer.of(model, k);
            Transformer f16 = Transformer.load(model.family(), model.config(), half, k, model.file());
            float[] a = f32.forward(f32.newCache(30), tokens, true);
            float[] b = f16.forward(f16.newCache(30), tokens, true);
            double maxDiff = 0, maxAbs = 0;
            int sameTop1 = 0;
            for (int i = 0; i < tokens.length; i++) {
                sameTop1 += argmax(a, i * bert.vocab, bert.vocab) == argmax(b, i * bert.vocab, bert.vocab) ? 1 : 0;
            }
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                maxAbs = Math.max(maxAbs, Math.abs(a[i]));
            }
            // FP16 rounds weights to 11 significant bits (relative 2^-11 ~ 5e-4); through 2 post-LN layers the logits
            // move by well under 1% of their range, but they do move (the F16 path really ran)
            assertTrue(maxDiff > 0, "FP16 weights gave bit-identical logits");
            assertTrue(maxDiff < 1e-2 * maxAbs, "FP16 vs FP32: max diff " + maxDiff + " of logit range " + maxAbs);
            assertTrue(sameTop1 >= tokens.length - 1, "top-1 agrees at " + sameTop1 + " of " + tokens.length);
        }
    }

    @Test
    void configErrorsNameTheFile() throws Exception {
        Path dir = new RandomBert(D, 1, HEADS, FF, MAXPOS, "swish", 1).write(tmp.resolve("bad"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.open(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("swish"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"swish\"", "\"gelu\"").replace("\"intermediate_size\": 64", "\"intermediate_size\": 65"));
        try (Model m = Model.open(dir); ScalarKernels k = new ScalarKernels()) {
            ModelFormatException shape = assertThrows(ModelFormatException.class, () -> Transformer.of(m, k));
            assertTrue(shape.getMessage().contains("bert.encoder.layer.0.intermediate.dense.weight"),
                    shape.getMessage());
        }
        assertEquals(Families.BERT, Families.byName("bert"));
    }

    static int[] randomTokens(RandomBert bert, int n, long seed) {
        Random rnd = new Random(seed);
        int[] t = new int[n];
        t[0] = 2; // [CLS]
        for (int i = 1; i < n; i++) {
            t[i] = 4 + rnd.nextInt(bert.vocab - 4); // includes [MASK] = 4
        }
        t[n - 1] = 3; // [SEP]
        return t;
    }

    static int argmax(float[] x, int off, int n) {
        int b = 0;
        for (int j = 1; j < n; j++) {
            if (x[off + j] > x[off + b]) {
                b = j;
            }
        }
        return b;
    }

    // ---- the naive oracle: doubles, plain loops ----

    static double[][] oracle(RandomBert bert, int[] tokens) {
        Map<String, float[]> w = bert.weights();
        int n = tokens.length, d = bert.hidden, hd = d / bert.heads;
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                x[i][c] = w.get("bert.embeddings.word_embeddings.weight")[tokens[i] * d + c]
                        + w.get("bert.embeddings.position_embeddings.weight")[i * d + c]
                        + w.get("bert.embeddings.token_type_embeddings.weight")[c];
            }
            x[i] = layerNorm(x[i], w, "bert.embeddings.LayerNorm");
        }
        for (int l = 0; l < bert.layers; l++) {
            String p = "bert.encoder.layer." + l + ".";
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int i = 0; i < n; i++) {
                q[i] = linear(w, p + "attention.self.query", x[i], d);
                k[i] = linear(w, p + "attention.self.key", x[i], d);
                v[i] = linear(w, p + "attention.self.value", x[i], d);
            }
            double[][] next = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] ctx = new double[d];
                for (int h = 0; h < bert.heads; h++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) { // every position: no causal mask
                        for (int e = 0; e < hd; e++) {
                            s[j] += q[i][h * hd + e] * k[j][h * hd + e];
                        }
                        s[j] /= Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < n; j++) {
                        for (int e = 0; e < hd; e++) {
                            ctx[h * hd + e] += s[j] / sum * v[j][h * hd + e];
                        }
                    }
                }
                double[] attn = linear(w, p + "attention.output.dense", ctx, d);
                double[] h1 = new double[d];
                for (int c = 0; c < d; c++) {
                    h1[c] = x[i][c] + attn[c];
                }
                h1 = layerNorm(h1, w, p + "attention.output.LayerNorm");
                double[] inter = linear(w, p + "intermediate.dense", h1, bert.ff);
                for (int c = 0; c < inter.length; c++) {
                    inter[c] = act(inter[c], bert.hiddenAct);
                }
                double[] out = linear(w, p + "output.dense", inter, d);
                for (int c = 0; c < d; c++) {
                    out[c] += h1[c];
                }
                next[i] = layerNorm(out, w, p + "output.LayerNorm");
            }
            x = next;
        }
        double[][] logits = new double[n][bert.vocab];
        for (int i = 0; i < n; i++) {
            double[] t = linear(w, "cls.predictions.transform.dense", x[i], d);
            for (int c = 0; c < d; c++) {
                t[c] = act(t[c], bert.hiddenAct);
            }
            t = layerNorm(t, w, "cls.predictions.transform.LayerNorm");
            for (int j = 0; j < bert.vocab; j++) {
                double s = w.get("cls.predictions.bias")[j];
                for (int c = 0; c < d; c++) {
                    s += w.get("bert.embeddings.word_embeddings.weight")[j * d + c] * t[c]; // tied decoder
                }
                logits[i][j] = s;
            }
        }
        return logits;
    }

    static double act(double x, String kind) {
        if (kind.equals("gelu")) {
            return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
        }
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): independent of the engine's series/continued fraction. */
    static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592)
                * t * Math.exp(-x * x);
        return x < 0 ? -y : y;
    }

    static double[] linear(Map<String, float[]> w, String module, double[] x, int out) {
        float[] m = w.get(module + ".weight"), b = w.get(module + ".bias");
        double[] y = new double[out];
        for (int j = 0; j < out; j++) {
            double s = b[j];
            for (int c = 0; c < x.length; c++) {
                s += m[j * x.length + c] * x[c];
            }
            y[j] = s;
        }
        return y;
    }

    static double[] layerNorm(double[] x, Map<String, float[]> w, String module) {
        double mean = 0, var = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] y = new double[x.length];
        for (int c = 0; c < x.length; c++) {
            y[c] = (x[c] - mean) / Math.sqrt(var + 1e-12) * w.get(module + ".weight")[c] + w.get(module + ".bias")[c];
        }
        return y;
    }
}
