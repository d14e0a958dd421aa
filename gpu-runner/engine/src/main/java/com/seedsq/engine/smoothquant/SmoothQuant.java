package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.LinearSites;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.calib.StatsCache;
import com.seedsq.engine.eval.Perplexity;
import com.seedsq.engine.eval.PerplexityResult;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.kernel.int8.Int8Kernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The SmoothQuant pipeline as a library: calibrate → smooth → quantize → evaluate, each step returning plain
 * records and reporting progress as (fraction done, message). This is what the CLI and the Spring Batch steps call.
 *
 * <pre>{@code
 * try (Model model = Model.open(path)) {
 *     Tokenizer tok = SentencePieceTokenizer.load(tokPath);
 *     SmoothQuantReport r = SmoothQuant.report(model, tok, text, text, ReportSpec.defaults(0.5), cacheDir,
 *             ProgressListener.stderr());
 * }
 * }</pre>
 *
 * <p>Design: the forward pass is untouched. Every linear runs through {@link Kernels#matmul} with its weight's tensor
 * name, so calibration is a recording kernel decorator, smoothing a {@link WeightSource} overlay and W8A8 execution an
 * INT8 kernel decorator ({@link Int8LinearKernels}). Methods without a {@link Kernels} argument use
 * {@link VectorKernels} on every core.
 */
public final class SmoothQuant {

    private SmoothQuant() {
    }

    /**
     * What one report run computes.
     *
     * @param eval          the evaluation windows (head of the evaluation text)
     * @param calibration   the calibration windows (tail of the calibration text)
     * @param alpha         migration strength for O1–O3
     * @param weights       weight granularity for O1–O3
     * @param sites         which sites to smooth
     * @param variants      variants to evaluate, in order
     * @param probeSequences calibration windows to run for the per-linear error table (0: none)
     * @param execution     INT8 GEMM or fake quantization
     */
    public record ReportSpec(EvalSpec eval, CalibrationSpec calibration, double alpha, Granularity weights,
                             SiteSelection sites, List<Variant> variants, int probeSequences,
                             QuantConfig.Execution execution) {

        public ReportSpec {
            variants = List.copyOf(variants);
        }

        /** The reference protocol (stories260K on WikiText-2): all variants, per-tensor weights. */
        public static ReportSpec defaults(double alpha) {
            return new ReportSpec(EvalSpec.reference(), CalibrationSpec.reference(), alpha, Granularity.TENSOR,
                    SiteSelection.FOLDABLE, List.of(Variant.values()), 4, QuantConfig.Execution.INT8);
        }

        public ReportSpec withVariants(List<Variant> v) {
            return new ReportSpec(eval, calibration, alpha, weights, sites, v, probeSequences, execution);
        }

        public ReportSpec withWeights(Granularity g) {
            return new ReportSpec(eval, calibration, alpha, g, sites, variants, probeSequences, execution);
        }

        public ReportSpec withExecution(QuantConfig.Execution e) {
            return new ReportSpec(eval, calibration, alpha, weights, sites, variants, probeSequences, e);
        }

        QuantConfig config(QuantLevel level) {
            return new QuantConfig(level, alpha, weights, sites, execution);
        }
    }

    // ---------------------------------------------------------------------------------------------- calibration

    /** Encodes {@code text} (with BOS) and calibrates on the tail windows of {@code spec}; no cache. */
    public static ActivationStats calibrate(Model model, Tokenizer tokenizer, String text, CalibrationSpec spec,
                                            ProgressListener progress) {
        return calibrate(model, tokenizer.encode(text, true), tokenizer.bos(), spec, null, progress);
    }

    /**
     * Calibrates on the tail windows of an encoded text, reusing (and filling) {@code cache} when given: the key is
     * the hash of the model file, the windows and seqLen ({@link StatsCache#key}).
     *
     * @param cache null for no caching
     */
    public static ActivationStats calibrate(Model model, int[] idsWithBos, int bos, CalibrationSpec spec,
                                            StatsCache cache, ProgressListener progress) {
        int[][] windows = spec.windows(idsWithBos, bos);
        String key = "";
        if (cache != null) {
            progress.progress(0, "hashing model and calibration data");
            key = StatsCache.key(StatsCache.hashModel(model.file()), windows, spec.seqLen());
            var hit = cache.find(key);
            if (hit.isPresent()) {
                progress.progress(1, "reusing calibration statistics " + cache.file(key));
                return hit.get();
            }
        }
        ActivationStats stats;
        try (VectorKernels k = new VectorKernels()) {
            stats = Calibrator.run(model, model.weights(), k, windows, key, progress);
        }
        if (cache != null) {
            Path f = cache.put(stats);
            progress.progress(1, "saved calibration statistics to " + f);
        }
        return stats;
    }

    // ------------------------------------------------------------------------------------------------ smoothing

    /** The smoothing factors for {@code alpha} over the selected sites. */
    public static SmoothingPlan smooth(Model model, ActivationStats stats, double alpha, SiteSelection sites) {
        LinearSites ls = LinearSites.of(model.family(), model.config(), model.weights());
        return SmoothingPlan.compute(ls, model.weights(), stats, alpha, sites);
    }

    /** The smoothed FP model's weights (an overlay over {@code model.weights()}). */
    public static SmoothedWeights smoothedWeights(Model model, SmoothingPlan plan) {
        return new SmoothedWeights(model.weights(), model.family(),
                LinearSites.of(model.family(), model.config(), model.weights()), plan);
    }

    /**
     * The smoothed model in FP32: equal to the original up to float rounding. Sites without a norm get their 1/s
     * through {@link InputScaleKernels}.
     */
    public static Transformer smoothedTransformer(Model model, SmoothingPlan plan, Kernels fp) {
        SmoothedWeights w = smoothedWeights(model, plan);
        Kernels k = fp;
        if (!plan.explicit().isEmpty()) {
            LinearSites ls = LinearSites.of(model.family(), model.config(), model.weights());
            Map<String, float[]> inv = new java.util.HashMap<>();
            for (SiteKey s : plan.explicit()) {
                float[] v = com.seedsq.engine.quant.SmoothingFold.inputScale(plan.factors(s));
                for (String n : ls.site(s).linears()) {
                    inv.put(n, v);
                }
            }
            k = new InputScaleKernels(fp, inv);
        }
        return Transformer.load(model.family(), model.config(), w, k, model.file());
    }

    // --------------------------------------------------------------------------------------------- quantization

    /** Smooths and quantizes; INT8 execution uses the best GEMM here ({@link Int8Kernels#best}). Close the result. */
    public static QuantizedModel quantize(Model model, ActivationStats stats, QuantConfig config,
                                          ProgressListener progress) {
        Int8Gemm gemm = config.execution() == QuantConfig.Execution.INT8
                ? Int8Kernels.best(Runtime.getRuntime().availableProcessors()) : null;
        try {
            return QuantizedModel.prepare(model, stats, config, gemm, progress);
        } catch (RuntimeException e) {
            if (gemm != null) {
                gemm.close();
            }
            throw e;
        }
    }

    // ----------------------------------------------------------------------------------------------- evaluation

    /** Perplexity of one variant on the head of {@code idsWithBos}. {@code config} is ignored for FP variants. */
    public static VariantResult evaluate(Model model, int[] idsWithBos, int bos, EvalSpec eval, Variant variant,
                                         QuantConfig config, ActivationStats stats, ProgressListener progress) {
        try (VectorKernels fp = new VectorKernels()) {
            return evaluate(model, idsWithBos, bos, eval, variant, config, stats, fp, progress);
        }
    }

    static VariantResult evaluate(Model model, int[] idsWithBos, int bos, EvalSpec eval, Variant variant,
                                  QuantConfig config, ActivationStats stats, Kernels fp, ProgressListener progress) {
        long t0 = System.nanoTime();
        Perplexity.Progress pp = (done, total) -> progress.progress(done / (double) total,
                variant.id() + ": window " + done + "/" + total);
        if (!variant.quantized()) {
            WeightSource w = variant == Variant.FP16 ? new Fp16Weights(model.weights()) : model.weights();
            Transformer t = Transformer.load(model.family(), model.config(), w, fp, model.file());
            PerplexityResult r = new Perplexity(t, bos).withProgress(pp).evaluate(idsWithBos, eval.seqLen(),
                    eval.maxTokens());
            return new VariantResult(variant.id(), null, null, null, r.perplexity(), r.nll(), r.count(), r.windows(),
                    seconds(t0), variant == Variant.FP16 ? "fp16-weights" : "fp32");
        }
        QuantConfig c = config.withLevel(variant.level());
        try (QuantizedModel qm = quantize(model, stats, c, ProgressListener.NONE)) {
            PerplexityResult r = new Perplexity(qm.transformer(fp), bos).withProgress(pp).evaluate(idsWithBos,
                    eval.seqLen(), eval.maxTokens());
            QuantLevel l = c.level();
            return new VariantResult(variant.id(), qm.plan().factors().isEmpty() ? null : c.alpha(),
                    c.weights().strategy(), l.staticScale() ? "static" : l.activations().strategy(), r.perplexity(),
                    r.nll(), r.count(), r.windows(), seconds(t0), qm.kernelName());
        }
    }

    /** Per-linear relative output MSE of a quantized model over {@code windows} (run as in calibration). */
    public static List<LinearError> linearErrors(QuantizedModel qm, int[][] windows, Kernels fp) {
        Int8LinearKernels k = qm.kernels(fp, true);
        Transformer t = qm.transformer(k);
        int len = 0;
        for (int[] w : windows) {
            len = Math.max(len, w.length);
        }
        KvCache cache = t.newCache(len);
        for (int[] w : windows) {
            cache.clear();
            t.forward(cache, w, false);
        }
        List<LinearError> out = new ArrayList<>();
        k.relativeErrors().forEach((name, e) -> out.add(new LinearError(name,
                qm.linears().get(name).site().toString(), e)));
        return out;
    }

    /** The outlier atlas: every site, before and after smoothing with {@code plan}. */
    public static List<SiteAtlas> atlas(ActivationStats stats, SmoothingPlan plan, int top) {
        List<SiteAtlas> a = new ArrayList<>();
        stats.absMax().forEach((k, v) -> a.add(SiteAtlas.of(k, v, plan.factors(k), top)));
        return a;
    }

    // ------------------------------------------------------------------------------------------------ the report

    /**
     * The whole accuracy study: calibrate on the tail of {@code calibText} (cached in {@code cacheDir} if not null),
     * evaluate every variant of {@code spec} on the head of {@code evalText}, plus the outlier atlas and per-linear
     * errors. When both texts are the same string the calibration tail and the evaluation head must not overlap.
     */
    public static SmoothQuantReport report(Model model, Tokenizer tokenizer, String evalText, String calibText,
                                           ReportSpec spec, Path cacheDir, ProgressListener progress) {
        progress.progress(0, "encoding text");
        int[] evalIds = tokenizer.encode(evalText, true);
        int[] calibIds = calibText.equals(evalText) ? evalIds : tokenizer.encode(calibText, true);
        return report(model, evalIds, calibIds, tokenizer.bos(), spec, cacheDir, progress);
    }

    public static SmoothQuantReport report(Model model, int[] evalIds, int[] calibIds, int bos, ReportSpec spec,
                                           Path cacheDir, ProgressListener progress) {
        if (evalIds == calibIds) {
            long evalEnd = spec.eval().maxTokens() > 0 ? Math.min(spec.eval().maxTokens(), evalIds.length - 1L)
                    : evalIds.length - 1L;
            long calibStart = spec.calibration().firstStreamToken(calibIds);
            if (evalEnd > calibStart) {
                throw new IllegalArgumentException("evaluation (first " + evalEnd + " tokens) and calibration (last "
                        + spec.calibration().tokens() + ") overlap in a stream of " + (evalIds.length - 1)
                        + " tokens; use fewer tokens or separate texts");
            }
        }
        int n = spec.variants().size();
        double calibShare = 0.2;
        ActivationStats stats = calibrate(model, calibIds, bos, spec.calibration(),
                cacheDir == null ? null : new StatsCache(cacheDir), progress.range(0, calibShare));
        List<VariantResult> rows = new ArrayList<>();
        List<LinearError> errors = List.of();
        String errorLevel = null;
        long int8Bytes = 0;
        String kernel = null;
        try (VectorKernels fp = new VectorKernels()) {
            for (int i = 0; i < n; i++) {
                Variant v = spec.variants().get(i);
                ProgressListener p = progress.range(calibShare + (1 - calibShare) * i / n,
                        calibShare + (1 - calibShare) * (i + 1) / n);
                VariantResult r = evaluate(model, evalIds, bos, spec.eval(), v,
                        spec.config(v.quantized() ? v.level() : QuantLevel.O1), stats, fp, p);
                rows.add(r);
                progress.progress(calibShare + (1 - calibShare) * (i + 1) / n,
                        String.format("%s: perplexity %.4f", v.id(), r.perplexity()));
                if (v.quantized()) {
                    kernel = r.kernel();
                }
            }
            QuantLevel probeLevel = spec.variants().stream().filter(Variant::quantized)
                    .filter(v -> v != Variant.NAIVE).map(Variant::level).findFirst().orElse(null);
            if (probeLevel != null) {
                try (QuantizedModel qm = quantize(model, stats, spec.config(probeLevel), ProgressListener.NONE)) {
                    int[][] w = spec.calibration().windows(calibIds, bos);
                    if (spec.probeSequences() > 0) {
                        errors = linearErrors(qm, java.util.Arrays.copyOf(w, Math.min(w.length,
                                spec.probeSequences())), fp);
                        errorLevel = probeLevel.name();
                    }
                    int8Bytes = qm.int8Bytes();
                }
            }
        }
        SmoothingPlan plan = spec.sites() == SiteSelection.NONE ? SmoothingPlan.none()
                : smooth(model, stats, spec.alpha(), spec.sites());
        long fpBytes = 0;
        for (String t : model.weights().names()) {
            fpBytes += model.weights().tensor(t).data().byteSize();
        }
        long evalTokens = rows.isEmpty() ? 0 : rows.getFirst().tokens();
        String protocol = String.format("perplexity: text encoded once with BOS; windows of [BOS]+%d over the first "
                        + "%d stream tokens (%d scored); calibration: last %d x %d stream tokens as %d windows of "
                        + "[BOS]+%d", spec.eval().seqLen() - 1, spec.eval().maxTokens(), evalTokens,
                spec.calibration().sequences(), spec.calibration().seqLen() - 1, spec.calibration().sequences(),
                spec.calibration().seqLen() - 1);
        progress.progress(1, "report done");
        return new SmoothQuantReport(model.file().getFileName().toString(), model.family().name(), protocol,
                spec.eval().seqLen(), evalTokens, stats.sequences(), stats.seqLen(), stats.tokens(), stats.key(),
                spec.alpha(), spec.weights().strategy(), spec.sites().name().toLowerCase(java.util.Locale.ROOT), rows,
                atlas(stats, plan, 5), errors, errorLevel, fpBytes, int8Bytes, kernel);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
