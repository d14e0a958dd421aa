package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationSampler;
import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.LinearSites;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.Int8Quantizer;
import com.seedsq.engine.quant.QuantizedMatrix;
import com.seedsq.engine.quant.SmoothingFactors;
import com.seedsq.engine.quant.SmoothingFold;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * α = auto, two objectives ({@link Objective}).
 *
 * <p><b>CALIBRATION_LOSS</b> (default): the quantized model's next-token NLL on held-out calibration windows. First
 * every single α of the grid (and "off") for all sites; then, starting from the best of those, layer by layer, every
 * grid value for that layer's sites, kept only when the loss drops. The result is therefore never worse than the best
 * single α on this loss, and no worse than not smoothing. Cost: (1 + layers) × |grid| quantized forward passes over
 * the probe windows.
 *
 * <p><b>LOCAL_MSE</b>: for every smoothable site, try "off" (no smoothing, s = 1) and α on a grid (0, 0.05, …, 1) and keep the
 * candidate whose quantized outputs are closest to FP on a sample of calibration activations:
 * {@code Σ_linears Σ (Q(X/s)·Q(W·s)ᵀ − X·Wᵀ)² / Σ (X·Wᵀ)²}, with the level's activation quantization (per token,
 * per chunk = per window, or the static O3 scale from the full statistics) and the configured weight granularity.
 *
 * <p>Each site's choice minimises this local error over a grid that contains every fixed α, so for this objective
 * it is never worse than the best single α, and no worse than not smoothing. It is a per-linear proxy: it does not
 * see how errors propagate through later layers.
 */
public final class AlphaSearch {

    public enum Objective {
        /** The quantized model's next-token NLL on calibration windows (decoders). */
        CALIBRATION_LOSS,
        /** Each site's quantized linear outputs vs FP on sampled activations (cheap, any model, a proxy). */
        LOCAL_MSE
    }

    /** Calibration data kept for the search: input chunks per site (LOCAL_MSE) and probe windows (the loss). */
    public record Sample(Map<SiteKey, List<ActivationSampler.Chunk>> chunks, int[][] windows) {
    }

    /** α per site; {@code null} means smoothing is off for the site. */
    public record Choice(SiteKey site, Double alpha, double error, double errorOff, Map<String, Double> grid) {
    }

    private AlphaSearch() {
    }

    public static double[] defaultGrid() {
        double[] g = new double[21];
        for (int i = 0; i <= 20; i++) {
            g[i] = i / 20.0;
        }
        return g;
    }

    /** Runs {@code windows} through the FP model keeping up to {@code maxRows} input rows per site. */
    public static Sample sample(Model model, Kernels fp, int[][] windows, int maxRows) {
        return sample(model, fp, windows, maxRows, windows);
    }

    /** As above, keeping {@code probeWindows} for the loss objective. */
    public static Sample sample(Model model, Kernels fp, int[][] windows, int maxRows, int[][] probeWindows) {
        LinearSites sites = LinearSites.of(model.family(), model.config(), model.weights());
        ActivationSampler s = new ActivationSampler(fp, sites, maxRows);
        Transformer t = Transformer.load(model.family(), model.config(), model.weights(), s, model.file());
        int len = 0;
        for (int[] w : windows) {
            len = Math.max(len, w.length);
        }
        KvCache cache = t.newCache(len);
        for (int[] w : windows) {
            cache.clear();
            t.forward(cache, w, false);
            s.sequenceDone();
        }
        return new Sample(s.chunks(), probeWindows);
    }

