package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.LinearSites;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.kernel.int8.Int8Weights;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.quant.Int8Quantizer;
import com.seedsq.engine.quant.QuantizedMatrix;
import com.seedsq.engine.quant.SmoothingFold;
import com.seedsq.engine.tensor.TensorData;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model prepared for W8A8: the (smoothed) weight source, the smoothing plan and every block linear quantized to
 * INT8. {@link #transformer(Kernels)} runs it with the unchanged forward pass over {@link Int8LinearKernels}.
 * Closing it closes the INT8 GEMM it owns, not the base model.
 */
public final class QuantizedModel implements AutoCloseable {

    private final Model model;
    private final QuantConfig config;
    private final SmoothingPlan plan;
    private final WeightSource weights;
    private final Map<String, QuantizedLinear> linears;
    private final Int8Gemm gemm;

    private QuantizedModel(Model model, QuantConfig config, SmoothingPlan plan, WeightSource weights,
                           Map<String, QuantizedLinear> linears, Int8Gemm gemm) {
        this.model = model;
        this.config = config;
        this.plan = plan;
        this.weights = weights;
        this.linears = Collections.unmodifiableMap(linears);
        this.gemm = gemm;
    }

    /**
     * Smooths (per {@code config}), then quantizes every block linear.
     *
     * @param stats calibration statistics (needed for smoothing and for O3; may be null for NAIVE/O1/O2 without
     *              smoothing)
     * @param gemm  the INT8 GEMM to execute with (owned by the result), or null for {@link QuantConfig.Execution#FAKE}
     */
    public static QuantizedModel prepare(Model model, ActivationStats stats, QuantConfig config, Int8Gemm gemm,
                                         ProgressListener progress) {
        if (config.autoAlpha()) {
            throw new IllegalArgumentException("alpha=auto needs a searched plan: use SmoothQuant.quantize or "
                    + "prepare(model, stats, config, AlphaSearch.search(...), gemm, progress)");
        }
        LinearSites sites = LinearSites.of(model.family(), model.config(), model.weights());
        SmoothingPlan plan = config.sites() == SiteSelection.NONE ? SmoothingPlan.none()
                : SmoothingPlan.compute(sites, model.weights(), require(stats, "smoothing"), config.alpha(),
                config.sites());
        return prepare(model, stats, config, plan, gemm, progress);
    }

    /** Quantizes with a given smoothing plan (e.g. from {@link AlphaSearch}). */
    public static QuantizedModel prepare(Model model, ActivationStats stats, QuantConfig config, SmoothingPlan plan,
                                         Int8Gemm gemm, ProgressListener progress) {
        if (config.execution() == QuantConfig.Execution.INT8 && gemm == null) {
            throw new IllegalArgumentException("INT8 execution needs an Int8Gemm");
        }
        LinearSites sites = LinearSites.of(model.family(), model.config(), model.weights());
        WeightSource w = plan.factors().isEmpty() ? model.weights()
                : new SmoothedWeights(model.weights(), model.family(), sites, plan);
        if (config.level().staticScale()) {
            require(stats, "static (O3) activation scales");
        }
        Map<String, QuantizedLinear> q = new LinkedHashMap<>();
        List<String> names = sites.linears();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            SiteKey site = sites.siteOf(name).key();
            float[] s = plan.factors(site);
            float[] inputScale = s != null && plan.explicit().contains(site) ? SmoothingFold.inputScale(s) : null;
            float staticScale = config.level().staticScale()
                    ? Int8Quantizer.staticScale(stats.channelAbsMax(site), s) : Float.NaN;
            TensorData t = w.tensor(name);
            Matrix m = Matrix.of(t);
            QuantizedMatrix qm = Int8Quantizer.weights(m.toFloatArray(), m.rows(), m.cols(), config.weights());
            Matrix deq = config.execution() == QuantConfig.Execution.FAKE
                    ? Matrix.ofFloats(name, m.rows(), m.cols(), qm.dequantize()) : null;
            q.put(name, new QuantizedLinear(name, site, Int8Weights.of(qm), inputScale, staticScale, deq));
            progress.progress((i + 1) / (double) names.size(), "quantized " + name);
        }
        if (config.int8Head()) {
            String name = headName(model);
            Matrix m = Matrix.of(w.tensor(name));
            QuantizedMatrix qm = Int8Quantizer.weights(m.toFloatArray(), m.rows(), m.cols(), config.weights());
            Matrix deq = config.execution() == QuantConfig.Execution.FAKE
                    ? Matrix.ofFloats(name, m.rows(), m.cols(), qm.dequantize()) : null;
            // no calibration site reads the head's input: dynamic per-token scales (NaN static scale), no smoothing
            q.put(name, new QuantizedLinear(name, HEAD_SITE.apply(model), Int8Weights.of(qm), null, Float.NaN, deq));
        }
        return new QuantizedModel(model, config, plan, w,
                q, config.execution() == QuantConfig.Execution.INT8 ? gemm : null);
    }

    /**
     * The tensor the forward pass hands to the head's matmul: the classifier, or the token embedding matrix where
     * the two are tied (the embedding lookups read the FP tensor either way, not through a matmul).
     */
    static String headName(Model model) {
        return model.config().tiedEmbeddings() ? model.family().tensorName(TensorRole.EMBED)
                : model.family().tensorName(TensorRole.LM_HEAD);
    }

    /** The head's input, named as a site one past the last block (it has no calibration statistics). */
    static final java.util.function.Function<Model, SiteKey> HEAD_SITE =
            m -> new SiteKey(m.config().layers(), "head_in");

    private static ActivationStats require(ActivationStats stats, String what) {
        if (stats == null) {
            throw new IllegalArgumentException(what + " needs calibration statistics");
        }
        return stats;
    }

    /**
     * The forward pass over this model's weights, with INT8 linears on top of {@code fp} kernels. Its quantized linears
     * are bound to the base model's tensors (memory-mapped, no copy): the INT8 kernels read only their names and
     * shapes, so no FP copy of a smoothed linear is made or kept for it.
     */
    public Transformer transformer(Kernels fp) {
        return Transformer.load(model.family(), model.config(), new ExecutionWeights(), kernels(fp, false),
                model.file());
    }

    /** The smoothed weights, except that a quantized linear resolves to the base tensor of the same name and shape. */
    private final class ExecutionWeights implements WeightSource {
        @Override
        public java.util.Set<String> names() {
            return weights.names();
        }

        @Override
        public TensorData tensor(String name) {
            return linears.containsKey(name) ? model.weights().tensor(name) : weights.tensor(name);
        }

        @Override
        public Map<String, Object> metadata() {
            return weights.metadata();
        }

        @Override
        public void close() {
        }
    }

    /** The decorator itself, e.g. with {@code probeErrors} to measure per-linear quantization error. */
    public Int8LinearKernels kernels(Kernels fp, boolean probeErrors) {
        return new Int8LinearKernels(fp, linears, config.level(), gemm, probeErrors);
    }

    /**
     * The forward pass over the smoothed weights with {@code kernels}: with {@code probeErrors} these compute each
     * linear's FP output from the smoothed FP weight too, so this transformer holds those (F32) while it lives.
     */
    public Transformer transformer(Int8LinearKernels kernels) {
        return Transformer.load(model.family(), model.config(), weights, kernels, model.file());
    }

    public Model model() {
        return model;
    }

    public QuantConfig config() {
        return config;
    }

    public SmoothingPlan plan() {
        return plan;
    }

    /** The weights the forward pass reads: the smoothed overlay, or the model's own when nothing is smoothed. */
    public WeightSource weights() {
        return weights;
    }

    public Map<String, QuantizedLinear> linears() {
        return linears;
    }

    /** The GEMM's name ({@code native-avx512-vnni}, {@code java-vector}, ...) or {@code fake-quant}. */
    public String kernelName() {
        return gemm == null ? "fake-quant" : gemm.name();
    }

    /**
     * Bytes this model's INT8 forward pass holds for its weights now: {@link #int8Bytes()} (INT8 codes and scales,
     * the other tensors as loaded), plus the kernel's repacked copies of the codes (made on a weight's first product)
     * and, for fake quantization, the dequantized F32 copies. Counted from the buffers themselves.
     */
    public long residentBytes() {
        long n = int8Bytes() + (gemm == null ? 0 : gemm.packedBytes());
        for (QuantizedLinear q : linears.values()) {
            if (q.dequantized() != null) {
                n += q.dequantized().data().byteSize();
            }
        }
        return n;
    }

    /** Bytes of the model as stored: INT8 codes plus scales for the quantized linears, the rest as loaded. */
    public long int8Bytes() {
        long n = 0;
        for (String t : model.weights().names()) {
            QuantizedLinear q = linears.get(t);
            n += q == null ? model.weights().tensor(t).data().byteSize()
                    : (long) q.rows() * q.cols() + 4L * q.weights().matrix().scales().length;
        }
        return n;
    }

    @Override
    public void close() {
        if (gemm != null) {
            gemm.close();
        }
        if (weights != model.weights()) {
            weights.close();
        }
    }
}
