package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.LinearSites;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.quant.SmoothingFactors;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The smoothing factors s of every smoothed site, with the reference's formula
 * {@code s_j = max(a_j^α / max(w_j, 1e-5)^(1−α), 1e-5)} (float64, cast to float32; {@link SmoothingFactors}), where
 * {@code a_j} is the calibrated abs-max of input channel j and {@code w_j = max over the site's linears of
 * max_i |W[i, j]|}, read from the <em>original</em> weights.
 *
 * @param alpha    the migration strength, or NaN when chosen per site ({@link AlphaSearch})
 * @param factors  s per smoothed site (sites not in the map are not smoothed)
 * @param explicit the smoothed sites with no norm to fold into: 1/s is applied to the input by the kernels
 * @param alphas   α per smoothed site
 */
public record SmoothingPlan(double alpha, Map<SiteKey, float[]> factors, Set<SiteKey> explicit,
                            Map<SiteKey, Double> alphas) {

    public SmoothingPlan {
        factors = Collections.unmodifiableMap(new TreeMap<>(factors));
        explicit = Collections.unmodifiableSet(new TreeSet<>(explicit));
        alphas = Collections.unmodifiableMap(new TreeMap<>(alphas));
    }

    public static SmoothingPlan none() {
        return new SmoothingPlan(0, Map.of(), Set.of(), Map.of());
    }

    /** α per site as text for reports: {@code "L0.attn_in" -> 0.5}; sites not smoothed are absent. */
    public Map<String, Double> alphasByName() {
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        alphas.forEach((k, v) -> m.put(k.toString(), v));
        return m;
    }

    public static SmoothingPlan compute(LinearSites sites, WeightSource weights, ActivationStats stats, double alpha,
                                        SiteSelection selection) {
        Map<SiteKey, float[]> f = new TreeMap<>();
        Set<SiteKey> explicit = new TreeSet<>();
        Map<SiteKey, Double> alphas = new TreeMap<>();
        for (LinearSites.Site site : sites.sites().values()) {
            if (!selection.includes(site.group())) {
                continue;
            }
            float[] a = stats.channelAbsMax(site.key());
            float[] w = new float[a.length];
            for (String name : site.linears()) {
                columnAbsMax(Matrix.of(weights.tensor(name)), w);
            }
            f.put(site.key(), SmoothingFactors.compute(a, w, alpha));
            alphas.put(site.key(), alpha);
            if (!site.group().foldable() || site.norm() == null || !weights.has(site.norm())) {
                explicit.add(site.key());
            }
        }
        return new SmoothingPlan(alpha, f, explicit, alphas);
    }

    /** {@code acc[j] = max(acc[j], max_i |W[i, j]|)}, reading W a block of rows at a time. */
    static void columnAbsMax(Matrix w, float[] acc) {
        if (w.cols() != acc.length) {
            throw new IllegalArgumentException(w.name() + ": " + w.cols() + " input columns, site has " + acc.length);
        }
        int block = Math.max(1, (1 << 16) / w.cols());
        float[] buf = new float[block * w.cols()];
        for (int r0 = 0; r0 < w.rows(); r0 += block) {
            int r1 = Math.min(w.rows(), r0 + block);
            w.widenRows(r0, r1, buf);
            for (int i = 0; i < (r1 - r0) * w.cols(); i++) {
                int j = i % w.cols();
                acc[j] = Math.max(acc[j], Math.abs(buf[i]));
            }
        }
    }

    /**
     * Writes the factors as safetensors: one F32 tensor {@code L<layer>.<site>.smooth} (s, not 1/s) per smoothed
     * site; metadata {@code format=sq-smoothing-factors}, {@code alpha}, and per site {@code <site>.alpha} and
     * {@code <site>.explicit}.
     */
    public java.nio.file.Path save(java.nio.file.Path file) {
        var w = new com.seedsq.engine.format.safetensors.SafetensorsWriter()
                .metadata("format", FORMAT).metadata("alpha", Double.isNaN(alpha) ? "auto" : Double.toString(alpha));
        factors.forEach((k, s) -> {
            w.addF32(k + ".smooth", new long[]{s.length}, s);
            w.metadata(k + ".alpha", String.valueOf(alphas.get(k)));
            w.metadata(k + ".explicit", Boolean.toString(explicit.contains(k)));
        });
        try {
            w.write(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write smoothing factors to " + file, e);
        }
        return file;
    }

    public static SmoothingPlan load(java.nio.file.Path file) {
        try (var f = com.seedsq.engine.format.safetensors.SafetensorsFile.open(file)) {
            Map<String, Object> md = f.metadata();
            if (!FORMAT.equals(md.get("format"))) {
                throw new IllegalArgumentException(file + ": not a smoothing-factors file (format=" + md.get("format")
                        + ")");
            }
            Map<SiteKey, float[]> fs = new TreeMap<>();
            Map<SiteKey, Double> as = new TreeMap<>();
            Set<SiteKey> ex = new TreeSet<>();
            for (String name : f.names()) {
                if (name.endsWith(".smooth")) {
                    SiteKey k = SiteKey.parse(name.substring(0, name.length() - ".smooth".length()));
                    fs.put(k, f.tensor(name).toFloatArray());
                    Object a = md.get(k + ".alpha");
                    if (a != null && !"null".equals(a)) {
                        as.put(k, Double.parseDouble(a.toString()));
                    }
                    if ("true".equals(md.get(k + ".explicit"))) {
                        ex.add(k);
                    }
                }
            }
            String a = String.valueOf(md.get("alpha"));
            return new SmoothingPlan("auto".equals(a) ? Double.NaN : Double.parseDouble(a), fs, ex, as);
        }
    }

    public static final String FORMAT = "sq-smoothing-factors";

    public boolean smooths(SiteKey site) {
        return factors.containsKey(site);
    }

    /** s of a site, or null if it is not smoothed. */
    public float[] factors(SiteKey site) {
        return factors.get(site);
    }
}