    /**
     * Chooses α per site for {@code config} (its level and weight granularity; its site selection says which sites
     * are candidates) and returns the resulting plan.
     */
    public static SmoothingPlan search(Model model, ActivationStats stats,
                                       Sample sample, QuantConfig config,
                                       double[] grid, Kernels fp, List<Choice> choicesOut, ProgressListener progress) {
        LinearSites sites = LinearSites.of(model.family(), model.config(), model.weights());
        WeightSource weights = model.weights();
        Map<SiteKey, float[]> factors = new TreeMap<>();
        Map<SiteKey, Double> alphas = new TreeMap<>();
        List<LinearSites.Site> candidates = sites.sites().values().stream()
                .filter(s -> config.sites().includes(s.group())).toList();
        int done = 0;
        for (LinearSites.Site site : candidates) {
            List<ActivationSampler.Chunk> chunks = sample.chunks().get(site.key());
            if (chunks == null || chunks.isEmpty()) {
                throw new IllegalArgumentException("no activation sample for site " + site.key());
            }
            float[] a = stats.channelAbsMax(site.key());
            List<float[]> ws = new ArrayList<>();
            List<int[]> shapes = new ArrayList<>();
            float[] wMax = new float[a.length];
            for (String n : site.linears()) {
                Matrix m = Matrix.of(weights.tensor(n));
                ws.add(m.toFloatArray());
                shapes.add(new int[]{m.rows(), m.cols()});
                SmoothingPlan.columnAbsMax(m, wMax);
            }
            // FP references once per site
            List<float[]> refs = new ArrayList<>();
            for (int li = 0; li < ws.size(); li++) {
                for (ActivationSampler.Chunk c : chunks) {
                    float[] y = new float[c.rows() * shapes.get(li)[0]];
                    fp.matmul(c.x(), c.rows(), Matrix.ofFloats("ref", shapes.get(li)[0], shapes.get(li)[1],
                            ws.get(li)), y);
                    refs.add(y);
                }
            }
            Map<String, Double> results = new LinkedHashMap<>();
            double off = error(null, a, chunks, ws, shapes, refs, config, fp);
            results.put("off", off);
            double best = off;
            Double bestAlpha = null;
            float[] bestS = null;
            for (double alpha : grid) {
                float[] s = SmoothingFactors.compute(a, wMax, alpha);
                double e = error(s, a, chunks, ws, shapes, refs, config, fp);
                results.put(Double.toString(alpha), e);
                if (e < best) {
                    best = e;
                    bestAlpha = alpha;
                    bestS = s;
                }
            }
            if (bestAlpha != null) {
                factors.put(site.key(), bestS);
                alphas.put(site.key(), bestAlpha);
            }
            if (choicesOut != null) {
                choicesOut.add(new Choice(site.key(), bestAlpha, best, off, results));
            }
            progress.progress(++done / (double) candidates.size(), "alpha search " + site.key() + ": "
                    + (bestAlpha == null ? "off" : bestAlpha));
        }
        java.util.Set<SiteKey> explicit = new java.util.TreeSet<>();
        for (SiteKey k : factors.keySet()) {
            LinearSites.Site s = sites.site(k);
            if (!s.group().foldable() || s.norm() == null || !weights.has(s.norm())) {
                explicit.add(k);
            }
        }
        return new SmoothingPlan(Double.NaN, factors, explicit, alphas);
    }

    /**
     * The CALIBRATION_LOSS search (see the class comment); {@code gemm} may be null for fake quantization and is not
     * closed. {@code choicesOut} receives one entry per site with its layer's loss table.
     */
    public static SmoothingPlan searchByLoss(Model model, ActivationStats stats, Sample sample, QuantConfig config,
                                             double[] grid, Kernels fp, Int8Gemm gemm, List<Choice> choicesOut,
                                             ProgressListener progress) {
        if (!model.family().causal()) {
            throw new IllegalArgumentException(model.family().name() + " is not a decoder: the next-token loss does "
                    + "not apply; use Objective.LOCAL_MSE");
        }
        LinearSites sites = LinearSites.of(model.family(), model.config(), model.weights());
        Map<SiteKey, float[]> wMax = new TreeMap<>();
        for (LinearSites.Site site : sites.sites().values()) {
            if (config.sites().includes(site.group())) {
                float[] w = new float[stats.channelAbsMax(site.key()).length];
                for (String n : site.linears()) {
                    SmoothingPlan.columnAbsMax(Matrix.of(model.weights().tensor(n)), w);
                }
                wMax.put(site.key(), w);
            }
        }
        Int8Gemm shared = gemm == null ? null : new Int8Gemm() {
            @Override
            public String name() {
                return gemm.name();
            }

            @Override
            public void multiply(com.seedsq.engine.quant.QuantizedMatrix a, com.seedsq.engine.kernel.int8.Int8Weights w,
                                 com.seedsq.engine.kernel.int8.Int8Output out) {
                gemm.multiply(a, w, out);
            }
        };
        QuantConfig exec = config.withExecution(gemm == null ? QuantConfig.Execution.FAKE : QuantConfig.Execution.INT8);
        int layers = model.config().layers();
        List<Double> candidates = new ArrayList<>();
        candidates.add(null); // off
        for (double a : grid) {
            candidates.add(a);
        }
        int total = candidates.size() * (1 + layers), done = 0;
        java.util.function.Function<Map<SiteKey, Double>, Double> lossOf = alphas -> {
            SmoothingPlan plan = planFor(sites, wMax, stats, alphas, model.weights());
            try (QuantizedModel qm = QuantizedModel.prepare(model, stats, exec, plan, shared, ProgressListener.NONE)) {
                var r = new com.seedsq.engine.eval.Perplexity(qm.transformer(fp), sample.windows()[0][0])
                        .evaluateSequences(java.util.Arrays.asList(sample.windows()), maxLen(sample.windows()));
                return r.nll() / r.count();
            }
        };
        // 1. one α for every site
        Map<SiteKey, Double> best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        Map<String, Double> uniform = new LinkedHashMap<>();
        for (Double a : candidates) {
            Map<SiteKey, Double> alphas = new TreeMap<>();
            wMax.keySet().forEach(k -> alphas.put(k, a));
            double loss = lossOf.apply(alphas);
            uniform.put(a == null ? "off" : a.toString(), loss);
            if (loss < bestLoss) {
                bestLoss = loss;
                best = alphas;
            }
            progress.progress(++done / (double) total, "alpha search: all sites " + (a == null ? "off" : a)
                    + ": loss " + loss);
        }
        double offLoss = uniform.get("off");
        // 2. layer by layer from the best uniform choice
        for (int l = 0; l < layers; l++) {
            final int layer = l;
            List<SiteKey> here = wMax.keySet().stream().filter(k -> k.layer() == layer).toList();
            Map<String, Double> table = new LinkedHashMap<>();
            for (Double a : candidates) {
                Map<SiteKey, Double> alphas = new TreeMap<>(best);
                here.forEach(k -> alphas.put(k, a));
                double loss = alphas.equals(best) ? bestLoss : lossOf.apply(alphas);
                table.put(a == null ? "off" : a.toString(), loss);
                if (loss < bestLoss) {
                    bestLoss = loss;
                    best = alphas;
                }
                progress.progress(++done / (double) total, "alpha search: layer " + layer + " "
                        + (a == null ? "off" : a) + ": loss " + loss);
            }
            if (choicesOut != null) {
                for (SiteKey k : here) {
                    choicesOut.add(new Choice(k, best.get(k), bestLoss, offLoss, table));
                }
            }
        }
        return planFor(sites, wMax, stats, best, model.weights());
    }

