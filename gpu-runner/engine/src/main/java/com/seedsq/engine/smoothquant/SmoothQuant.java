package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.LinearSites;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.calib.StatsCache;
import com.seedsq.engine.dataset.MlmSequence;
import com.seedsq.engine.eval.MaskedLm;
import com.seedsq.engine.eval.MlmResult;
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
     * @param alpha         migration strength for O1–O3, or {@link QuantConfig#AUTO}
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

        public ReportSpec withAlpha(double a) {
            return new ReportSpec(eval, calibration, a, weights, sites, variants, probeSequences, execution);
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

    /** Encodes {@code text} (with BOS) and calibrates, reusing statistics saved in {@code cacheDir} when present. */
    public static ActivationStats calibrate(Model model, Tokenizer tokenizer, String text, CalibrationSpec spec,
                                            Path cacheDir, ProgressListener progress) {
        return calibrate(model, tokenizer.encode(text, true), tokenizer.bos(), spec,
                cacheDir == null ? null : new StatsCache(cacheDir), progress);
    }

    /**
     * Calibrates on the tail windows of an encoded text, reusing (and filling) {@code cache} when given: the key is
     * the hash of the model file, the windows and seqLen ({@link StatsCache#key}).
     *
     * @param cache null for no caching
     */
    public static ActivationStats calibrate(Model model, int[] idsWithBos, int bos, CalibrationSpec spec,
                                            StatsCache cache, ProgressListener progress) {
        return calibrate(model, spec.windows(idsWithBos, bos), cache, progress);
    }

    /**
     * Calibrates on explicit sequences (e.g. BERT's last framed {@code [CLS] block [SEP]} blocks,
     * {@code MlmSequences.calibration}), reusing (and filling) {@code cache} when given.
     */
    public static ActivationStats calibrate(Model model, int[][] windows, StatsCache cache,
                                            ProgressListener progress) {
        int seqLen = 0;
        for (int[] w : windows) {
            seqLen = Math.max(seqLen, w.length);
        }
        String key = "";
        if (cache != null) {
            progress.progress(0, "hashing model and calibration data");
            key = StatsCache.key(StatsCache.hashModel(model.file()), windows, seqLen);
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

    /** Rows per site that α = auto compares on, by default (4 windows of 256). */
    public static final int AUTO_SAMPLE_ROWS = 1024;

    /**
     * Rows per site for α = auto on this model: {@link #AUTO_SAMPLE_ROWS}, but 256 (two 128-token sequences) for
     * encoders, whose search is the per-site local error over every linear's full output: on BERT-base that is
     * ~4 TFLOP per level with 1024 rows, too slow here, and BERT's outlier channels show in every token.
     */
    public static int autoSampleRows(Model model) {
        return model.family().causal() ? AUTO_SAMPLE_ROWS : 256;
    }

    /**
     * Keeps calibration activations for α = auto: runs (the first) {@code windows} through the FP model, keeping up
     * to {@code maxRowsPerSite} input rows per site.
     */
    public static AlphaSearch.Sample sampleActivations(Model model, int[][] windows, int maxRowsPerSite) {
        int need = 0, n = 0;
        while (n < windows.length && need < maxRowsPerSite) {
            need += windows[n++].length;
        }
        try (VectorKernels fp = new VectorKernels()) {
            return AlphaSearch.sample(model, fp, java.util.Arrays.copyOf(windows, n), maxRowsPerSite,
                    java.util.Arrays.copyOf(windows, Math.min(windows.length, AUTO_LOSS_WINDOWS)));
        }
    }

    /** Calibration windows on which α = auto's loss objective runs the quantized model. */
    public static final int AUTO_LOSS_WINDOWS = 8;

    /**
     * The smoothing plan for {@code config}: fixed α from the statistics, or α = auto searched on {@code sample}
     * ({@link AlphaSearch}: by default the calibration loss over the grid 0, 0.1, …, 1 and "off", first uniform then
     * layer by layer; LOCAL_MSE, or any non-decoder, per site over 0, 0.05, …, 1); {@code choices} (may be null)
     * receives the search's table.
     */
    public static SmoothingPlan plan(Model model, ActivationStats stats, AlphaSearch.Sample sample, QuantConfig config,
                                     List<AlphaSearch.Choice> choices, ProgressListener progress) {
        if (config.sites() == SiteSelection.NONE) {
            return SmoothingPlan.none();
        }
        if (!config.autoAlpha()) {
            return smooth(model, stats, config.alpha(), config.sites());
        }
        if (sample == null) {
            throw new IllegalArgumentException("alpha=auto needs an activation sample (sampleActivations)");
        }
        try (VectorKernels fp = new VectorKernels()) {
            if (config.autoObjective() == AlphaSearch.Objective.CALIBRATION_LOSS && model.family().causal()) {
                double[] grid = new double[11];
                for (int i = 0; i <= 10; i++) {
                    grid[i] = i / 10.0;
                }
                try (Int8Gemm gemm = config.execution() == QuantConfig.Execution.INT8
                        ? Int8Kernels.best(Runtime.getRuntime().availableProcessors()) : null) {
                    return AlphaSearch.searchByLoss(model, stats, sample, config, grid, fp, gemm, choices, progress);
                }
            }
            return AlphaSearch.search(model, stats, sample, config, AlphaSearch.defaultGrid(), fp, choices, progress);
        }
    }

    /**
     * Smooths and quantizes; INT8 execution uses the best GEMM here ({@link Int8Kernels#best}). Close the result.
     *
     * @param sample activations for α = auto, else null
     */
    public static QuantizedModel quantize(Model model, ActivationStats stats, AlphaSearch.Sample sample,
                                          QuantConfig config, ProgressListener progress) {
        SmoothingPlan plan = plan(model, stats, sample, config, null, progress.range(0, 0.5));
        return quantize(model, stats, plan, config, progress.range(0.5, 1));
    }

    /** Fixed α (no sample needed). */
    public static QuantizedModel quantize(Model model, ActivationStats stats, QuantConfig config,
                                          ProgressListener progress) {
        return quantize(model, stats, (AlphaSearch.Sample) null, config, progress);
    }

    /** With a plan already made. */
    public static QuantizedModel quantize(Model model, ActivationStats stats, SmoothingPlan plan, QuantConfig config,
                                          ProgressListener progress) {
        Int8Gemm gemm = config.execution() == QuantConfig.Execution.INT8
                ? Int8Kernels.best(Runtime.getRuntime().availableProcessors()) : null;
        try {
            return QuantizedModel.prepare(model, stats, config, plan, gemm, progress);
        } catch (RuntimeException e) {
            if (gemm != null) {
                gemm.close();
            }
            throw e;
        }
    }

    // ----------------------------------------------------------------------------------------------- evaluation

    /** What a variant scored: perplexity, or masked-LM accuracy and pseudo-perplexity. */
    record Score(String metric, double perplexity, double nll, long count, int windows, Double accuracy) {
    }

    /** Scores one variant's forward pass: next-token perplexity windows or masked-LM sequences. */
    @FunctionalInterface
    interface Scorer {
        Score score(Transformer t, String label, ProgressListener progress);
    }

    static Scorer perplexity(int[] idsWithBos, int bos, EvalSpec eval) {
        return (t, label, progress) -> {
            PerplexityResult r = new Perplexity(t, bos).withProgress((done, total) -> progress.progress(
                    done / (double) total, label + ": window " + done + "/" + total))
                    .evaluate(idsWithBos, eval.seqLen(), eval.maxTokens());
            return new Score("perplexity", r.perplexity(), r.nll(), r.count(), r.windows(), null);
        };
    }

    static Scorer maskedLm(List<MlmSequence> sequences) {
        return (t, label, progress) -> {
            MlmResult r = new MaskedLm(t).withProgress((done, total) -> progress.progress(done / (double) total,
                    label + ": sequence " + done + "/" + total)).evaluate(sequences);
            return new Score("mlm", r.pseudoPerplexity(), r.nll(), r.count(), r.sequences(), r.accuracy());
        };
    }

    /**
     * Masked-LM accuracy and pseudo-perplexity of one variant on {@code sequences} ({@code MlmSequences.evaluation});
     * {@code config}, {@code stats} and {@code sample} as for {@link #evaluate(Model, int[], int, EvalSpec, Variant,
     * QuantConfig, ActivationStats, AlphaSearch.Sample, ProgressListener) perplexity}.
     */
    public static VariantResult evaluateMlm(Model model, List<MlmSequence> sequences, Variant variant,
                                            QuantConfig config, ActivationStats stats, AlphaSearch.Sample sample,
                                            ProgressListener progress) {
        return evaluate(model, maskedLm(sequences), variant, config, stats, sample, progress);
    }

    /**
     * Perplexity of one variant on the head of {@code idsWithBos}. {@code config} (level replaced by the variant's)
     * and {@code stats} are ignored for FP variants; {@code sample} is needed only for α = auto.
     */
    public static VariantResult evaluate(Model model, int[] idsWithBos, int bos, EvalSpec eval, Variant variant,
                                         QuantConfig config, ActivationStats stats, AlphaSearch.Sample sample,
                                         ProgressListener progress) {
        return evaluate(model, perplexity(idsWithBos, bos, eval), variant, config, stats, sample, progress);
    }

    private static VariantResult evaluate(Model model, Scorer scorer, Variant variant, QuantConfig config,
                                          ActivationStats stats, AlphaSearch.Sample sample,
                                          ProgressListener progress) {
        try (VectorKernels fp = new VectorKernels()) {
            if (!variant.quantized()) {
                return evaluateFp(model, scorer, variant, fp, progress);
            }
            QuantConfig c = config.withLevel(variant.level());
            SmoothingPlan plan = plan(model, stats, sample, c, null, ProgressListener.NONE);
            return evaluate(model, scorer, variant, c, stats, plan, fp, progress);
        }
    }

    /** FP32 or FP16-weights perplexity. */
    public static VariantResult evaluateFp(Model model, int[] idsWithBos, int bos, EvalSpec eval, Variant variant,
                                          Kernels fp, ProgressListener progress) {
        return evaluateFp(model, perplexity(idsWithBos, bos, eval), variant, fp, progress);
    }

    static VariantResult evaluateFp(Model model, Scorer scorer, Variant variant, Kernels fp,
                                    ProgressListener progress) {
        if (variant.quantized()) {
            throw new IllegalArgumentException(variant + " is not an FP variant");
        }
        long t0 = System.nanoTime();
        WeightSource w = variant == Variant.FP16 ? new Fp16Weights(model.weights()) : model.weights();
        Transformer t = Transformer.load(model.family(), model.config(), w, fp, model.file());
        Score r = scorer.score(t, variant.id(), progress);
        return new VariantResult(variant.id(), null, null, null, r.perplexity(), r.nll(), r.count(), r.windows(),
                seconds(t0), variant == Variant.FP16 ? "fp16-weights" : "fp32", null, r.metric(), r.accuracy());
    }

    static VariantResult evaluate(Model model, Scorer scorer, Variant variant, QuantConfig c, ActivationStats stats,
                                  SmoothingPlan plan, Kernels fp, ProgressListener progress) {
        long t0 = System.nanoTime();
        try (QuantizedModel qm = quantize(model, stats, plan, c, ProgressListener.NONE)) {
            Score r = scorer.score(qm.transformer(fp), variant.id(), progress);
            QuantLevel l = c.level();
            return new VariantResult(variant.id(), plan.factors().isEmpty() ? null : c.alphaText(),
                    c.weights().strategy(), l.staticScale() ? "static" : l.activations().strategy(), r.perplexity(),
                    r.nll(), r.count(), r.windows(), seconds(t0), qm.kernelName(), plan.alphasByName(), r.metric(),
                    r.accuracy());
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
        int[][] calibWindows = spec.calibration().windows(calibIds, bos);
        String protocol = String.format("perplexity: text encoded once with BOS; windows of [BOS]+%d over the first "
                        + "%d stream tokens; calibration: last %d x %d stream tokens as %d windows of [BOS]+%d",
                spec.eval().seqLen() - 1, spec.eval().maxTokens(), spec.calibration().sequences(),
                spec.calibration().seqLen() - 1, spec.calibration().sequences(), spec.calibration().seqLen() - 1);
        return report(model, perplexity(evalIds, bos, spec.eval()), calibWindows, spec, cacheDir, protocol,
                progress);
    }

    /**
     * The accuracy study of a masked LM (BERT): calibrate on {@code calibration} (the last framed blocks of the
     * WordPiece stream, {@code MlmSequences.calibration}), evaluate every variant of {@code spec} on
     * {@code evaluation} ({@code MlmSequences.evaluation}); rows carry accuracy and pseudo-perplexity. The caller
     * keeps the two apart (the CLI checks that the blocks do not overlap). {@code spec.eval()} and
     * {@code spec.calibration()} only describe the sequence length and counts here.
     */
    public static SmoothQuantReport reportMlm(Model model, List<MlmSequence> evaluation, List<int[]> calibration,
                                              ReportSpec spec, Path cacheDir, ProgressListener progress) {
        int len = evaluation.isEmpty() ? 0 : evaluation.getFirst().masked().length;
        String protocol = String.format("masked LM: %d sequences of [CLS]+%d+[SEP] from the head of the WordPiece "
                        + "stream, 15%% masked with java.util.Random(1234); calibration: the last %d full blocks, "
                        + "framed the same way, unmasked", evaluation.size(), len - 2, calibration.size());
        return report(model, maskedLm(evaluation), calibration.toArray(int[][]::new), spec, cacheDir, protocol,
                progress);
    }

    private static SmoothQuantReport report(Model model, Scorer scorer, int[][] calibWindows, ReportSpec spec,
                                            Path cacheDir, String protocol, ProgressListener progress) {
        int n = spec.variants().size();
        double calibShare = 0.2;
        ActivationStats stats = calibrate(model, calibWindows, cacheDir == null ? null : new StatsCache(cacheDir),
                progress.range(0, calibShare));
        boolean auto = Double.isNaN(spec.alpha());
        AlphaSearch.Sample sample = auto ? sampleActivations(model, calibWindows, autoSampleRows(model)) : null;
        List<VariantResult> rows = new ArrayList<>();
        List<LinearError> errors = List.of();
        String errorLevel = null;
        long int8Bytes = 0;
        String kernel = null;
        SmoothingPlan atlasPlan = null;
        try (VectorKernels fp = new VectorKernels()) {
            for (int i = 0; i < n; i++) {
                Variant v = spec.variants().get(i);
                ProgressListener p = progress.range(calibShare + (1 - calibShare) * i / n,
                        calibShare + (1 - calibShare) * (i + 1) / n);
                VariantResult r;
                if (v.quantized()) {
                    QuantConfig c = spec.config(v.level());
                    SmoothingPlan plan = plan(model, stats, sample, c, null, ProgressListener.NONE);
                    if (atlasPlan == null && !plan.factors().isEmpty()) {
                        atlasPlan = plan;
                    }
                    r = evaluate(model, scorer, v, c, stats, plan, fp, p);
                    kernel = r.kernel();
                    if (errorLevel == null && v != Variant.NAIVE) {
                        try (QuantizedModel qm = quantize(model, stats, plan, c, ProgressListener.NONE)) {
                            if (spec.probeSequences() > 0) {
                                errors = linearErrors(qm, java.util.Arrays.copyOf(calibWindows,
                                        Math.min(calibWindows.length, spec.probeSequences())), fp);
                            }
                            errorLevel = v.level().name();
                            int8Bytes = qm.int8Bytes();
                        }
                    }
                } else {
                    r = evaluateFp(model, scorer, v, fp, p);
                }
                rows.add(r);
                progress.progress(calibShare + (1 - calibShare) * (i + 1) / n, r.accuracy() == null
                        ? String.format("%s: perplexity %.4f", v.id(), r.perplexity())
                        : String.format("%s: accuracy %.4f, pseudo-perplexity %.4f", v.id(), r.accuracy(),
                        r.perplexity()));
            }
        }
        if (atlasPlan == null) {
            atlasPlan = spec.sites() == SiteSelection.NONE || auto ? SmoothingPlan.none()
                    : smooth(model, stats, spec.alpha(), spec.sites());
        }
        long fpBytes = 0;
        for (String t : model.weights().names()) {
            fpBytes += model.weights().tensor(t).data().byteSize();
        }
        long evalTokens = rows.isEmpty() ? 0 : rows.getFirst().tokens();
        String metric = rows.isEmpty() ? "perplexity" : rows.getFirst().metric();
        protocol += String.format(" (%d %s scored)", evalTokens, metric.equals("mlm") ? "masked positions"
                : "tokens");
        progress.progress(1, "report done");
        return new SmoothQuantReport(model.file().getFileName().toString(), model.family().name(), protocol,
                spec.eval().seqLen(), evalTokens, stats.sequences(), stats.seqLen(), stats.tokens(), stats.key(),
                auto ? "auto" : Double.toString(spec.alpha()), spec.weights().strategy(),
                spec.sites().name().toLowerCase(java.util.Locale.ROOT), rows, atlas(stats, atlasPlan, 5), errors,
                errorLevel, fpBytes, int8Bytes, kernel, metric);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
