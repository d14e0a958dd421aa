package com.seedsq.engine.export;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.format.safetensors.SafetensorsFile;
import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.RandomWeights;
import com.seedsq.engine.model.RopeLayouts;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.QuantizedMatrix;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedLinear;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SiteSelection;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * INT8 export in the compressed-tensors layout and the round trip back: files, names, dtypes, shapes and
 * quantization_config fields; the imported model's logits equal the in-memory quantized model's bit for bit.
 */
class Int8ExportTest {

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

    // ------------------------------------------------------------------------------------------------ fixtures

    /** A random LLaMA model written as an HF directory (F32, halves RoPE), opened through {@link Model#open}. */
    static Model randomHfModel(Path dir, ModelConfig c, long seed) throws Exception {
        try (RandomWeights w = new RandomWeights(Families.LLAMA, c, DType.F32, seed)) {
            SafetensorsWriter st = new SafetensorsWriter();
            for (String n : w.names()) {
                st.add(w.tensor(n));
            }
            Files.createDirectories(dir);
            st.write(dir.resolve("model.safetensors"));
        }
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "intermediate_size": %d, "vocab_size": %d, "max_position_embeddings": %d,
                 "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": %s,
                 "torch_dtype": "float32"}
                """.formatted(c.hiddenSize(), c.layers(), c.heads(), c.kvHeads(), c.intermediateSize(),
                c.vocabSize(), c.maxSeq(), c.tiedEmbeddings()));
        return Model.open(dir);
    }

    static final ModelConfig SMALL = new ModelConfig(64, 2, 4, 2, 16, 96, 48, 64, 1e-5f, 10000f, false);

    /** A deterministic token stream with BOS = 1 first. */
    static int[] stream(int n, int vocab) {
        int[] ids = new int[n + 1];
        ids[0] = 1;
        for (int i = 1; i <= n; i++) {
            ids[i] = 3 + (int) ((i * 2654435761L + i / 7) % (vocab - 3));
        }
        return ids;
    }

    static int[][] evalWindows(int[] ids, int count, int len) {
        int[][] w = new int[count][];
        for (int i = 0; i < count; i++) {
            w[i] = new int[len];
            w[i][0] = 1;
            System.arraycopy(ids, 1 + i * (len - 1), w[i], 1, len - 1);
        }
        return w;
    }

    static float[] logits(Transformer t, int[] tokens) {
        return t.forward(t.newCache(), tokens, true);
    }

    static QuantConfig o1Channel() {
        return new QuantConfig(QuantLevel.O1, 0.5, Granularity.CHANNEL, SiteSelection.FOLDABLE,
                QuantConfig.Execution.INT8);
    }

    static QuantConfig o3Tensor() {
        return new QuantConfig(QuantLevel.O3, 0.5, Granularity.TENSOR, SiteSelection.FOLDABLE,
                QuantConfig.Execution.INT8);
    }

    /**
     * Quantizes, exports, checks the files, imports (restoring the source layout) and compares logits exactly.
     * Returns the export result.
     */
    static Int8Export.Result roundTrip(Model model, ActivationStats stats, QuantConfig qc, Path out,
                                       int[][] windows) throws Exception {
        try (QuantizedModel qm = SmoothQuant.quantize(model, stats, qc, ProgressListener.NONE)) {
            Int8Export.Result r = Int8Export.write(qm, out);
            checkFiles(qm, out);
            try (ImportedModel im = Int8Import.open(out)) {
                assertEquals(qc.level(), im.level());
                assertEquals(qc.weights(), im.weightGranularity());
                assertEquals(qm.linears().keySet(), im.linears().keySet());
                assertEquals(model.family().name(), im.model().family().name());
                assertEquals(model.config(), im.model().config());
                assertEquals(qm.int8Bytes(), im.int8Bytes());
                for (QuantizedLinear a : qm.linears().values()) {
                    QuantizedLinear b = im.linears().get(a.name());
                    assertEquals(a.site(), b.site(), a.name());
                    assertArrayEquals(a.weights().matrix().toByteArray(), b.weights().matrix().toByteArray(), a.name());
                    assertArrayEquals(a.weights().matrix().scales(), b.weights().matrix().scales(), a.name());
                    assertArrayEquals(a.weights().rowSums(), b.weights().rowSums(), a.name());
                    assertEquals(Float.floatToRawIntBits(a.staticScale()), Float.floatToRawIntBits(b.staticScale()),
                            a.name());
                    assertArrayEquals(a.inputScale(), b.inputScale(), a.name());
                }
                Transformer mem = qm.transformer(kernels), imp = im.transformer(kernels);
                for (int[] w : windows) {
                    float[] x = logits(mem, w), y = logits(imp, w);
                    assertTrue(Arrays.equals(x, y), "imported logits differ from the in-memory quantized model's"
                            + " (" + qc.level() + "/" + qc.weights() + ")");
                }
            }
            return r;
        }
    }

    /** Names, dtypes and shapes of model.safetensors, and config.json's quantization_config, for {@code qm}. */
    @SuppressWarnings("unchecked")
    static void checkFiles(QuantizedModel qm, Path out) {
        QuantConfig qc = qm.config();
        for (String f : List.of("config.json", "model.safetensors", "sq_export.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(!qm.plan().factors().isEmpty(), Files.exists(out.resolve(Int8Export.SMOOTHING_FILE)));
        Map<String, Object> cfg = HfCheckpoint.readJsonObject(out.resolve("config.json"));
        assertEquals("llama", cfg.get("model_type"));
        assertEquals(List.of("LlamaForCausalLM"), cfg.get("architectures"));
        assertEquals(qm.model().config().tiedEmbeddings(), cfg.get("tie_word_embeddings"));
        assertEquals(qm.model().config().hiddenSize(), cfg.get("hidden_size"));
        Map<String, Object> q = (Map<String, Object>) cfg.get("quantization_config");
        assertEquals("compressed-tensors", q.get("quant_method"));
        assertEquals("int-quantized", q.get("format"));
        assertEquals("compressed", q.get("quantization_status"));
        assertEquals(List.of("lm_head"), q.get("ignore"));
        Map<String, Object> groups = (Map<String, Object>) q.get("config_groups");
        assertEquals(List.of("group_0"), List.copyOf(groups.keySet()));
        Map<String, Object> g = (Map<String, Object>) groups.get("group_0");
        assertEquals(List.of("Linear"), g.get("targets"));
        Map<String, Object> w = (Map<String, Object>) g.get("weights");
        Map<String, Object> a = (Map<String, Object>) g.get("input_activations");
        for (Map<String, Object> args : List.of(w, a)) {
            assertEquals(8, args.get("num_bits"));
            assertEquals("int", args.get("type"));
            assertEquals(true, args.get("symmetric"));
        }
        assertEquals(qc.weights().strategy(), w.get("strategy"));
        assertEquals(false, w.get("dynamic"));
        boolean isStatic = qc.level().staticScale();
        assertEquals(isStatic ? "tensor" : qc.level().activations().strategy(), a.get("strategy"));
        assertEquals(!isStatic, a.get("dynamic"));

        Map<String, Object> info = HfCheckpoint.readJsonObject(out.resolve("sq_export.json"));
        assertEquals(qc.level().name(), info.get("level"));
        assertEquals(qc.weights().strategy(), info.get("weights"));
        assertEquals(qc.alphaText(), info.get("alpha"));
        assertTrue(String.valueOf(info.get("engine")).startsWith("sq-engine"));
        assertEquals(qm.plan().alphasByName(), info.get("alphas"));

        boolean permuted = qm.model().family().positions() == com.seedsq.engine.model.PositionKind.ROPE_INTERLEAVED;
        ModelConfig c = qm.model().config();
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            int expected = 0;
            for (String name : qm.weights().names()) {
                QuantizedLinear ql = qm.linears().get(name);
                String mod = name.substring(0, name.length() - ".weight".length());
                if (ql == null) {
                    TensorData t = st.tensor(name);
                    assertEquals(qm.weights().tensor(name).dtype(), t.dtype(), name);
                    assertArrayEquals(qm.weights().tensor(name).shape(), t.shape(), name);
                    expected++;
                    continue;
                }
                QuantizedMatrix m = ql.weights().matrix();
                TensorData wt = st.tensor(name);
                assertEquals(DType.I8, wt.dtype(), name);
                assertArrayEquals(new long[]{m.rows(), m.cols()}, wt.shape(), name);
                TensorData sc = st.tensor(mod + ".weight_scale");
                assertEquals(DType.F32, sc.dtype());
                assertArrayEquals(qc.weights() == Granularity.CHANNEL ? new long[]{m.rows(), 1} : new long[]{1},
                        sc.shape(), name);
                expected += 2;
                if (isStatic) {
                    TensorData is = st.tensor(mod + ".input_scale");
                    assertEquals(DType.F32, is.dtype());
                    assertArrayEquals(new long[]{1}, is.shape());
                    assertEquals(ql.staticScale(), is.getFloat(0));
                    expected++;
                } else {
                    assertFalse(st.has(mod + ".input_scale"), name);
                }
                if (ql.inputScale() != null) {
                    TensorData ss = st.tensor(mod + ".smooth_scale");
                    assertArrayEquals(new long[]{m.cols()}, ss.shape());
                    assertArrayEquals(ql.inputScale(), ss.toFloatArray());
                    expected++;
                } else {
                    assertFalse(st.has(mod + ".smooth_scale"), name);
                }
                assertFalse(st.has(mod + ".weight_zero_point"), name);
                // q/k codes and their per-channel scales moved together into HF's halves layout
                boolean isQ = name.endsWith("q_proj.weight"), isK = name.endsWith("k_proj.weight");
                float[] deq = m.dequantize();
                if (permuted && (isQ || isK)) {
                    deq = RopeLayouts.interleavedToHalves(deq, isQ ? c.heads() : c.kvHeads(), c.headDim(), m.cols());
                }
                float[] stored = wt.toFloatArray();
                float[] scales = sc.toFloatArray();
                for (int i = 0; i < stored.length; i++) {
                    float s = scales.length == 1 ? scales[0] : scales[i / m.cols()];
                    assertEquals(deq[i], stored[i] * s, name + " element " + i);
                }
            }
            assertEquals(expected, st.names().size(), "no tensors besides the model's and their companions");
            if (c.tiedEmbeddings()) {
                assertFalse(st.has("lm_head.weight"));
            }
            assertEquals(DType.F32, st.tensor("model.layers.0.input_layernorm.weight").dtype());
        }
    }

    // --------------------------------------------------------------------------------------------------- tests

    @Test
    void randomHfModelRoundTripsBitForBit() throws Exception {
        try (Model model = randomHfModel(tmp.resolve("src"), SMALL, 3)) {
            assertEquals(Families.LLAMA, model.family());
            int[] ids = stream(400, SMALL.vocabSize());
            ActivationStats stats = SmoothQuant.calibrate(model, ids, 1, new CalibrationSpec(4, 33), null,
                    ProgressListener.NONE);
            int[][] windows = evalWindows(ids, 3, 24);
            roundTrip(model, stats, o1Channel(), tmp.resolve("o1"), windows);
            roundTrip(model, stats, o3Tensor(), tmp.resolve("o3"), windows);
            // an HF source keeps its own config (plus the quantization_config)
            assertEquals("float32", HfCheckpoint.readJsonObject(tmp.resolve("o1/config.json")).get("torch_dtype"));
        }
    }

    @Test
    void explicitInputScalesAndFakeExecutionRoundTrip() throws Exception {
        try (Model model = randomHfModel(tmp.resolve("src"), SMALL, 4)) {
            int[] ids = stream(400, SMALL.vocabSize());
            ActivationStats stats = SmoothQuant.calibrate(model, ids, 1, new CalibrationSpec(4, 33), null,
                    ProgressListener.NONE);
            int[][] windows = evalWindows(ids, 2, 20);
            QuantConfig all = new QuantConfig(QuantLevel.O2, 0.5, Granularity.CHANNEL, SiteSelection.ALL,
                    QuantConfig.Execution.INT8);
            roundTrip(model, stats, all, tmp.resolve("o2all"), windows);
            try (SafetensorsFile st = SafetensorsFile.open(tmp.resolve("o2all/model.safetensors"))) {
                assertTrue(st.has("model.layers.1.self_attn.o_proj.smooth_scale"));
                assertTrue(st.has("model.layers.0.mlp.down_proj.smooth_scale"));
                assertFalse(st.has("model.layers.0.self_attn.q_proj.smooth_scale"));
            }
            // fake quantization from the same export equals in-memory fake quantization
            QuantConfig fake = all.withExecution(QuantConfig.Execution.FAKE);
            try (QuantizedModel qm = SmoothQuant.quantize(model, stats, fake, ProgressListener.NONE);
                 ImportedModel im = Int8Import.open(tmp.resolve("o2all"),
                         Int8Import.Options.defaults().withExecution(QuantConfig.Execution.FAKE))) {
                assertEquals("fake-quant", im.kernelName());
                for (int[] w : windows) {
                    assertArrayEquals(logits(qm.transformer(kernels), w), logits(im.transformer(kernels), w));
                }
            }
        }
    }

    @Test
    void randomLlama2cModelIsPermutedForHfAndRestoredBitForBit() throws Exception {
        Path bin = tmp.resolve("tiny.bin");
        RandomLlama2c.write(bin, RandomLlama2c.tinyHeader(true), 21);
        try (Model model = Model.open(bin)) {
            assertEquals(Families.LLAMA2C, model.family());
            int[] ids = stream(300, model.config().vocabSize());
            ActivationStats stats = SmoothQuant.calibrate(model, ids, 1, new CalibrationSpec(4, 33), null,
                    ProgressListener.NONE);
            int[][] windows = evalWindows(ids, 3, 20);
            roundTrip(model, stats, o1Channel(), tmp.resolve("o1"), windows);
            roundTrip(model, stats, o3Tensor(), tmp.resolve("o3"), windows);
            Map<String, Object> cfg = HfCheckpoint.readJsonObject(tmp.resolve("o1/config.json"));
            assertEquals(true, cfg.get("tie_word_embeddings"));
            assertEquals(model.config().heads(), cfg.get("num_attention_heads"));
            assertEquals(model.config().kvHeads(), cfg.get("num_key_value_heads"));

            // as stored (HF family, halves RoPE, as vLLM runs it): same function up to float summation order
            double d = maxDiffAsStored(model, stats, o1Channel(), tmp.resolve("o1"), windows);
            System.out.printf("random llama2c, O1/channel, imported as HF halves layout: max |logit diff| %.3g%n", d);
        }
    }

    /**
     * Max |Δ logit| between the in-memory model and the export run as stored (HF family, halves RoPE): the attention
     * dot products sum in another order, so float noise, and rarely an activation code flipped by it.
     */
    static double maxDiffAsStored(Model model, ActivationStats stats, QuantConfig qc, Path out, int[][] windows) {
        try (QuantizedModel qm = SmoothQuant.quantize(model, stats, qc, ProgressListener.NONE);
             ImportedModel hf = Int8Import.open(out, Int8Import.Options.defaults().asStored())) {
            assertEquals(Families.LLAMA, hf.model().family());
            assertFalse(hf.sourceLayoutRestored());
            double maxDiff = 0, maxAbs = 0;
            for (int[] w : windows) {
                float[] x = logits(qm.transformer(kernels), w), y = logits(hf.transformer(kernels), w);
                for (int i = 0; i < x.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
                    maxAbs = Math.max(maxAbs, Math.abs(x[i]));
                }
            }
            assertTrue(maxDiff < 1e-2 * Math.max(1, maxAbs), "HF-layout import differs by " + maxDiff);
            return maxDiff;
        }
    }

    @Test
    void rejectsADirectoryThatIsNotAnInt8Export() throws Exception {
        try (Model model = randomHfModel(tmp.resolve("fp"), SMALL, 9)) {
            assertNotNull(model);
        }
        var e = assertThrows(com.seedsq.engine.format.ModelFormatException.class,
                () -> Int8Import.open(tmp.resolve("fp")));
        assertTrue(e.getMessage().contains("quantization_config"), e.getMessage());
    }

    /** A model whose linears dominate: model.safetensors ≤ 0.27 × the FP32 weights. */
    @Test
    void int8ExportIsAQuarterOfFp32WhenLinearsDominate() throws Exception {
        ModelConfig big = new ModelConfig(256, 2, 4, 4, 64, 688, 32, 64, 1e-5f, 10000f, true);
        try (Model model = randomHfModel(tmp.resolve("big"), big, 5)) {
            int[] ids = stream(100, big.vocabSize());
            ActivationStats stats = SmoothQuant.calibrate(model, ids, 1, new CalibrationSpec(2, 17), null,
                    ProgressListener.NONE);
            Int8Export.Result r = roundTrip(model, stats, o1Channel(), tmp.resolve("o1"), evalWindows(ids, 1, 12));
            System.out.printf("random 256/688 x2 model: model.safetensors %d bytes, FP32 %d bytes, ratio %.4f%n",
                    r.modelBytes(), r.fp32Bytes(), r.ratioToFp32());
            assertEquals(Files.size(tmp.resolve("o1/model.safetensors")), r.modelBytes());
            assertTrue(r.ratioToFp32() <= 0.27, "ratio " + r.ratioToFp32());
        }
    }

    @Test
    void stories260KRoundTripsBitForBit() throws Exception {
        Path bin = SharedData.model();
        Path tok = SharedData.tokenizer();
        int[] ids = SharedData.ids(SharedData.require("reference/stories260K/tinystories_ids.txt"));
        try (Model model = Model.open(bin)) {
            ActivationStats stats = SmoothQuant.calibrate(model, ids, 1, new CalibrationSpec(4, 128), null,
                    ProgressListener.NONE);
            int[][] windows = {Arrays.copyOfRange(ids, 0, 64), Arrays.copyOfRange(ids, 400, 464)};
            windows[1][0] = 1;
            Int8Export.Result o1 = roundTrip(model, stats, o1Channel(), tmp.resolve("o1"), windows);
            Int8Export.Result o3 = roundTrip(model, stats, o3Tensor(), tmp.resolve("o3"), windows);
            System.out.printf("stories260K, O3/tensor, imported as HF halves layout: max |logit diff| %.3g%n",
                    maxDiffAsStored(model, stats, o3Tensor(), tmp.resolve("o3"), windows));
            // with the tokenizer copied in
            try (QuantizedModel qm = SmoothQuant.quantize(model, stats, o1Channel(), ProgressListener.NONE)) {
                Int8Export.Result r = Int8Export.write(qm, tmp.resolve("tok"), List.of(tok), stats);
                assertEquals(Files.size(tok), Files.size(tmp.resolve("tok/tok512.bin")));
                assertTrue(r.files().contains(tmp.resolve("tok/" + Int8Export.STATS_FILE)));
                ActivationStats back = ActivationStats.load(tmp.resolve("tok/" + Int8Export.STATS_FILE));
                assertEquals(stats.absMax().keySet(), back.absMax().keySet());
                stats.absMax().forEach((k, v) -> assertArrayEquals(v, back.absMax().get(k), k.toString()));
                Map<String, Object> info = HfCheckpoint.readJsonObject(tmp.resolve("tok/sq_export.json"));
                assertEquals(List.of("tok512.bin"), info.get("tokenizer_files"));
                assertEquals(Int8Export.STATS_FILE, info.get("activation_stats"));
                assertEquals("llama2c", ((Map<?, ?>) info.get("source")).get("family"));
                assertEquals(Int8Export.SMOOTHING_FILE, info.get("smoothing_factors"));
                var plan = com.seedsq.engine.smoothquant.SmoothingPlan.load(
                        tmp.resolve("tok/" + Int8Export.SMOOTHING_FILE));
                assertEquals(qm.plan().factors().keySet(), plan.factors().keySet());
            }
            long linear = 0, embed = model.weights().tensor(
                    model.family().tensorName(TensorRole.EMBED)).elementCount();
            for (String n : model.weights().names()) {
                if (model.weights().tensor(n).shape().length == 2 && !n.contains("embed")) {
                    linear += model.weights().tensor(n).elementCount();
                }
            }
            System.out.printf("stories260K: %d linear params, %d embedding params; O1/channel model.safetensors "
                            + "%d bytes = %.4f x FP32 (%d); O3/tensor %d bytes = %.4f x FP32%n", linear, embed,
                    o1.modelBytes(), o1.ratioToFp32(), o1.fp32Bytes(), o3.modelBytes(), o3.ratioToFp32());
            assertTrue(o1.ratioToFp32() < 0.5, "ratio " + o1.ratioToFp32());
        }
    }
}
