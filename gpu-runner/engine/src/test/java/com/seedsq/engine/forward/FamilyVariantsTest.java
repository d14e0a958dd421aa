package com.seedsq.engine.forward;

import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.MlpKind;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.NormKind;
import com.seedsq.engine.model.NormPlacement;
import com.seedsq.engine.model.PositionKind;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static com.seedsq.engine.model.TensorRole.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * "Architectures as data": GPT-2-like descriptions (LayerNorm with biases, learned positions, GELU/ReLU MLPs with
 * biases, pre/post-LN, parallel attention) run through the same forward pass and must agree with a naive, separately
 * written forward pass in this test (plain loops, doubles), on random weights.
 */
class FamilyVariantsTest {

    static final int D = 16, HEADS = 4, HD = 4, FF = 24, VOCAB = 30, SEQ = 16;

    static final Map<TensorRole, String> NAMES = Map.ofEntries(
            Map.entry(EMBED, "wte"), Map.entry(POSITION_EMBED, "wpe"),
            Map.entry(ATTN_NORM, "h.{l}.ln_1.weight"), Map.entry(ATTN_NORM_BIAS, "h.{l}.ln_1.bias"),
            Map.entry(Q, "h.{l}.q.weight"), Map.entry(Q_BIAS, "h.{l}.q.bias"),
            Map.entry(K, "h.{l}.k.weight"), Map.entry(K_BIAS, "h.{l}.k.bias"),
            Map.entry(V, "h.{l}.v.weight"), Map.entry(V_BIAS, "h.{l}.v.bias"),
            Map.entry(O, "h.{l}.o.weight"), Map.entry(O_BIAS, "h.{l}.o.bias"),
            Map.entry(FFN_NORM, "h.{l}.ln_2.weight"), Map.entry(FFN_NORM_BIAS, "h.{l}.ln_2.bias"),
            Map.entry(UP, "h.{l}.fc.weight"), Map.entry(UP_BIAS, "h.{l}.fc.bias"),
            Map.entry(DOWN, "h.{l}.proj.weight"), Map.entry(DOWN_BIAS, "h.{l}.proj.bias"),
            Map.entry(FINAL_NORM, "ln_f.weight"), Map.entry(FINAL_NORM_BIAS, "ln_f.bias"),
            Map.entry(LM_HEAD, "head"));

    /** Random tensors by name, heap-backed. */
    record MapSource(Map<String, TensorData> tensors) implements WeightSource {
        public Set<String> names() {
            return tensors.keySet();
        }

        public TensorData tensor(String name) {
            return tensors.get(name);
        }

        public Map<String, Object> metadata() {
            return Map.of();
        }

        public void close() {
        }
    }

