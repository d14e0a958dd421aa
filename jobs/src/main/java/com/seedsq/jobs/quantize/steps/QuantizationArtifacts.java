package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.safetensors.SafetensorsFile;
import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.SiteSelection;
import com.seedsq.engine.smoothquant.SmoothingPlan;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.spec.JobSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The hand-over between the SmoothQuant steps, through the artifact store: calibration statistics and the smoothing
 * plan as safetensors (also useful to users), read back by later steps, on this runner or on another after a
 * restart.
 */
public final class QuantizationArtifacts {

    public static final String STATS = "calibration/activation-stats.safetensors";
    public static final String FACTORS = "smoothing/factors.safetensors";

    private QuantizationArtifacts() {
    }

    public static CalibrationSpec calibrationSpec(JobSpec spec) {
        return new CalibrationSpec(spec.calibration().samples(), spec.calibration().seqLen());
    }

    /**
     * The engine's quantization config for the job: the spec's level and weight granularity, with α from the spec or
     * the family's default, smoothing the family's default sites: those a norm feeds where there are any (the
     * paper's choice), every site of a post-LN encoder, whose smoothing stays explicit input scales.
     */
    public static QuantConfig config(JobSpec spec, ModelFamily family) {
        double alpha = spec.alpha() == null ? AlphaDefaults.forFamily(family.name())
                : "auto".equals(spec.alpha()) ? QuantConfig.AUTO : Double.parseDouble(spec.alpha());
        Granularity weights = Granularity.valueOf(spec.weights().toUpperCase(Locale.ROOT));
        return new QuantConfig(QuantLevel.parse(spec.level()), alpha, weights, SiteSelection.defaultFor(family),
                QuantConfig.Execution.INT8);
    }

    public static void putStats(JobContext ctx, ActivationStats stats) throws IOException {
        Path file = stats.save(ctx.workDir().resolve("activation-stats.safetensors"));
        put(ctx, STATS, file);
    }

    public static ActivationStats stats(JobContext ctx) throws IOException {
        return ActivationStats.load(local(ctx, STATS, "activation-stats.safetensors"));
    }

    public static void putPlan(JobContext ctx, SmoothingPlan plan) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", "sq-smoothing-factors")
                .metadata("alpha", Double.toString(plan.alpha()));
        Map<String, String> alphas = new TreeMap<>();
        plan.alphas().forEach((k, v) -> alphas.put(k.toString(), Double.toString(v)));
        w.metadata("alphas", ctx.json().writeValueAsString(alphas));
        w.metadata("explicit", String.join(",", plan.explicit().stream().map(SiteKey::toString).toList()));
        plan.factors().forEach((k, s) -> w.addF32(k.toString(), new long[] {s.length}, s));
        Path file = ctx.workDir().resolve("smoothing-factors.safetensors");
        w.write(file);
        put(ctx, FACTORS, file);
    }

    @SuppressWarnings("unchecked")
    public static SmoothingPlan plan(JobContext ctx) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(local(ctx, FACTORS, "smoothing-factors.safetensors"))) {
            Map<String, Object> md = f.metadata();
            Map<SiteKey, float[]> factors = new HashMap<>();
            for (String name : f.names()) {
                factors.put(SiteKey.parse(name), f.tensor(name).toFloatArray());
            }
            Set<SiteKey> explicit = new HashSet<>();
            String ex = String.valueOf(md.getOrDefault("explicit", ""));
            for (String s : ex.isBlank() ? new String[0] : ex.split(",")) {
                explicit.add(SiteKey.parse(s));
            }
            Map<SiteKey, Double> alphas = new LinkedHashMap<>();
            ctx.json().readValue(String.valueOf(md.get("alphas")), Map.class)
                    .forEach((k, v) -> alphas.put(SiteKey.parse((String) k), Double.parseDouble((String) v)));
            return new SmoothingPlan(Double.parseDouble(String.valueOf(md.get("alpha"))), factors, explicit, alphas);
        }
    }

    private static void put(JobContext ctx, String name, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            ctx.store().put(ctx.artifactKey(name), in, Files.size(file));
        }
    }

    /** The artifact as a local file, downloaded if this runner does not have it yet. */
    private static Path local(JobContext ctx, String name, String fileName) throws IOException {
        Path file = ctx.workDir().resolve(fileName);
        if (!Files.exists(file)) {
            Path partial = ctx.workDir().resolve(fileName + ".part");
            try (InputStream in = ctx.store().open(ctx.artifactKey(name))) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