    private static int maxLen(int[][] windows) {
        int m = 0;
        for (int[] w : windows) {
            m = Math.max(m, w.length);
        }
        return m;
    }

    /** A plan with the given α per site (null: off). */
    static SmoothingPlan planFor(LinearSites sites, Map<SiteKey, float[]> wMax, ActivationStats stats,
                                 Map<SiteKey, Double> alphas, WeightSource weights) {
        Map<SiteKey, float[]> factors = new TreeMap<>();
        Map<SiteKey, Double> chosen = new TreeMap<>();
        java.util.Set<SiteKey> explicit = new java.util.TreeSet<>();
        alphas.forEach((k, a) -> {
            if (a != null) {
                factors.put(k, SmoothingFactors.compute(stats.channelAbsMax(k), wMax.get(k), a));
                chosen.put(k, a);
                LinearSites.Site s = sites.site(k);
                if (!s.group().foldable() || s.norm() == null || !weights.has(s.norm())) {
                    explicit.add(k);
                }
            }
        });
        return new SmoothingPlan(Double.NaN, factors, explicit, chosen);
    }

    /** Relative output error of one site's linears with factors s (null: unsmoothed). */
    private static double error(float[] s, float[] a, List<ActivationSampler.Chunk> chunks, List<float[]> ws,
                                List<int[]> shapes, List<float[]> refs, QuantConfig config, Kernels fp) {
        QuantLevel level = config.level();
        float staticScale = level.staticScale() ? Int8Quantizer.staticScale(a, s) : Float.NaN;
        List<float[]> xq = new ArrayList<>();
        for (ActivationSampler.Chunk c : chunks) {
            // X/s, as the folded norm (or the explicit scale) feeds the linear
            float[] x = c.x();
            if (s != null) {
                x = x.clone();
                for (int i = 0; i < x.length; i++) {
                    x[i] = x[i] / s[i % c.cols()];
                }
            }
            QuantizedMatrix q = level.staticScale()
                    ? Int8Quantizer.activationsStatic(x, c.rows(), c.cols(), staticScale, null)
                    : Int8Quantizer.activations(x, c.rows(), c.cols(), level.activations(), null);
            xq.add(q.dequantize());
        }
        double err = 0, norm = 0;
        int r = 0;
        for (int li = 0; li < ws.size(); li++) {
            float[] w = ws.get(li);
            if (s != null) {
                w = w.clone();
                SmoothingFold.intoLinearInput(w, s);
            }
            int rows = shapes.get(li)[0], cols = shapes.get(li)[1];
            QuantizedMatrix qw = Int8Quantizer.weights(w, rows, cols, config.weights() == Granularity.CHANNEL
                    ? Granularity.CHANNEL : Granularity.TENSOR);
            Matrix wd = Matrix.ofFloats("wq", rows, cols, qw.dequantize());
            for (int ci = 0; ci < chunks.size(); ci++) {
                float[] ref = refs.get(r++);
                float[] y = new float[ref.length];
                fp.matmul(xq.get(ci), chunks.get(ci).rows(), wd, y);
                for (int i = 0; i < y.length; i++) {
                    double d = (double) y[i] - ref[i];
                    err += d * d;
                    norm += (double) ref[i] * ref[i];
                }
            }
        }
        return norm == 0 ? 0 : err / norm;
    }
}