    static Map<String, float[]> randomWeights(int layers, long seed) {
        Random rnd = new Random(seed);
        Map<String, float[]> w = new HashMap<>();
        Map<TensorRole, Integer> sizes = Map.ofEntries(
                Map.entry(EMBED, VOCAB * D), Map.entry(POSITION_EMBED, SEQ * D),
                Map.entry(ATTN_NORM, D), Map.entry(ATTN_NORM_BIAS, D), Map.entry(Q, D * D), Map.entry(Q_BIAS, D),
                Map.entry(K, D * D), Map.entry(K_BIAS, D), Map.entry(V, D * D), Map.entry(V_BIAS, D),
                Map.entry(O, D * D), Map.entry(O_BIAS, D), Map.entry(FFN_NORM, D), Map.entry(FFN_NORM_BIAS, D),
                Map.entry(UP, FF * D), Map.entry(UP_BIAS, FF), Map.entry(DOWN, D * FF), Map.entry(DOWN_BIAS, D),
                Map.entry(FINAL_NORM, D), Map.entry(FINAL_NORM_BIAS, D), Map.entry(LM_HEAD, VOCAB * D));
        for (var e : sizes.entrySet()) {
            for (int l = 0; l < (e.getKey().perLayer() ? layers : 1); l++) {
                float[] v = new float[e.getValue()];
                boolean gain = e.getKey() == ATTN_NORM || e.getKey() == FFN_NORM || e.getKey() == FINAL_NORM;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((gain ? 1 : 0) + 0.3 * rnd.nextGaussian());
                }
                w.put(NAMES.get(e.getKey()).replace("{l}", Integer.toString(l)), v);
            }
        }
        return w;
    }

    static WeightSource source(Map<String, float[]> w) {
        Map<String, TensorData> t = new HashMap<>();
        w.forEach((name, v) -> {
            long[] shape = switch (name) {
                case "wte", "head" -> new long[]{VOCAB, D};
                case "wpe" -> new long[]{SEQ, D};
                default -> name.endsWith("fc.weight") ? new long[]{FF, D}
                        : name.endsWith("proj.weight") ? new long[]{D, FF}
                        : name.endsWith(".weight") && !name.contains("ln") ? new long[]{D, D}
                        : new long[]{v.length};
            };
            t.put(name, new TensorData(name, DType.F32, shape, MemorySegment.ofArray(v)));
        });
        return new MapSource(t);
    }

    // ---- the naive oracle: one token row at a time, doubles, no kernels ----

    static double[] linear(Map<String, float[]> w, String name, String bias, double[] x, int out) {
        float[] m = w.get(name), b = w.get(bias);
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

    static double[] layerNorm(double[] x, float[] g, float[] b) {
        double mean = 0, var = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
        }
        return y;
    }

    static double act(MlpKind kind, double v) {
        return switch (kind) {
            case RELU -> Math.max(0, v);
            case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            default -> throw new IllegalArgumentException();
        };
    }

    static double[][] oracle(Map<String, float[]> w, int layers, int[] tokens, NormPlacement placement,
                             boolean parallel, MlpKind mlp) {
        int n = tokens.length;
        double[][] x = new double[n][D];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < D; c++) {
                x[i][c] = w.get("wte")[tokens[i] * D + c] + w.get("wpe")[i * D + c];
            }
        }
        for (int l = 0; l < layers; l++) {
            String p = "h." + l + ".";
            double[][] h = new double[n][];
            for (int i = 0; i < n; i++) {
                h[i] = placement == NormPlacement.PRE
                        ? layerNorm(x[i], w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias")) : x[i].clone();
            }
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int i = 0; i < n; i++) {
                q[i] = linear(w, p + "q.weight", p + "q.bias", h[i], D);
                k[i] = linear(w, p + "k.weight", p + "k.bias", h[i], D);
                v[i] = linear(w, p + "v.weight", p + "v.bias", h[i], D);
            }
            double[][] attn = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] ctx = new double[D];
                for (int hh = 0; hh < HEADS; hh++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int t = 0; t <= i; t++) {
                        for (int d = 0; d < HD; d++) {
                            s[t] += q[i][hh * HD + d] * k[t][hh * HD + d] / Math.sqrt(HD);
                        }
                        max = Math.max(max, s[t]);
                    }
                    for (int t = 0; t <= i; t++) {
                        s[t] = Math.exp(s[t] - max);
                        sum += s[t];
                    }
                    for (int t = 0; t <= i; t++) {
                        for (int d = 0; d < HD; d++) {
                            ctx[hh * HD + d] += s[t] / sum * v[t][hh * HD + d];
                        }
                    }
                }
                attn[i] = linear(w, p + "o.weight", p + "o.bias", ctx, D);
            }
            for (int i = 0; i < n; i++) {
                double[] mlpIn;
                if (parallel) {
                    mlpIn = h[i];
                } else {
                    for (int c = 0; c < D; c++) {
                        x[i][c] += attn[i][c];
                    }
                    if (placement == NormPlacement.POST) {
                        x[i] = layerNorm(x[i], w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias"));
                        mlpIn = x[i];
                    } else {
                        mlpIn = layerNorm(x[i], w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"));
                    }
                }
                double[] up = linear(w, p + "fc.weight", p + "fc.bias", mlpIn, FF);
                for (int j = 0; j < FF; j++) {
                    up[j] = act(mlp, up[j]);
                }
                double[] down = linear(w, p + "proj.weight", p + "proj.bias", up, D);
                for (int c = 0; c < D; c++) {
                    x[i][c] += down[c] + (parallel ? attn[i][c] : 0);
                }
                if (placement == NormPlacement.POST) {
                    x[i] = layerNorm(x[i], w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"));
                }
            }
        }
        double[][] logits = new double[n][];
        for (int i = 0; i < n; i++) {
            double[] f = layerNorm(x[i], w.get("ln_f.weight"), w.get("ln_f.bias"));
            logits[i] = new double[VOCAB];
            for (int j = 0; j < VOCAB; j++) {
                for (int c = 0; c < D; c++) {
                    logits[i][j] += w.get("head")[j * D + c] * f[c];
                }
            }
        }
        return logits;
    }

    /** Tolerance: float32 forward vs float64 oracle over 2 layers of width 16-24: ~1e-6 relative; 1e-4 is ample. */
    @ParameterizedTest
    @CsvSource({"PRE, false, GELU_TANH", "PRE, true, GELU_TANH", "POST, false, RELU", "PRE, false, RELU"})
    void describedFamilyMatchesNaiveOracle(NormPlacement placement, boolean parallel, MlpKind mlp) {
        int layers = 2;
        Map<TensorRole, String> names = new java.util.EnumMap<>(NAMES);
        if (parallel) { // one shared norm: a second (ln_2) would be read as the MLP's own norm (GPT-NeoX)
            names.remove(FFN_NORM);
            names.remove(FFN_NORM_BIAS);
        }
        ModelFamily family = new ModelFamily("test-gpt", "gpt", names, NormKind.LAYER, placement,
                PositionKind.LEARNED, mlp, parallel, true, List.of());
        ModelConfig config = new ModelConfig(D, layers, HEADS, HEADS, HD, FF, VOCAB, SEQ, 1e-5f, 0f, false);
        Map<String, float[]> w = randomWeights(layers, 5);
        int[] tokens = {3, 17, 0, 29, 8, 8, 11};
        double[][] expected = oracle(w, layers, tokens, placement, parallel, mlp);
        for (var kernels : List.of(new ScalarKernels(), new VectorKernels(2))) {
            Transformer t = Transformer.load(family, config, source(w), kernels, null);
            KvCache cache = t.newCache();
            // prefill the first 4 tokens, then decode the rest one at a time: both paths are checked
            float[] first = t.forward(cache, java.util.Arrays.copyOf(tokens, 4), true);
            for (int i = 0; i < tokens.length; i++) {
                float[] row = i < 4 ? java.util.Arrays.copyOfRange(first, i * VOCAB, (i + 1) * VOCAB)
                        : t.forward(cache, new int[]{tokens[i]}, false);
                for (int j = 0; j < VOCAB; j++) {
                    assertEquals(expected[i][j], row[j], 1e-4 * Math.max(1, Math.abs(expected[i][j])),
                            placement + "/" + parallel + "/" + mlp + " position " + i + " logit " + j);
                }
            }
            kernels.close();
        }
    }
}
