package com.seedsq.engine.export;

import com.seedsq.engine.calib.LinearSites;
import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.kernel.int8.Int8Kernels;
import com.seedsq.engine.kernel.int8.Int8Weights;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.QuantizedMatrix;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedLinear;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Loads a W8A8 export ({@link Int8Export}, or any compressed-tensors {@code int-quantized} LLaMA directory with
 * symmetric 8-bit weights and activations) through {@link HfCheckpoint} and the HF LLaMA family into an
 * {@link ImportedModel}. Codes and scales are used exactly as stored: nothing is re-quantized.
 *
 * <p>An export of a llama2.c model stores q/k in HF's halves RoPE layout (as vLLM needs). By default the import
 * permutes those rows back and runs the {@code llama2c} family (interleaved RoPE), because only then does every float
 * operation happen in the same order as in the in-memory model, which makes the logits identical bit for bit; run as
 * the HF family ({@link Options#asStored()}) the attention dot products sum in another order and agree to float
 * rounding only.
 */
public final class Int8Import {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Set<String> HF_LLAMA_TYPES = Set.of("llama", "mistral", "qwen2");

    private Int8Import() {
    }

    /**
     * How to load.
     *
     * @param restoreSourceLayout permute q/k back to the source's RoPE layout when {@code sq_export.json} says it was
     *                            permuted (llama2.c source); false: run the HF family as stored
     * @param execution           INT8 GEMM, or fake quantization (dequantized codes in FP32)
     * @param threads             INT8 GEMM threads
     */
    public record Options(boolean restoreSourceLayout, QuantConfig.Execution execution, int threads) {

        public static Options defaults() {
            return new Options(true, QuantConfig.Execution.INT8, Runtime.getRuntime().availableProcessors());
        }

        /** Runs the directory as the HF LLaMA family it is stored as. */
        public Options asStored() {
            return new Options(false, execution, threads);
        }

        public Options withExecution(QuantConfig.Execution e) {
            return new Options(restoreSourceLayout, e, threads);
        }
    }

    /** {@link #open(Path, Options)} with {@link Options#defaults()}. */
    public static ImportedModel open(Path dir) {
        return open(dir, Options.defaults());
    }

    public static ImportedModel open(Path dir, Options options) {
        HfCheckpoint ckpt = HfCheckpoint.open(dir);
        Arena arena = Arena.ofShared();
        Int8Gemm gemm = null;
        try {
            Map<String, Object> cfg = ckpt.config();
            Object type = cfg.get("model_type");
            if (!HF_LLAMA_TYPES.contains(String.valueOf(type))) {
                throw new ModelFormatException(dir, null, "model_type '" + type + "' is not LLaMA-shaped "
                        + HF_LLAMA_TYPES + "; only LLaMA-family INT8 exports can be loaded");
            }
            Map<String, Object> qcfg = quantizationConfig(dir, cfg);
            Map<String, Object> info = readInfo(dir);

            ModelConfig c = ModelConfig.fromHfConfig(cfg);
            if (!c.tiedEmbeddings() && !ckpt.has(Families.LLAMA.tensorName(TensorRole.LM_HEAD))) {
                c = c.withTiedEmbeddings(true); // keeps the RoPE scaling and sliding window
            }
            boolean restore = options.restoreSourceLayout() && info.get("source") instanceof Map<?, ?> src
                    && "interleaved".equals(src.get("rope_layout"))
                    && Boolean.TRUE.equals(src.get("qk_rows_permuted_to_halves"));
            ModelFamily family = restore ? Families.LLAMA2C : Families.LLAMA;
            Map<String, int[]> unpermute = restore ? qkInverse(family, c) : Map.of();

            // which tensors are INT8 linears, and which are their companions
            Set<String> int8 = new LinkedHashSet<>();
            Set<String> aux = new LinkedHashSet<>();
            for (String n : ckpt.names()) {
                if (n.endsWith(Int8Export.WEIGHT) && ckpt.tensor(n).dtype() == DType.I8) {
                    int8.add(n);
                } else if (isAux(n)) {
                    aux.add(n);
                }
            }
            if (int8.isEmpty()) {
                throw new ModelFormatException(dir, null, "quantization_config is present but no tensor is I8");
            }
            ExportWeights weights = new ExportWeights(ckpt, aux, int8, unpermute, arena);
            LinearSites sites = LinearSites.of(family, c, weights);
            QuantLevel level = level(dir, qcfg, info);
            Map<String, QuantizedLinear> linears = new LinkedHashMap<>();
            Granularity granularity = null;
            for (String name : int8) {
                LinearSites.Site site = sites.siteOf(name);
                if (site == null) {
                    throw new ModelFormatException(dir, name, "INT8 weight of a tensor that is not a block linear "
                            + "of the " + family.name() + " family");
                }
                QuantizedLinear q = linear(dir, ckpt, name, site, level, unpermute.get(name), options.execution());
                Granularity g = q.weights().matrix().granularity();
                if (granularity == null || g == Granularity.CHANNEL) {
                    granularity = g;
                }
                linears.put(name, q);
            }
            Model model = new Model(family, c, weights, dir);
            if (options.execution() == QuantConfig.Execution.INT8) {
                gemm = Int8Kernels.best(options.threads());
            }
            return new ImportedModel(model, ckpt, arena, linears, level, granularity, gemm, info, restore);
        } catch (RuntimeException e) {
            if (gemm != null) {
                gemm.close();
            }
            ckpt.close();
            arena.close();
            throw e;
        }
    }

    // -------------------------------------------------------------------------------------------- the linears

    private static QuantizedLinear linear(Path dir, HfCheckpoint ckpt, String name, LinearSites.Site site,
                                          QuantLevel level, int[] unpermute, QuantConfig.Execution execution) {
        String mod = Int8Export.module(name);
        TensorData w = ckpt.tensor(name);
        if (w.shape().length != 2) {
            throw new ModelFormatException(dir, name, "INT8 weight must be 2-D [out, in]");
        }
        int rows = Math.toIntExact(w.shape()[0]), cols = Math.toIntExact(w.shape()[1]);
        TensorData st = required(dir, ckpt, mod + Int8Export.WEIGHT_SCALE);
        float[] scales = st.toFloatArray();
        Granularity g;
        if (scales.length == 1 && rows != 1) {
            g = Granularity.TENSOR;
        } else if (scales.length == rows) {
            g = rows == 1 && st.shape().length == 1 ? Granularity.TENSOR : Granularity.CHANNEL;
        } else {
            throw new ModelFormatException(dir, st.name(), "has " + scales.length + " scales for " + rows
                    + " output channels (only per-tensor and per-channel scales are supported)");
        }
        checkZeroPoint(dir, ckpt, mod + ".weight_zero_point");
        checkZeroPoint(dir, ckpt, mod + ".input_zero_point");
        MemorySegment codes = w.data();
        if (unpermute != null) {
            codes = MemorySegment.ofArray(RowPermutation.gather(codes.toArray(ValueLayout.JAVA_BYTE), unpermute, cols));
            if (g == Granularity.CHANNEL) {
                scales = RowPermutation.gather(scales, unpermute, 1);
            }
        }
        QuantizedMatrix qm = new QuantizedMatrix(codes, rows, cols, scales, g);
        Int8Weights iw;
        try {
            iw = Int8Weights.of(qm);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(dir, name, e.getMessage(), e);
        }
        float staticScale = Float.NaN;
        if (level.staticScale()) {
            float[] in = required(dir, ckpt, mod + Int8Export.INPUT_SCALE).toFloatArray();
            if (in.length != 1) {
                throw new ModelFormatException(dir, mod + Int8Export.INPUT_SCALE, "static activation scale must be "
                        + "one value (per-tensor), got " + in.length);
            }
            staticScale = in[0];
        }
        float[] inputScale = null;
        if (ckpt.has(mod + Int8Export.SMOOTH_SCALE)) {
            inputScale = ckpt.tensor(mod + Int8Export.SMOOTH_SCALE).toFloatArray();
            if (inputScale.length != cols) {
                throw new ModelFormatException(dir, mod + Int8Export.SMOOTH_SCALE, "has " + inputScale.length
                        + " values for " + cols + " input channels");
            }
        }
        Matrix deq = execution == QuantConfig.Execution.FAKE
                ? Matrix.ofFloats(name, rows, cols, qm.dequantize()) : null;
        return new QuantizedLinear(name, site.key(), iw, inputScale, staticScale, deq);
    }

    private static TensorData required(Path dir, HfCheckpoint ckpt, String name) {
        if (!ckpt.has(name)) {
            throw new ModelFormatException(dir, name, "missing: an INT8 linear needs it");
        }
        return ckpt.tensor(name);
    }

    private static void checkZeroPoint(Path dir, HfCheckpoint ckpt, String name) {
        if (ckpt.has(name)) {
            for (float z : ckpt.tensor(name).toFloatArray()) {
                if (z != 0) {
                    throw new ModelFormatException(dir, name, "non-zero zero point: asymmetric INT8 is not supported");
                }
            }
        }
    }

    private static boolean isAux(String n) {
        return n.endsWith(Int8Export.WEIGHT_SCALE) || n.endsWith(Int8Export.INPUT_SCALE)
                || n.endsWith(Int8Export.SMOOTH_SCALE) || n.endsWith("_zero_point");
    }

    private static Map<String, int[]> qkInverse(ModelFamily family, ModelConfig c) {
        Map<String, int[]> m = new HashMap<>();
        int[] q = RowPermutation.inverse(RowPermutation.interleavedToHalves(c.heads(), c.headDim()));
        int[] k = RowPermutation.inverse(RowPermutation.interleavedToHalves(c.kvHeads(), c.headDim()));
        for (int l = 0; l < c.layers(); l++) {
            m.put(family.tensorName(TensorRole.Q, l), q);
            m.put(family.tensorName(TensorRole.Q_BIAS, l), q);
            m.put(family.tensorName(TensorRole.K, l), k);
            m.put(family.tensorName(TensorRole.K_BIAS, l), k);
        }
        return m;
    }

    // ----------------------------------------------------------------------------------------------- configs

    @SuppressWarnings("unchecked")
    private static Map<String, Object> quantizationConfig(Path dir, Map<String, Object> cfg) {
        if (!(cfg.get("quantization_config") instanceof Map<?, ?> q)) {
            throw new ModelFormatException(dir.resolve(HfCheckpoint.CONFIG), null,
                    "no quantization_config: not a quantized export");
        }
        if (!"compressed-tensors".equals(q.get("quant_method"))) {
            throw new ModelFormatException(dir.resolve(HfCheckpoint.CONFIG), null, "quant_method '"
                    + q.get("quant_method") + "' is not compressed-tensors");
        }
        if (!"int-quantized".equals(q.get("format"))) {
            throw new ModelFormatException(dir.resolve(HfCheckpoint.CONFIG), null, "format '" + q.get("format")
                    + "' is not int-quantized");
        }
        return (Map<String, Object>) q;
    }

    private static Map<String, Object> readInfo(Path dir) {
        Path f = dir.resolve(Int8Export.INFO_FILE);
        if (!Files.exists(f)) {
            return Map.of();
        }
        Map<String, Object> info = HfCheckpoint.readJsonObject(f);
        if (!Int8Export.INFO_FORMAT.equals(info.get("format"))) {
            throw new ModelFormatException(f, null, "format is '" + info.get("format") + "', expected "
                    + Int8Export.INFO_FORMAT);
        }
        return info;
    }

    /** The level from sq_export.json, else from group_0's input_activations. */
    private static QuantLevel level(Path dir, Map<String, Object> qcfg, Map<String, Object> info) {
        if (info.get("level") instanceof String s) {
            return QuantLevel.parse(s);
        }
        Path cfgFile = dir.resolve(HfCheckpoint.CONFIG);
        if (!(qcfg.get("config_groups") instanceof Map<?, ?> groups) || groups.size() != 1
                || !(groups.values().iterator().next() instanceof Map<?, ?> group)) {
            throw new ModelFormatException(cfgFile, null, "expected exactly one config group");
        }
        if (!(group.get("weights") instanceof Map<?, ?> w) || !isInt8Symmetric(w)) {
            throw new ModelFormatException(cfgFile, null, "weights are not symmetric 8-bit int");
        }
        if (!(group.get("input_activations") instanceof Map<?, ?> a) || !isInt8Symmetric(a)) {
            throw new ModelFormatException(cfgFile, null, "input activations are not symmetric 8-bit int "
                    + "(weight-only exports are not W8A8)");
        }
        boolean dynamic = Boolean.TRUE.equals(a.get("dynamic"));
        String strategy = String.valueOf(a.get("strategy"));
        if (!dynamic && strategy.equals("tensor")) {
            return QuantLevel.O3;
        }
        if (dynamic && strategy.equals("token")) {
            return QuantLevel.O1;
        }
        if (dynamic && strategy.equals("tensor")) {
            return QuantLevel.O2;
        }
        throw new ModelFormatException(cfgFile, null, "input activations strategy '" + strategy + "' dynamic="
                + dynamic + " is not supported (token dynamic, tensor dynamic, tensor static)");
    }

    private static boolean isInt8Symmetric(Map<?, ?> args) {
        return args.get("num_bits") instanceof Number n && n.intValue() == 8 && "int".equals(args.get("type"))
                && Boolean.TRUE.equals(args.get("symmetric"));
    }

    // ------------------------------------------------------------------------------------------ weight source

    /**
     * The checkpoint as the forward pass sees it: the quantization companions hidden, INT8 weights replaced by zero
     * F16 placeholders of their shape (see {@link ImportedModel}), q/k biases unpermuted when restoring the layout.
     */
    private static final class ExportWeights implements WeightSource {

        private final HfCheckpoint base;
        private final Set<String> names;
        private final Map<String, TensorData> overrides = new HashMap<>();

        ExportWeights(HfCheckpoint base, Set<String> aux, Set<String> int8, Map<String, int[]> unpermute, Arena arena) {
            this.base = base;
            Set<String> n = new LinkedHashSet<>(base.names());
            n.removeAll(aux);
            this.names = Collections.unmodifiableSet(n);
            long max = 0;
            for (String name : int8) {
                max = Math.max(max, base.tensor(name).elementCount() * DType.F16.bytes());
            }
            MemorySegment zeros = arena.allocate(Math.max(max, 1), 8);
            for (String name : int8) {
                TensorData t = base.tensor(name);
                overrides.put(name, new TensorData(name, DType.F16, t.shape().clone(),
                        zeros.asSlice(0, t.elementCount() * DType.F16.bytes())));
            }
            for (var e : unpermute.entrySet()) {
                String name = e.getKey();
                if (name != null && !int8.contains(name) && base.has(name)) {
                    TensorData t = base.tensor(name);
                    float[] v = RowPermutation.gather(t.toFloatArray(), e.getValue(),
                            (int) (t.elementCount() / e.getValue().length));
                    MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 4]);
                    MemorySegment.copy(v, 0, seg, F32_LE, 0, v.length);
                    overrides.put(name, new TensorData(name, DType.F32, t.shape().clone(), seg));
                }
            }
        }

        @Override
        public Set<String> names() {
            return names;
        }

        @Override
        public TensorData tensor(String name) {
            TensorData t = overrides.get(name);
            if (t != null) {
                return t;
            }
            if (!names.contains(name)) {
                throw new ModelFormatException(base.directory(), name, "no such tensor in this export");
            }
            return base.tensor(name);
        }

        @Override
        public Map<String, Object> metadata() {
            return base.metadata();
        }

        /** Nothing: the {@link ImportedModel} owns the checkpoint and closes it. */
        @Override
        public void close() {
        }
    }
}
