package com.seedsq.engine.forward;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SiteSelection;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.smoothquant.SmoothingPlan;
import com.seedsq.engine.tensor.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Hugging Face families beyond LLaMA (OPT, GPT-2, GPT-NeoX, Falcon, BLOOM, Mixtral), each from a random
 * checkpoint written in the family's own HF layout (config.json + model.safetensors: fused query_key_value,
 * Conv1D [in, out] weights, OPT's position offset, bare base-model names) and opened with {@code Model.open}.
 *
 * <p>The reference is {@link #oracle}: a deliberately naive forward pass in double precision, written from the HF
 * modelling code of each architecture (its own q/k/v splitting, Conv1D products, rotate_half, ALiBi built as
 * BLOOM does, Mixtral's softmax-then-top-k routing) and sharing no code with the engine.
 *
 * <p>Tolerances: the engine computes in float32; over 2 layers of width 32-48 with unit-scale activations the
 * float32 rounding of logits is ~1e-6 relative, so {@code |a - b| <= 1e-4 * max(1, |b|)} leaves a wide margin
 * while any structural error (a wrong split, offset, slope or norm) moves logits by 1e-2 or more.
 */
class HfFamiliesTest {

    static final int VOCAB = 40, SEQ = 16, LAYERS = 2;
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

    // ------------------------------------------------------------------------------------------ the checkpoints

    /** One random checkpoint in HF layout: config.json values and tensors by their HF names. */
    static final class Ckpt {
        final String type;
        final Map<String, Object> config = new LinkedHashMap<>();
        final Map<String, float[]> w = new LinkedHashMap<>();
        final Map<String, long[]> shapes = new LinkedHashMap<>();
        final Random rnd;
        int d, heads, kvHeads, hd, ff;

        Ckpt(String type, long seed) {
            this.type = type;
            this.rnd = new Random(seed);
        }

        void put(String name, long[] shape, double mean, double std) {
            float[] v = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (mean + std * rnd.nextGaussian());
            }
            w.put(name, v);
            shapes.put(name, shape);
        }

        /** A linear weight: [rows, cols] as stored, unit-scale outputs for unit-scale inputs of width {@code in}. */
        void mat(String name, int rows, int cols, int in) {
            put(name, new long[]{rows, cols}, 0, 1 / Math.sqrt(in));
        }

        void bias(String name, int n) {
            put(name, new long[]{n}, 0, 0.1);
        }

        void norm(String name, boolean withBias) {
            put(name + ".weight", new long[]{d}, 1, 0.1);
            if (withBias) {
                put(name + ".bias", new long[]{d}, 0, 0.1);
            }
        }

        float[] g(String name) {
            float[] v = w.get(name);
            if (v == null) {
                throw new IllegalStateException("oracle asked for missing " + name);
            }
            return v;
        }

        /** Writes config.json and model.safetensors; {@code half}: every tensor stored as F16. */
        Path write(Path dir, boolean half) throws IOException {
            Files.createDirectories(dir);
            SafetensorsWriter sw = new SafetensorsWriter();
            for (var e : w.entrySet()) {
                float[] v = e.getValue();
                DType dt = half ? DType.F16 : DType.F32;
                MemorySegment seg = MemorySegment.ofArray(new byte[v.length * dt.bytes()]);
                for (int i = 0; i < v.length; i++) {
                    if (half) {
                        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L,
                                Float.floatToFloat16(v[i]));
                    } else {
                        seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4L, v[i]);
                    }
                }
                sw.add(e.getKey(), dt, shapes.get(e.getKey()), seg);
            }
            sw.write(dir.resolve("model.safetensors"));
            StringBuilder json = new StringBuilder("{\"model_type\": \"" + type + "\"");
            config.forEach((k, v) -> json.append(", \"").append(k).append("\": ")
                    .append(v instanceof String s ? "\"" + s + "\"" : String.valueOf(v)));
            Files.writeString(dir.resolve("config.json"), json.append("}").toString());
            return dir;
        }

        /** The same checkpoint with every weight rounded to F16, for the oracle of the F16 file. */
        Ckpt roundedToHalf() {
            Ckpt c = new Ckpt(type, 0);
            c.config.putAll(config);
            c.d = d;
            c.heads = heads;
            c.kvHeads = kvHeads;
            c.hd = hd;
            c.ff = ff;
            w.forEach((k, v) -> {
                float[] r = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    r[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
                }
                c.w.put(k, r);
            });
            c.shapes.putAll(shapes);
            return c;
        }
    }

    /** facebook/opt-* as saved from OPTModel: names without "model.", positions table of SEQ + 2 rows. */
    static Ckpt opt() {
        Ckpt c = new Ckpt("opt", 1);
        c.d = 32; c.heads = 4; c.kvHeads = 4; c.hd = 8; c.ff = 48;
        c.config.putAll(Map.of("hidden_size", 32, "num_hidden_layers", LAYERS, "num_attention_heads", 4,
                "ffn_dim", 48, "vocab_size", VOCAB, "max_position_embeddings", SEQ, "do_layer_norm_before", true,
                "word_embed_proj_dim", 32, "activation_function", "relu"));
        c.put("decoder.embed_tokens.weight", new long[]{VOCAB, 32}, 0, 1);
        c.put("decoder.embed_positions.weight", new long[]{SEQ + 2, 32}, 0, 1);
        for (int l = 0; l < LAYERS; l++) {
            String p = "decoder.layers." + l + ".";
            c.norm(p + "self_attn_layer_norm", true);
            for (String m : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                c.mat(p + "self_attn." + m + ".weight", 32, 32, 32);
                c.bias(p + "self_attn." + m + ".bias", 32);
            }
            c.norm(p + "final_layer_norm", true);
            c.mat(p + "fc1.weight", 48, 32, 32);
            c.bias(p + "fc1.bias", 48);
            c.mat(p + "fc2.weight", 32, 48, 48);
            c.bias(p + "fc2.bias", 32);
        }
        c.norm("decoder.final_layer_norm", true);
        return c;
    }

    /** gpt2 as on the Hub: bare names (h.0...), Conv1D weights [in, out], the causal-mask buffer attn.bias. */
    static Ckpt gpt2() {
        Ckpt c = new Ckpt("gpt2", 2);
        c.d = 32; c.heads = 4; c.kvHeads = 4; c.hd = 8; c.ff = 128;
        c.config.putAll(Map.of("n_embd", 32, "n_layer", LAYERS, "n_head", 4, "vocab_size", VOCAB,
                "n_positions", SEQ, "layer_norm_epsilon", 1e-5, "activation_function", "gelu_new"));
        c.config.put("n_inner", null);
        c.put("wte.weight", new long[]{VOCAB, 32}, 0, 1);
        c.put("wpe.weight", new long[]{SEQ, 32}, 0, 1);
        for (int l = 0; l < LAYERS; l++) {
            String p = "h." + l + ".";
            c.norm(p + "ln_1", true);
            c.put(p + "attn.bias", new long[]{1, 1, SEQ, SEQ}, 0, 0); // a buffer some checkpoints carry: ignored
            c.mat(p + "attn.c_attn.weight", 32, 96, 32);
            c.bias(p + "attn.c_attn.bias", 96);
            c.mat(p + "attn.c_proj.weight", 32, 32, 32);
            c.bias(p + "attn.c_proj.bias", 32);
            c.norm(p + "ln_2", true);
            c.mat(p + "mlp.c_fc.weight", 32, 128, 32);
            c.bias(p + "mlp.c_fc.bias", 128);
            c.mat(p + "mlp.c_proj.weight", 128, 32, 128);
            c.bias(p + "mlp.c_proj.bias", 32);
        }
        c.norm("ln_f", true);
        return c;
    }

    /** Pythia-style: 2 heads of 16, rotary_pct 0.25 (4 dims rotated), parallel residual or not. */
    static Ckpt neox(boolean parallel) {
        Ckpt c = new Ckpt("gpt_neox", parallel ? 3 : 4);
        c.d = 32; c.heads = 2; c.kvHeads = 2; c.hd = 16; c.ff = 48;
        c.config.putAll(Map.of("hidden_size", 32, "num_hidden_layers", LAYERS, "num_attention_heads", 2,
                "intermediate_size", 48, "vocab_size", VOCAB, "max_position_embeddings", SEQ, "rotary_pct", 0.25,
                "rotary_emb_base", 10000, "layer_norm_eps", 1e-5, "use_parallel_residual", parallel));
        c.config.put("tie_word_embeddings", false);
        c.put("gpt_neox.embed_in.weight", new long[]{VOCAB, 32}, 0, 1);
        for (int l = 0; l < LAYERS; l++) {
            String p = "gpt_neox.layers." + l + ".";
            c.norm(p + "input_layernorm", true);
            c.mat(p + "attention.query_key_value.weight", 96, 32, 32);
            c.bias(p + "attention.query_key_value.bias", 96);
            c.mat(p + "attention.dense.weight", 32, 32, 32);
            c.bias(p + "attention.dense.bias", 32);
            c.norm(p + "post_attention_layernorm", true);
            c.mat(p + "mlp.dense_h_to_4h.weight", 48, 32, 32);
            c.bias(p + "mlp.dense_h_to_4h.bias", 48);
            c.mat(p + "mlp.dense_4h_to_h.weight", 32, 48, 48);
            c.bias(p + "mlp.dense_4h_to_h.bias", 32);
        }
        c.norm("gpt_neox.final_layer_norm", true);
        c.mat("embed_out.weight", VOCAB, 32, 32);
        return c;
    }

    /** Falcon-7B layout (multi-query, one shared norm, no biases) or the new decoder architecture (GQA, two norms). */
    static Ckpt falcon(boolean newArch) {
        Ckpt c = new Ckpt("falcon", newArch ? 6 : 5);
        int kv = newArch ? 2 : 1;
        c.d = 32; c.heads = 4; c.kvHeads = kv; c.hd = 8; c.ff = 128;
        c.config.putAll(Map.of("hidden_size", 32, "num_hidden_layers", LAYERS, "num_attention_heads", 4,
                "multi_query", !newArch, "new_decoder_architecture", newArch, "parallel_attn", true, "bias", newArch,
                "alibi", false, "vocab_size", VOCAB, "max_position_embeddings", SEQ));
        c.config.put("layer_norm_epsilon", 1e-5);
        c.config.put("num_kv_heads", kv);
        c.put("transformer.word_embeddings.weight", new long[]{VOCAB, 32}, 0, 1);
        int qkvRows = newArch ? kv * (4 / kv + 2) * 8 : (4 + 2) * 8;
        for (int l = 0; l < LAYERS; l++) {
            String p = "transformer.h." + l + ".";
            if (newArch) {
                c.norm(p + "ln_attn", true);
                c.norm(p + "ln_mlp", true);
            } else {
                c.norm(p + "input_layernorm", true);
            }
            c.mat(p + "self_attention.query_key_value.weight", qkvRows, 32, 32);
            c.mat(p + "self_attention.dense.weight", 32, 32, 32);
            c.mat(p + "mlp.dense_h_to_4h.weight", 128, 32, 32);
            c.mat(p + "mlp.dense_4h_to_h.weight", 32, 128, 128);
            if (newArch) {
                c.bias(p + "self_attention.query_key_value.bias", qkvRows);
                c.bias(p + "self_attention.dense.bias", 32);
                c.bias(p + "mlp.dense_h_to_4h.bias", 128);
                c.bias(p + "mlp.dense_4h_to_h.bias", 32);
            }
        }
        c.norm("transformer.ln_f", true);
        return c;
    }

    /** bloom-560m style: bare names, 6 heads (not a power of two: ALiBi's extra slopes), embedding LayerNorm. */
    static Ckpt bloom() {
        Ckpt c = new Ckpt("bloom", 7);
        c.d = 48; c.heads = 6; c.kvHeads = 6; c.hd = 8; c.ff = 192;
        c.config.putAll(Map.of("hidden_size", 48, "n_layer", LAYERS, "n_head", 6, "vocab_size", VOCAB,
                "layer_norm_epsilon", 1e-5, "seq_length", SEQ));
        c.put("word_embeddings.weight", new long[]{VOCAB, 48}, 0, 1);
        c.norm("word_embeddings_layernorm", true);
        for (int l = 0; l < LAYERS; l++) {
            String p = "h." + l + ".";
            c.norm(p + "input_layernorm", true);
            c.mat(p + "self_attention.query_key_value.weight", 144, 48, 48);
            c.bias(p + "self_attention.query_key_value.bias", 144);
            c.mat(p + "self_attention.dense.weight", 48, 48, 48);
            c.bias(p + "self_attention.dense.bias", 48);
            c.norm(p + "post_attention_layernorm", true);
            c.mat(p + "mlp.dense_h_to_4h.weight", 192, 48, 48);
            c.bias(p + "mlp.dense_h_to_4h.bias", 192);
            c.mat(p + "mlp.dense_4h_to_h.weight", 48, 192, 192);
            c.bias(p + "mlp.dense_4h_to_h.bias", 48);
        }
        c.norm("ln_f", true);
        return c;
    }

    /** Mixtral: 4 heads over 2 KV heads, 4 experts, top-2. */
    static Ckpt mixtral() {
        Ckpt c = new Ckpt("mixtral", 8);
        c.d = 32; c.heads = 4; c.kvHeads = 2; c.hd = 8; c.ff = 24;
        c.config.putAll(Map.of("hidden_size", 32, "num_hidden_layers", LAYERS, "num_attention_heads", 4,
                "num_key_value_heads", 2, "intermediate_size", 24, "vocab_size", VOCAB, "max_position_embeddings", SEQ,
                "rms_norm_eps", 1e-5, "rope_theta", 1000000.0, "num_local_experts", 4));
        c.config.put("num_experts_per_tok", 2);
        c.config.put("tie_word_embeddings", false);
        c.put("model.embed_tokens.weight", new long[]{VOCAB, 32}, 0, 1);
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            c.put(p + "input_layernorm.weight", new long[]{32}, 1, 0.1);
            c.mat(p + "self_attn.q_proj.weight", 32, 32, 32);
            c.mat(p + "self_attn.k_proj.weight", 16, 32, 32);
            c.mat(p + "self_attn.v_proj.weight", 16, 32, 32);
            c.mat(p + "self_attn.o_proj.weight", 32, 32, 32);
            c.put(p + "post_attention_layernorm.weight", new long[]{32}, 1, 0.1);
            c.mat(p + "block_sparse_moe.gate.weight", 4, 32, 32);
            for (int e = 0; e < 4; e++) {
                String x = p + "block_sparse_moe.experts." + e + ".";
                c.mat(x + "w1.weight", 24, 32, 32);
                c.mat(x + "w2.weight", 32, 24, 24);
                c.mat(x + "w3.weight", 24, 32, 32);
            }
        }
        c.put("model.norm.weight", new long[]{32}, 1, 0.1);
        c.mat("lm_head.weight", VOCAB, 32, 32);
        return c;
    }

    static Ckpt checkpoint(String id) {
        return switch (id) {
            case "opt" -> opt();
            case "gpt2" -> gpt2();
            case "neox" -> neox(true);
            case "neox-sequential" -> neox(false);
            case "falcon-7b" -> falcon(false);
            case "falcon-new" -> falcon(true);
            case "bloom" -> bloom();
            case "mixtral" -> mixtral();
            default -> throw new IllegalArgumentException(id);
        };
    }

    // ----------------------------------------------------------------------- the oracle: naive, double, per HF

    /** nn.Linear: y = W x + b, W [out, in] row-major. */
    static double[] lin(Ckpt c, String w, String b, double[] x) {
        float[] m = c.g(w);
        int in = x.length, out = m.length / in;
        float[] bias = b == null ? null : c.w.get(b);
        double[] y = new double[out];
        for (int j = 0; j < out; j++) {
            double s = bias == null ? 0 : bias[j];
            for (int i = 0; i < in; i++) {
                s += (double) m[j * in + i] * x[i];
            }
            y[j] = s;
        }
        return y;
    }

    /** GPT-2's Conv1D: y = x W + b, W [in, out] row-major. */
    static double[] conv1d(Ckpt c, String w, String b, double[] x) {
        float[] m = c.g(w), bias = c.g(b);
        int in = x.length, out = m.length / in;
        double[] y = new double[out];
        for (int j = 0; j < out; j++) {
            double s = bias[j];
            for (int i = 0; i < in; i++) {
                s += x[i] * m[i * out + j];
            }
            y[j] = s;
        }
        return y;
    }

    static double[] layerNorm(Ckpt c, String name, double[] x) {
        double mean = 0, var = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        float[] g = c.g(name + ".weight"), b = c.g(name + ".bias");
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
        }
        return y;
    }

    static double[] rmsNorm(Ckpt c, String name, double[] x) {
        double ms = 0;
        for (double v : x) {
            ms += v * v / x.length;
        }
        float[] g = c.g(name);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] / Math.sqrt(ms + 1e-5) * g[i];
        }
        return y;
    }

    /** erf by its Taylor series (|x| < 6; beyond, erf = ±1 to double precision), ~1e-10 accurate here. */
    static double erf(double x) {
        if (Math.abs(x) > 6) {
            return Math.signum(x);
        }
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static double gelu(double v) {
        return 0.5 * v * (1 + erf(v / Math.sqrt(2)));
    }

    static double geluTanh(double v) {
        return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    }

    static double[] map(double[] x, java.util.function.DoubleUnaryOperator f) {
        return Arrays.stream(x).map(f).toArray();
    }

    static double[] add(double[]... xs) {
        double[] y = new double[xs[0].length];
        for (double[] x : xs) {
            for (int i = 0; i < y.length; i++) {
                y[i] += x[i];
            }
        }
        return y;
    }

    /** HF's rotate_half RoPE on the first {@code rot} dims of each head of {@code x} (in place). */
    static void rotateHalf(double[] x, int heads, int hd, int rot, int pos, double base) {
        for (int h = 0; h < heads; h++) {
            double[] y = x.clone();
            for (int i = 0; i < rot; i++) {
                double invFreq = 1 / Math.pow(base, (2.0 * (i % (rot / 2))) / rot);
                double cos = Math.cos(pos * invFreq), sin = Math.sin(pos * invFreq);
                int o = h * hd;
                double rotated = i < rot / 2 ? -y[o + i + rot / 2] : y[o + i - rot / 2];
                x[o + i] = y[o + i] * cos + rotated * sin;
            }
        }
    }

    /** BLOOM's build_alibi_tensor slopes. */
    static double[] bloomSlopes(int n) {
        int closest = 1 << (31 - Integer.numberOfLeadingZeros(n));
        double base = Math.pow(2, -Math.pow(2, -(Math.log(closest) / Math.log(2) - 3)));
        double[] s = new double[n];
        for (int i = 0; i < closest; i++) {
            s[i] = Math.pow(base, i + 1);
        }
        if (closest != n) {
            double extra = Math.pow(2, -Math.pow(2, -(Math.log(2 * closest) / Math.log(2) - 3)));
            for (int i = 0; i < n - closest; i++) {
                s[closest + i] = Math.pow(extra, 2 * i + 1);
            }
        }
        return s;
    }

    /**
     * Causal attention of token i over 0..i: q[t] holds heads x hd, k/v[t] kvHeads x hd (query head h reads KV head
     * h / (heads / kvHeads)); ALiBi adds slope * t as BLOOM does.
     */
    static double[] attend(double[][] q, double[][] k, double[][] v, int i, int heads, int kvHeads, int hd,
                           double[] slopes) {
        double[] ctx = new double[heads * hd];
        for (int h = 0; h < heads; h++) {
            int kh = h / (heads / kvHeads);
            double[] s = new double[i + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int t = 0; t <= i; t++) {
                for (int d = 0; d < hd; d++) {
                    s[t] += q[i][h * hd + d] * k[t][kh * hd + d];
                }
                s[t] = s[t] / Math.sqrt(hd) + (slopes == null ? 0 : slopes[h] * t);
                max = Math.max(max, s[t]);
            }
            for (int t = 0; t <= i; t++) {
                s[t] = Math.exp(s[t] - max);
                sum += s[t];
            }
            for (int t = 0; t <= i; t++) {
                for (int d = 0; d < hd; d++) {
                    ctx[h * hd + d] += s[t] / sum * v[t][kh * hd + d];
                }
            }
        }
        return ctx;
    }

    /** Rows [from, from + n) of a fused vector. */
    static double[] rows(double[] x, int from, int n) {
        return Arrays.copyOfRange(x, from, from + n);
    }

    static double[] logits(float[] head, double[] x) {
        double[] y = new double[VOCAB];
        for (int j = 0; j < VOCAB; j++) {
            for (int i = 0; i < x.length; i++) {
                y[j] += (double) head[j * x.length + i] * x[i];
            }
        }
        return y;
    }

    static double[] embedding(float[] table, int row, int d) {
        double[] y = new double[d];
        for (int i = 0; i < d; i++) {
            y[i] = table[row * d + i];
        }
        return y;
    }

    /** The reference forward pass: logits [tokens][VOCAB], straight from each architecture's HF modelling code. */
    static double[][] oracle(Ckpt c, int[] tokens) {
        int n = tokens.length, d = c.d, hd = c.hd, heads = c.heads, kvh = c.kvHeads;
        double[][] x = new double[n][];
        double[][] out = new double[n][];
        switch (c.type) {
            case "opt" -> {
                for (int i = 0; i < n; i++) { // OPTLearnedPositionalEmbedding: position + 2
                    x[i] = add(embedding(c.g("decoder.embed_tokens.weight"), tokens[i], d),
                            embedding(c.g("decoder.embed_positions.weight"), i + 2, d));
                }
                for (int l = 0; l < LAYERS; l++) {
                    String p = "decoder.layers." + l + ".";
                    double[][] q = new double[n][], k = new double[n][], v = new double[n][];
                    for (int i = 0; i < n; i++) {
                        double[] h = layerNorm(c, p + "self_attn_layer_norm", x[i]);
                        q[i] = lin(c, p + "self_attn.q_proj.weight", p + "self_attn.q_proj.bias", h);
                        k[i] = lin(c, p + "self_attn.k_proj.weight", p + "self_attn.k_proj.bias", h);
                        v[i] = lin(c, p + "self_attn.v_proj.weight", p + "self_attn.v_proj.bias", h);
                    }
                    for (int i = 0; i < n; i++) {
                        x[i] = add(x[i], lin(c, p + "self_attn.out_proj.weight", p + "self_attn.out_proj.bias",
                                attend(q, k, v, i, heads, kvh, hd, null)));
                        double[] h = layerNorm(c, p + "final_layer_norm", x[i]);
                        double[] up = map(lin(c, p + "fc1.weight", p + "fc1.bias", h), z -> Math.max(0, z));
                        x[i] = add(x[i], lin(c, p + "fc2.weight", p + "fc2.bias", up));
                    }
                }
                for (int i = 0; i < n; i++) {
                    out[i] = logits(c.g("decoder.embed_tokens.weight"),
                            layerNorm(c, "decoder.final_layer_norm", x[i]));
                }
            }
            case "gpt2" -> {
                for (int i = 0; i < n; i++) {
                    x[i] = add(embedding(c.g("wte.weight"), tokens[i], d), embedding(c.g("wpe.weight"), i, d));
                }
                for (int l = 0; l < LAYERS; l++) {
                    String p = "h." + l + ".";
                    double[][] q = new double[n][], k = new double[n][], v = new double[n][];
                    for (int i = 0; i < n; i++) {
                        double[] qkv = conv1d(c, p + "attn.c_attn.weight", p + "attn.c_attn.bias",
                                layerNorm(c, p + "ln_1", x[i]));
                        q[i] = rows(qkv, 0, d); // qkv.split(n_embd, dim=2)
                        k[i] = rows(qkv, d, d);
                        v[i] = rows(qkv, 2 * d, d);
                    }
                    for (int i = 0; i < n; i++) {
                        x[i] = add(x[i], conv1d(c, p + "attn.c_proj.weight", p + "attn.c_proj.bias",
                                attend(q, k, v, i, heads, kvh, hd, null)));
                        double[] up = map(conv1d(c, p + "mlp.c_fc.weight", p + "mlp.c_fc.bias",
                                layerNorm(c, p + "ln_2", x[i])), HfFamiliesTest::geluTanh);
                        x[i] = add(x[i], conv1d(c, p + "mlp.c_proj.weight", p + "mlp.c_proj.bias", up));
                    }
                }
                for (int i = 0; i < n; i++) {
                    out[i] = logits(c.g("wte.weight"), layerNorm(c, "ln_f", x[i]));
                }
            }
            case "gpt_neox" -> {
                boolean parallel = Boolean.TRUE.equals(c.config.get("use_parallel_residual"));
                int rot = (int) (hd * 0.25);
                for (int i = 0; i < n; i++) {
                    x[i] = embedding(c.g("gpt_neox.embed_in.weight"), tokens[i], d);
                }
                for (int l = 0; l < LAYERS; l++) {
                    String p = "gpt_neox.layers." + l + ".";
                    double[][] q = new double[n][], k = new double[n][], v = new double[n][];
                    for (int i = 0; i < n; i++) {
                        double[] qkv = lin(c, p + "attention.query_key_value.weight",
                                p + "attention.query_key_value.bias", layerNorm(c, p + "input_layernorm", x[i]));
                        q[i] = new double[d];
                        k[i] = new double[d];
                        v[i] = new double[d];
                        for (int h = 0; h < heads; h++) { // view(..., heads, 3 * head_size), then thirds
                            System.arraycopy(qkv, h * 3 * hd, q[i], h * hd, hd);
                            System.arraycopy(qkv, h * 3 * hd + hd, k[i], h * hd, hd);
                            System.arraycopy(qkv, h * 3 * hd + 2 * hd, v[i], h * hd, hd);
                        }
                        rotateHalf(q[i], heads, hd, rot, i, 10000);
                        rotateHalf(k[i], heads, hd, rot, i, 10000);
                    }
                    for (int i = 0; i < n; i++) {
                        double[] a = lin(c, p + "attention.dense.weight", p + "attention.dense.bias",
                                attend(q, k, v, i, heads, kvh, hd, null));
                        double[] mlpIn = parallel ? layerNorm(c, p + "post_attention_layernorm", x[i]) : null;
                        if (!parallel) {
                            x[i] = add(x[i], a);
                            mlpIn = layerNorm(c, p + "post_attention_layernorm", x[i]);
                        }
                        double[] m = lin(c, p + "mlp.dense_4h_to_h.weight", p + "mlp.dense_4h_to_h.bias",
                                map(lin(c, p + "mlp.dense_h_to_4h.weight", p + "mlp.dense_h_to_4h.bias", mlpIn),
                                        HfFamiliesTest::gelu));
                        x[i] = parallel ? add(x[i], a, m) : add(x[i], m);
                    }
                }
                for (int i = 0; i < n; i++) {
                    out[i] = logits(c.g("embed_out.weight"), layerNorm(c, "gpt_neox.final_layer_norm", x[i]));
                }
            }
            case "falcon" -> {
                boolean newArch = Boolean.TRUE.equals(c.config.get("new_decoder_architecture"));
                String bias = newArch ? "" : null; // the new-architecture test model has biases
                for (int i = 0; i < n; i++) {
                    x[i] = embedding(c.g("transformer.word_embeddings.weight"), tokens[i], d);
                }
                for (int l = 0; l < LAYERS; l++) {
                    String p = "transformer.h." + l + ".";
                    double[][] q = new double[n][], k = new double[n][], v = new double[n][], hm = new double[n][];
                    for (int i = 0; i < n; i++) {
                        double[] ha = layerNorm(c, p + (newArch ? "ln_attn" : "input_layernorm"), x[i]);
                        hm[i] = newArch ? layerNorm(c, p + "ln_mlp", x[i]) : ha;
                        double[] f = lin(c, p + "self_attention.query_key_value.weight",
                                bias == null ? null : p + "self_attention.query_key_value.bias", ha);
                        q[i] = new double[heads * hd];
                        k[i] = new double[kvh * hd];
                        v[i] = new double[kvh * hd];
                        if (newArch) { // view(..., kv, heads/kv + 2, head_dim): [q..., k, v] per group
                            int g = heads / kvh;
                            for (int j = 0; j < kvh; j++) {
                                for (int t = 0; t < g; t++) {
                                    System.arraycopy(f, (j * (g + 2) + t) * hd, q[i], (j * g + t) * hd, hd);
                                }
                                System.arraycopy(f, (j * (g + 2) + g) * hd, k[i], j * hd, hd);
                                System.arraycopy(f, (j * (g + 2) + g + 1) * hd, v[i], j * hd, hd);
                            }
                        } else { // multi_query: view(..., heads + 2, head_dim)
                            System.arraycopy(f, 0, q[i], 0, heads * hd);
                            System.arraycopy(f, heads * hd, k[i], 0, hd);
                            System.arraycopy(f, (heads + 1) * hd, v[i], 0, hd);
                        }
                        rotateHalf(q[i], heads, hd, hd, i, 10000);
                        rotateHalf(k[i], kvh, hd, hd, i, 10000);
                    }
                    for (int i = 0; i < n; i++) {
                        double[] a = lin(c, p + "self_attention.dense.weight",
                                bias == null ? null : p + "self_attention.dense.bias",
                                attend(q, k, v, i, heads, kvh, hd, null));
                        double[] m = lin(c, p + "mlp.dense_4h_to_h.weight",
                                bias == null ? null : p + "mlp.dense_4h_to_h.bias",
                                map(lin(c, p + "mlp.dense_h_to_4h.weight",
                                        bias == null ? null : p + "mlp.dense_h_to_4h.bias", hm[i]),
                                        HfFamiliesTest::gelu));
                        x[i] = add(x[i], a, m);
                    }
                }
                for (int i = 0; i < n; i++) {
                    out[i] = logits(c.g("transformer.word_embeddings.weight"), layerNorm(c, "transformer.ln_f", x[i]));
                }
            }
            case "bloom" -> {
                double[] slopes = bloomSlopes(heads);
                for (int i = 0; i < n; i++) {
                    x[i] = layerNorm(c, "word_embeddings_layernorm", embedding(c.g("word_embeddings.weight"),
                            tokens[i], d));
                }
                for (int l = 0; l < LAYERS; l++) {
                    String p = "h." + l + ".";
                    double[][] q = new double[n][], k = new double[n][], v = new double[n][];
                    for (int i = 0; i < n; i++) {
                        double[] f = lin(c, p + "self_attention.query_key_value.weight",
                                p + "self_attention.query_key_value.bias", layerNorm(c, p + "input_layernorm", x[i]));
                        q[i] = new double[d];
                        k[i] = new double[d];
                        v[i] = new double[d];
                        for (int h = 0; h < heads; h++) { // view(..., heads, 3, head_dim)
                            System.arraycopy(f, (h * 3) * hd, q[i], h * hd, hd);
                            System.arraycopy(f, (h * 3 + 1) * hd, k[i], h * hd, hd);
                            System.arraycopy(f, (h * 3 + 2) * hd, v[i], h * hd, hd);
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        x[i] = add(x[i], lin(c, p + "self_attention.dense.weight", p + "self_attention.dense.bias",
                                attend(q, k, v, i, heads, kvh, hd, slopes)));
                        double[] up = map(lin(c, p + "mlp.dense_h_to_4h.weight", p + "mlp.dense_h_to_4h.bias",
                                layerNorm(c, p + "post_attention_layernorm", x[i])), HfFamiliesTest::geluTanh);
                        x[i] = add(x[i], lin(c, p + "mlp.dense_4h_to_h.weight", p + "mlp.dense_4h_to_h.bias", up));
                    }
                }
                for (int i = 0; i < n; i++) {
                    out[i] = logits(c.g("word_embeddings.weight"), layerNorm(c, "ln_f", x[i]));
                }
            }
            case "mixtral" -> {
                for (int i = 0; i < n; i++) {
                    x[i] = embedding(c.g("model.embed_tokens.weight"), tokens[i], d);
                }
                for (int l = 0; l < LAYERS; l++) {
                    String p = "model.layers." + l + ".";
                    double[][] q = new double[n][], k = new double[n][], v = new double[n][];
                    for (int i = 0; i < n; i++) {
                        double[] h = rmsNorm(c, p + "input_layernorm.weight", x[i]);
                        q[i] = lin(c, p + "self_attn.q_proj.weight", null, h);
                        k[i] = lin(c, p + "self_attn.k_proj.weight", null, h);
                        v[i] = lin(c, p + "self_attn.v_proj.weight", null, h);
                        rotateHalf(q[i], heads, hd, hd, i, 1e6);
                        rotateHalf(k[i], kvh, hd, hd, i, 1e6);
                    }
                    for (int i = 0; i < n; i++) {
                        x[i] = add(x[i], lin(c, p + "self_attn.o_proj.weight", null,
                                attend(q, k, v, i, heads, kvh, hd, null)));
                        double[] h = rmsNorm(c, p + "post_attention_layernorm.weight", x[i]);
                        // router: softmax over all experts, keep the top 2, renormalise (MixtralSparseMoeBlock)
                        double[] r = lin(c, p + "block_sparse_moe.gate.weight", null, h);
                        double max = Arrays.stream(r).max().orElseThrow(), sum = 0;
                        for (int e = 0; e < r.length; e++) {
                            r[e] = Math.exp(r[e] - max);
                            sum += r[e];
                        }
                        Integer[] order = {0, 1, 2, 3};
                        double[] prob = map(r, z -> z);
                        Arrays.sort(order, (a, b) -> Double.compare(prob[b], prob[a]));
                        double top = prob[order[0]] + prob[order[1]];
                        double[] moe = new double[d];
                        for (int j = 0; j < 2; j++) {
                            String e = p + "block_sparse_moe.experts." + order[j] + ".";
                            double[] g = map(lin(c, e + "w1.weight", null, h), z -> z / (1 + Math.exp(-z)));
                            double[] u = lin(c, e + "w3.weight", null, h);
                            for (int t = 0; t < g.length; t++) {
                                g[t] *= u[t];
                            }
                            double[] y = lin(c, e + "w2.weight", null, g);
                            for (int t = 0; t < d; t++) {
                                moe[t] += prob[order[j]] / top * y[t];
                            }
                        }
                        x[i] = add(x[i], moe);
                    }
                }
                for (int i = 0; i < n; i++) {
                    out[i] = logits(c.g("lm_head.weight"), rmsNorm(c, "model.norm.weight", x[i]));
                }
            }
            default -> throw new IllegalArgumentException(c.type);
        }
        return out;
    }

    // -------------------------------------------------------------------------------------------------- checks

    static final int[] TOKENS = {3, 17, 0, 29, 8, 8, 11, 39, 2, 21};

    /** Engine logits: the first 4 tokens as one prefill, the rest decoded one at a time (both paths checked). */
    static float[][] engine(Model m) {
        Transformer t = Transformer.of(m, kernels);
        KvCache cache = t.newCache();
        float[][] rows = new float[TOKENS.length][];
        float[] first = t.forward(cache, Arrays.copyOf(TOKENS, 4), true);
        for (int i = 0; i < TOKENS.length; i++) {
            rows[i] = i < 4 ? Arrays.copyOfRange(first, i * VOCAB, (i + 1) * VOCAB)
                    : t.forward(cache, new int[]{TOKENS[i]}, false);
        }
        return rows;
    }

    static void assertClose(double[][] expected, float[][] got, String what) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < VOCAB; j++) {
                assertEquals(expected[i][j], got[i][j], 1e-4 * Math.max(1, Math.abs(expected[i][j])),
                        what + ": position " + i + " logit " + j);
                worst = Math.max(worst, Math.abs(expected[i][j] - got[i][j]) / Math.max(1, Math.abs(expected[i][j])));
            }
        }
        System.out.printf("%s vs naive float64 reference: max |diff| / max(1, |ref|) = %.2e%n", what, worst);
    }

    /** The HF model_type and family each checkpoint must open as. */
    static final Map<String, String> FAMILY = Map.of("opt", "opt", "gpt2", "gpt2", "neox", "gpt_neox",
            "neox-sequential", "gpt_neox", "falcon-7b", "falcon", "falcon-new", "falcon", "bloom", "bloom",
            "mixtral", "mixtral");

    @ParameterizedTest
    @ValueSource(strings = {"opt", "gpt2", "neox", "neox-sequential", "falcon-7b", "falcon-new", "bloom", "mixtral"})
    void logitsMatchTheNaiveReferenceInF32AndF16(String id) throws IOException {
        Ckpt c = checkpoint(id);
        double[][] expected = oracle(c, TOKENS);
        float[][] f32;
        try (Model m = Model.open(c.write(tmp.resolve(id + "-f32"), false))) {
            assertEquals(FAMILY.get(id), m.family().name());
            f32 = engine(m);
            assertClose(expected, f32, id + " F32");
        }
        // F16 file: must equal the reference run on the same F16-rounded weights (same tolerance), and stay near
        // the F32 model (F16 rounds weights by up to 2^-11 relative: logits of a few units move by ~1e-2)
        try (Model m = Model.open(c.write(tmp.resolve(id + "-f16"), true))) {
            assertEquals(DType.F16, m.dtype());
            float[][] f16 = engine(m);
            assertClose(oracle(c.roundedToHalf(), TOKENS), f16, id + " F16");
            double maxDiff = 0;
            for (int i = 0; i < f16.length; i++) {
                for (int j = 0; j < VOCAB; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(f16[i][j] - f32[i][j]));
                }
            }
            assertTrue(maxDiff < 0.05, id + ": F16 vs F32 max |diff| " + maxDiff);
            assertTrue(maxDiff > 0, id + ": F16 weights should change some rounding");
        }
    }

    /** The tensor each family's shape check is exercised on (the fused one where there is one), and its bad shape. */
    static final Map<String, String> BROKEN = Map.of(
            "opt", "decoder.layers.1.fc1.weight",
            "gpt2", "h.0.attn.c_attn.weight",
            "neox", "gpt_neox.layers.1.attention.query_key_value.weight",
            "falcon-7b", "transformer.h.0.self_attention.query_key_value.weight",
            "bloom", "h.1.self_attention.query_key_value.weight",
            "mixtral", "model.layers.1.block_sparse_moe.experts.3.w1.weight");

    @ParameterizedTest
    @ValueSource(strings = {"opt", "gpt2", "neox", "falcon-7b", "bloom", "mixtral"})
    void aWrongShapeNamesTheTensor(String id) throws IOException {
        Ckpt c = checkpoint(id);
        String name = BROKEN.get(id);
        long[] s = c.shapes.get(name);
        c.put(name, new long[]{s[0] + 8, s[1]}, 0, 0.1); // 8 rows too many (one head more, for fused ones)
        Path dir = c.write(tmp.resolve(id + "-broken"), false);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (Model m = Model.open(dir)) {
                Transformer.of(m, kernels);
            }
        });
        // named as stored, possibly with the base-model prefix and the #q/#k/#v part the family reads
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(s[0] + 8)), "states the shape found: " + e.getMessage());
    }

    /** The paper's α per family (jobs' AlphaDefaults): OPT/BLOOM 0.5, Falcon 0.6, Mixtral 0.8; GPT-2/NeoX 0.5. */
    static final Map<String, Double> ALPHA = Map.of("opt", 0.5, "gpt2", 0.5, "gpt_neox", 0.5, "falcon", 0.6,
            "bloom", 0.5, "mixtral", 0.8);

    /** The foldable sites each family smooths per layer, and which norm each folds into. */
    static final Map<String, Map<String, String>> SITES = Map.of(
            "opt", Map.of("attn_in", "self_attn_layer_norm", "ffn_in", "final_layer_norm"),
            "gpt2", Map.of("attn_in", "ln_1", "ffn_in", "ln_2"),
            "neox", Map.of("attn_in", "input_layernorm", "ffn_in", "post_attention_layernorm"),
            "falcon-7b", Map.of("attn_in", "input_layernorm"),
            "falcon-new", Map.of("attn_in", "ln_attn", "ffn_in", "ln_mlp"),
            "bloom", Map.of("attn_in", "input_layernorm", "ffn_in", "post_attention_layernorm"),
            "mixtral", Map.of("attn_in", "input_layernorm", "ffn_in", "post_attention_layernorm"));

    /**
     * SmoothQuant per family: the smoothed FP model computes the original function (smoothing only changes float
     * rounding: |Δ logit| <= 1e-4 * max(1, max |logit|), see SmoothingTest), the sites are the paper's, and W8A8
     * (O1) quantization runs and stays near the FP model.
     */
    @ParameterizedTest
    @ValueSource(strings = {"opt", "gpt2", "neox", "falcon-7b", "falcon-new", "bloom", "mixtral"})
    void smoothQuantKeepsTheFunctionAndQuantizes(String id) throws IOException {
        Ckpt c = checkpoint(id);
        try (Model m = Model.open(c.write(tmp.resolve(id + "-sq"), false))) {
            Random rnd = new Random(9);
            int[][] windows = new int[6][12];
            for (int[] w : windows) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = rnd.nextInt(VOCAB);
                }
            }
            ActivationStats stats = Calibrator.run(m, kernels, windows, ProgressListener.NONE);
            double alpha = ALPHA.get(m.family().name());
            SmoothingPlan plan = SmoothQuant.smooth(m, stats, alpha, SiteSelection.FOLDABLE);
            Set<String> sites = new TreeSet<>();
            for (SiteKey k : plan.factors().keySet()) {
                sites.add(k.site());
            }
            assertEquals(new TreeSet<>(SITES.get(id).keySet()), sites, id + ": smoothed sites");
            assertEquals(LAYERS * sites.size(), plan.factors().size());
            assertTrue(plan.explicit().isEmpty(), "foldable sites fold into their norm");
            Set<String> changed = SmoothQuant.smoothedWeights(m, plan).changed();
            for (String norm : SITES.get(id).values()) {
                assertTrue(changed.stream().anyMatch(n -> n.contains(norm + ".weight")),
                        id + ": " + norm + " should take 1/s, changed: " + changed);
            }

            int[] window = windows[0];
            Transformer plain = Transformer.of(m, kernels);
            Transformer smoothed = SmoothQuant.smoothedTransformer(m, plan, kernels);
            float[] a = plain.forward(plain.newCache(), window, true);
            float[] b = smoothed.forward(smoothed.newCache(), window, true);
            double maxAbs = 0, maxDiff = 0;
            for (int i = 0; i < a.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(a[i]));
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
            assertTrue(maxDiff <= 1e-4 * Math.max(1, maxAbs), id + ": smoothed vs original max |Δ| " + maxDiff);
            assertTrue(!Arrays.equals(a, b), id + ": smoothing should change float rounding somewhere");

            QuantConfig config = QuantConfig.of(QuantLevel.O1, alpha, Granularity.CHANNEL);
            try (QuantizedModel q = SmoothQuant.quantize(m, stats, config, ProgressListener.NONE)) {
                Transformer t = q.transformer(kernels);
                float[] y = t.forward(t.newCache(), window, true);
                // INT8 noise on a random 2-layer model: the logits must stay strongly correlated with FP32
                double dot = 0, na = 0, ny = 0;
                for (int i = 0; i < a.length; i++) {
                    assertTrue(Float.isFinite(y[i]), id + ": INT8 logit " + i + " not finite");
                    dot += (double) a[i] * y[i];
                    na += (double) a[i] * a[i];
                    ny += (double) y[i] * y[i];
                }
                double cos = dot / Math.sqrt(na * ny);
                assertTrue(cos > 0.98, id + ": INT8 vs FP32 cosine " + cos);
                assertTrue(!Arrays.equals(a, y), id + ": INT8 should differ from FP32");
                // q, k, v, o and the MLP's two linears; Mixtral: q, k, v, o, the router and 4 experts x 3
                assertEquals(LAYERS * (m.family().name().equals("mixtral") ? 4 + 1 + 4 * 3 : 4 + 2),
                        q.linears().size(), id + ": every block linear quantized");

                // export in the HF layout: plain-linear families only (fused/Conv1D ones are refused, not mangled)
                Path out = tmp.resolve(id + "-int8");
                if (id.equals("opt") || id.equals("mixtral")) {
                    com.seedsq.engine.export.Int8Export.write(q, out, List.of());
                    try (var st = com.seedsq.engine.format.safetensors.SafetensorsFile.open(
                            out.resolve("model.safetensors"))) {
                        String linear = id.equals("opt") ? "model.decoder.layers.0.self_attn.q_proj.weight"
                                : "model.layers.1.block_sparse_moe.experts.3.w2.weight";
                        assertEquals(DType.I8, st.tensor(linear).dtype());
                        if (id.equals("opt")) { // OPT's position table goes out whole, offset rows included
                            assertEquals(SEQ + 2, st.tensor("model.decoder.embed_positions.weight").shape()[0]);
                        }
                    }
                    assertTrue(Files.readString(out.resolve("config.json")).contains("\"model_type\" : \"" + c.type),
                            "the source config is kept");
                } else {
                    var e = assertThrows(UnsupportedOperationException.class,
                            () -> com.seedsq.engine.export.Int8Export.write(q, out, List.of()));
                    assertTrue(e.getMessage().contains(m.family().name()), e.getMessage());
                }
            }
        }
    }
}
