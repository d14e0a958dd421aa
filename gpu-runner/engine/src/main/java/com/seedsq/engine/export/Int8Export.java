package com.seedsq.engine.export;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.LayoutView;
import com.seedsq.engine.model.WeightLayout;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.PositionKind;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.QuantizedMatrix;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedLinear;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SmoothingPlan;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link QuantizedModel} as a Hugging Face directory in llm-compressor's <b>compressed-tensors</b> W8A8
 * layout ({@code format = int-quantized}), the layout vLLM loads:
 *
 * <ul>
 *   <li>{@code config.json}: the model's HF config (copied from an HF source; synthesised as
 *       {@code LlamaForCausalLM} for a llama2.c source) with a {@code quantization_config} whose field names and
 *       values follow llm-compressor's output: one {@code group_0} targeting {@code Linear}, weights
 *       {@code int/8/symmetric, strategy tensor|channel, dynamic false}, input activations
 *       {@code int/8/symmetric, strategy token|tensor, dynamic true} (O1/O2/naive) or {@code strategy tensor,
 *       dynamic false} (O3), {@code ignore: ["lm_head"]}, {@code quantization_status: compressed}.</li>
 *   <li>{@code model.safetensors}: per quantized linear (module {@code m}, e.g.
 *       {@code model.layers.0.self_attn.q_proj}) {@code m.weight} I8 [out, in], {@code m.weight_scale} F32
 *       ([out, 1] per channel, [1] per tensor), for O3 {@code m.input_scale} F32 [1], and — only where a smoothed
 *       site has no norm to fold 1/s into (sites {@code ALL}: o_proj, down_proj) — {@code m.smooth_scale} F32 [in],
 *       the factor the engine multiplies each input channel by before quantizing it, i.e. 1/s (an engine
 *       extension; compressed-tensors has no such tensor). Every other tensor (embeddings, the smoothed norms, an
 *       untied lm_head) as the (smoothed) model holds it: F32 for smoothed norms, the original dtype otherwise.
 *       Names are HF LLaMA names; for a llama2.c source the q/k rows (codes, per-channel scales, biases) are
 *       permuted from interleaved to HF's halves RoPE layout.</li>
 *   <li>{@code smoothing_factors.safetensors}: s per smoothed site ({@link SmoothingPlan#save}), when smoothed;
 *       {@code activation_stats.safetensors}: the calibration abs-max statistics, when given.</li>
 *   <li>{@code sq_export.json}: level, weight/activation granularity, α (global and per site), smoothed and
 *       explicit sites, the source's family and RoPE layout, engine version, byte counts.</li>
 *   <li>tokenizer files, copied under their own names when given.</li>
 * </ul>
 *
 * {@link Int8Import} reads the directory back into a model that reproduces the in-memory INT8 logits bit for bit.
 */
public final class Int8Export {

    public static final String MODEL_FILE = HfCheckpoint.SINGLE;
    public static final String CONFIG_FILE = HfCheckpoint.CONFIG;
    public static final String INFO_FILE = "sq_export.json";
    public static final String SMOOTHING_FILE = "smoothing_factors.safetensors";
    public static final String STATS_FILE = "activation_stats.safetensors";
    /** The {@code format} value of {@code sq_export.json}. */
    public static final String INFO_FORMAT = "sq-int8-export";
    public static final int INFO_VERSION = 1;

    static final String WEIGHT = ".weight";
    static final String WEIGHT_SCALE = ".weight_scale";
    static final String INPUT_SCALE = ".input_scale";
    static final String SMOOTH_SCALE = ".smooth_scale";

    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private Int8Export() {
    }

    /**
     * What was written.
     *
     * @param modelBytes     size of {@code model.safetensors} (header included)
     * @param int8Bytes      {@link QuantizedModel#int8Bytes()}: tensor bytes without file overheads
     * @param fp32Bytes      4 bytes × every parameter of the source model (its weights as FP32)
     * @param sourceBytes    the source model's tensor bytes in their stored dtypes
     * @param quantizedLinears number of INT8 linears
     */
    public record Result(Path directory, List<Path> files, long modelBytes, long int8Bytes, long fp32Bytes,
                         long sourceBytes, int quantizedLinears) {

        /** {@code model.safetensors} bytes / FP32 bytes. */
        public double ratioToFp32() {
            return modelBytes / (double) fp32Bytes;
        }
    }

    /** Writes the export without tokenizer files. */
    public static Result write(QuantizedModel qm, Path outDir) throws IOException {
        return write(qm, outDir, List.of());
    }

    /**
     * Writes the export into {@code outDir} (created if needed; existing files of the same names are replaced) and
     * copies {@code tokenizerFiles} (e.g. {@code tokenizer.json}, {@code tok512.bin}) next to it.
     */
    public static Result write(QuantizedModel qm, Path outDir, List<Path> tokenizerFiles) throws IOException {
        return write(qm, outDir, tokenizerFiles, null);
    }

    /**
     * As {@link #write(QuantizedModel, Path, List)}, and also saves the calibration statistics the model was
     * quantized with as {@code activation_stats.safetensors} ({@link ActivationStats#save}) when {@code stats} is
     * not null.
     */
    public static Result write(QuantizedModel qm, Path outDir, List<Path> tokenizerFiles, ActivationStats stats)
            throws IOException {
        Model model = qm.model();
        ModelFamily family = model.family();
        ModelConfig c = model.config();
        QuantConfig qc = qm.config();
        if (qc.int8Head()) {
            // compressed-tensors would need an untied INT8 lm_head module; the export keeps llm-compressor's
            // ignore: ["lm_head"] and writes no INT8 head, so it refuses rather than drop what was measured
            throw new IllegalArgumentException("the INT8 export keeps the LM head in FP (compressed-tensors ignore: "
                    + "[\"lm_head\"]): quantize without the INT8 head option to export; the option is for "
                    + "measuring accuracy and speed (bin/sq eval --int8-head)");
        }
        WeightLayout layout = family.layout();
        if (layout.qkv() != WeightLayout.QkvPacking.SEPARATE || !layout.transposed().isEmpty()) {
            // the INT8 parts would have to be fused (and Conv1D transposed) back into the HF layout, and per-tensor
            // scales of q, k and v cannot share one fused tensor: refuse rather than write a checkpoint HF cannot load
            throw new UnsupportedOperationException("INT8 export of the " + family.name() + " family in its Hugging "
                    + "Face layout (fused query_key_value or Conv1D weights) is not implemented; the quantized model "
                    + "runs in the engine");
        }
        boolean permute = family.positions() == PositionKind.ROPE_INTERLEAVED;
        Map<String, int[]> perms = permute ? qkPermutations(family, c) : Map.of();
        Map<String, String> hfNames = hfLlamaNames(family, c);
        Files.createDirectories(outDir);
        List<Path> files = new ArrayList<>();

        WeightSource w = qm.weights();
        SafetensorsWriter st = new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("producer", engineVersion())
                .metadata("quantization", "compressed-tensors int-quantized W8A8 " + levelText(qc));
        long fp32 = 0, source = 0;
        for (String name : model.weights().names()) {
            TensorData orig = model.weights().tensor(name);
            fp32 += 4 * orig.elementCount();
            source += orig.data().byteSize();
        }
        for (String name : w.names()) {
            QuantizedLinear q = qm.linears().get(name);
            int[] perm = perms.get(name);
            String out = hfNames.getOrDefault(name, name);
            if (q != null) {
                addLinear(st, q, perm, out);
            } else {
                TensorData t = w.tensor(name);
                if (perm != null) { // a q/k bias: rows of one element
                    st.addF32(out, t.shape(), RowPermutation.gather(t.toFloatArray(), perm,
                            (int) (t.elementCount() / perm.length)));
                } else {
                    if (model.weights() instanceof LayoutView view && view.trimmed(name)) {
                        t = view.asStored(name); // OPT's whole position table, offset rows included
                    }
                    st.add(out, t.dtype(), t.shape(), t.data());
                }
            }
        }
        Path modelFile = outDir.resolve(MODEL_FILE);
        long modelBytes = st.write(modelFile);
        files.add(modelFile);

        Path smoothing = null;
        if (!qm.plan().factors().isEmpty()) {
            smoothing = qm.plan().save(outDir.resolve(SMOOTHING_FILE));
            files.add(smoothing);
        }

        Path statsFile = null;
        if (stats != null) {
            statsFile = stats.save(outDir.resolve(STATS_FILE));
            files.add(statsFile);
        }

        Map<String, Object> config = hfConfig(model);
        config.put("quantization_config", quantizationConfig(qc, fp32 / (double) modelBytes));
        Path configFile = outDir.resolve(CONFIG_FILE);
        writeJson(configFile, config);
        files.add(configFile);

        List<String> tokenizers = new ArrayList<>();
        for (Path f : tokenizerFiles) {
            Path target = outDir.resolve(f.getFileName().toString());
            if (!Files.exists(target) || !Files.isSameFile(f, target)) {
                Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tokenizers.add(target.getFileName().toString());
            files.add(target);
        }

        Result r = new Result(outDir, List.of(), modelBytes, qm.int8Bytes(), fp32, source, qm.linears().size());
        Path info = outDir.resolve(INFO_FILE);
        writeJson(info, info(qm, permute, smoothing, statsFile, tokenizers, r));
        files.add(info);
        return new Result(outDir, List.copyOf(files), modelBytes, r.int8Bytes(), fp32, source,
                qm.linears().size());
    }

    /** The module name of a linear's weight tensor ({@code x.q_proj.weight} → {@code x.q_proj}). */
    static String module(String weightName) {
        if (!weightName.endsWith(WEIGHT)) {
            throw new IllegalArgumentException("linear weight name does not end in .weight: " + weightName);
        }
        return weightName.substring(0, weightName.length() - WEIGHT.length());
    }

    private static void addLinear(SafetensorsWriter st, QuantizedLinear q, int[] perm, String name) {
        QuantizedMatrix m = q.weights().matrix();
        String mod = module(name);
        long[] shape = {m.rows(), m.cols()};
        float[] scales = m.scales();
        if (perm == null) {
            st.add(name, DType.I8, shape, m.codes());
        } else {
            st.addI8(name, shape, RowPermutation.gather(m.toByteArray(), perm, m.cols()));
            if (m.granularity().perRow()) {
                scales = RowPermutation.gather(scales, perm, 1);
            }
        }
        st.addF32(mod + WEIGHT_SCALE, m.granularity().perRow() ? new long[]{m.rows(), 1} : new long[]{1},
                scales.clone());
        if (!Float.isNaN(q.staticScale())) {
            st.addF32(mod + INPUT_SCALE, new long[]{1}, new float[]{q.staticScale()});
        }
        if (q.inputScale() != null) {
            st.addF32(mod + SMOOTH_SCALE, new long[]{q.inputScale().length}, q.inputScale().clone());
        }
    }

    /**
     * For LLaMA-architecture families stored under other names (GGUF's {@code blk.0.attn_q.weight}): every role's
     * name → the HF LLaMA name the exported {@code LlamaForCausalLM} config expects. Empty for other families.
     */
    private static Map<String, String> hfLlamaNames(ModelFamily family, ModelConfig c) {
        Map<String, String> m = new HashMap<>();
        if (!family.architecture().equals(Families.LLAMA.architecture())) {
            return m;
        }
        for (TensorRole r : TensorRole.values()) {
            for (int l = 0; l < (r.perLayer() ? c.layers() : 1); l++) {
                String from = r.perLayer() ? family.tensorName(r, l) : family.tensorName(r);
                String to = r.perLayer() ? Families.LLAMA.tensorName(r, l) : Families.LLAMA.tensorName(r);
                if (from != null && to != null) {
                    m.put(from, to);
                }
            }
        }
        return m;
    }

    /** q_proj/k_proj weights and biases of every layer → their interleaved→halves row order. */
    private static Map<String, int[]> qkPermutations(ModelFamily family, ModelConfig c) {
        Map<String, int[]> m = new HashMap<>();
        int[] q = RowPermutation.interleavedToHalves(c.heads(), c.headDim());
        int[] k = RowPermutation.interleavedToHalves(c.kvHeads(), c.headDim());
        for (int l = 0; l < c.layers(); l++) {
            putIfNamed(m, family.tensorName(TensorRole.Q, l), q);
            putIfNamed(m, family.tensorName(TensorRole.Q_BIAS, l), q);
            putIfNamed(m, family.tensorName(TensorRole.K, l), k);
            putIfNamed(m, family.tensorName(TensorRole.K_BIAS, l), k);
        }
        return m;
    }

    private static void putIfNamed(Map<String, int[]> m, String name, int[] perm) {
        if (name != null) {
            m.put(name, perm);
        }
    }

    // ------------------------------------------------------------------------------------------------ configs

    /**
     * The HF config: the source's own {@code config.json} when it is an HF checkpoint (minus any previous
     * quantization_config), else a {@code LlamaForCausalLM} config synthesised from {@link ModelConfig}.
     */
    static Map<String, Object> hfConfig(Model model) {
        ModelConfig c = model.config();
        Map<String, Object> md = model.weights().metadata();
        Map<String, Object> cfg = new LinkedHashMap<>();
        if (md.get("model_type") != null) { // an HF checkpoint of any family keeps its own config
            cfg.putAll(md);
            cfg.remove("quantization_config");
            cfg.put("tie_word_embeddings", c.tiedEmbeddings());
            return cfg;
        }
        if (!c.ropeScaling().isDefault() || c.slidingWindow() > 0) { // llama2.c and GGUF configs never have them
            throw new IllegalArgumentException("cannot synthesise a LLaMA config.json with RoPE scaling "
                    + c.ropeScaling() + " or sliding window " + c.slidingWindow());
        }
        cfg.put("architectures", List.of("LlamaForCausalLM"));
        cfg.put("model_type", "llama");
        cfg.put("hidden_size", c.hiddenSize());
        cfg.put("intermediate_size", c.intermediateSize());
        cfg.put("num_hidden_layers", c.layers());
        cfg.put("num_attention_heads", c.heads());
        cfg.put("num_key_value_heads", c.kvHeads());
        cfg.put("head_dim", c.headDim());
        cfg.put("vocab_size", c.vocabSize());
        cfg.put("max_position_embeddings", c.maxSeq());
        // via the shortest decimal of the float, so that reading it back as float gives the same float
        cfg.put("rms_norm_eps", Double.parseDouble(Float.toString(c.normEps())));
        cfg.put("rope_theta", Double.parseDouble(Float.toString(c.ropeTheta())));
        cfg.put("hidden_act", "silu");
        cfg.put("attention_bias", false);
        cfg.put("mlp_bias", false);
        cfg.put("tie_word_embeddings", c.tiedEmbeddings());
        cfg.put("bos_token_id", 1);
        cfg.put("eos_token_id", 2);
        cfg.put("torch_dtype", "float32");
        cfg.put("use_cache", true);
        return cfg;
    }

    /** llm-compressor's {@code quantization_config} for W8A8 INT8, field for field. */
    static Map<String, Object> quantizationConfig(QuantConfig qc, double compressionRatio) {
        QuantLevel level = qc.level();
        Map<String, Object> weights = args(qc.weights().strategy(), false, "minmax");
        Map<String, Object> input = level.staticScale()
                ? args(Granularity.TENSOR.strategy(), false, "minmax")
                : args(level.activations().strategy(), true, "memoryless");
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("input_activations", input);
        group.put("output_activations", null);
        group.put("targets", List.of("Linear"));
        group.put("weights", weights);
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("config_groups", Map.of("group_0", group));
        q.put("format", "int-quantized");
        q.put("global_compression_ratio", compressionRatio);
        q.put("ignore", List.of("lm_head"));
        q.put("kv_cache_scheme", null);
        q.put("quant_method", "compressed-tensors");
        q.put("quantization_status", "compressed");
        return q;
    }

    private static Map<String, Object> args(String strategy, boolean dynamic, String observer) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("actorder", null);
        a.put("block_structure", null);
        a.put("dynamic", dynamic);
        a.put("group_size", null);
        a.put("num_bits", 8);
        a.put("observer", observer);
        a.put("observer_kwargs", Map.of());
        a.put("strategy", strategy);
        a.put("symmetric", true);
        a.put("type", "int");
        return a;
    }

    private static Map<String, Object> info(QuantizedModel qm, boolean permuted, Path smoothing, Path stats,
                                            List<String> tokenizers, Result r) {
        QuantConfig qc = qm.config();
        SmoothingPlan plan = qm.plan();
        Model model = qm.model();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", INFO_FORMAT);
        m.put("format_version", INFO_VERSION);
        m.put("engine", engineVersion());
        m.put("created", Instant.now().toString());
        Map<String, Object> src = new LinkedHashMap<>();
        src.put("file", model.file() == null || model.file().getFileName() == null ? null
                : model.file().getFileName().toString());
        src.put("family", model.family().name());
        src.put("rope_layout", model.family().positions() == PositionKind.ROPE_INTERLEAVED ? "interleaved" : "halves");
        src.put("qk_rows_permuted_to_halves", permuted);
        src.put("dtype", model.dtype().name());
        m.put("source", src);
        m.put("level", qc.level().name());
        m.put("weights", qc.weights().strategy());
        m.put("activations", qc.level().staticScale() ? "static-tensor" : qc.level().activations().strategy());
        m.put("alpha", qc.alphaText());
        m.put("sites", qc.sites().name().toLowerCase(Locale.ROOT));
        m.put("execution", qc.execution().name().toLowerCase(Locale.ROOT));
        m.put("kernel", qm.kernelName());
        m.put("alphas", plan.alphasByName());
        m.put("explicit_sites", plan.explicit().stream().map(SiteKey::toString).toList());
        m.put("smoothing_factors", smoothing == null ? null : smoothing.getFileName().toString());
        m.put("activation_stats", stats == null ? null : stats.getFileName().toString());
        m.put("tokenizer_files", tokenizers);
        m.put("quantized_linears", r.quantizedLinears());
        Map<String, Object> bytes = new LinkedHashMap<>();
        bytes.put("model_safetensors", r.modelBytes());
        bytes.put("int8_tensors", r.int8Bytes());
        bytes.put("source_tensors", r.sourceBytes());
        bytes.put("fp32", r.fp32Bytes());
        bytes.put("ratio_to_fp32", r.modelBytes() / (double) r.fp32Bytes());
        m.put("bytes", bytes);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("weight", "I8 [out, in], symmetric codes in [-127, 127]");
        doc.put("weight_scale", "F32 [out, 1] (channel) or [1] (tensor): W ~ weight * weight_scale");
        doc.put("input_scale", "F32 [1], O3 only: static activation scale, x_q = clamp(rint(x / input_scale))");
        doc.put("smooth_scale", "F32 [in], only at smoothed sites without a norm: the input is multiplied by it "
                + "(= 1/s) before quantization; engine extension, not compressed-tensors");
        m.put("tensors", doc);
        return m;
    }

    private static String levelText(QuantConfig qc) {
        return qc.level().name() + " weights=" + qc.weights().strategy();
    }

    /** {@code sq-engine <version>} from the jar manifest, or {@code sq-engine dev} when run from classes. */
    public static String engineVersion() {
        String v = Int8Export.class.getPackage() == null ? null
                : Int8Export.class.getPackage().getImplementationVersion();
        return "sq-engine " + (v == null ? "dev" : v);
    }

    private static void writeJson(Path file, Map<String, Object> value) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".partial");
        try {
            Files.writeString(tmp, JSON.writeValueAsString(value) + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
