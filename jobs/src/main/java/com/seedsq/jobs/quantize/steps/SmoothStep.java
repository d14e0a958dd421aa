package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.smoothquant.AlphaSearch;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.smoothquant.SmoothingPlan;
import com.seedsq.jobs.model.DatasetText;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.objective.Objective;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.storage.metadata.Datasets;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes the smoothing factors s_j = max|X_j|^α / max|W_j|^(1−α) for every norm-fed site, with α from the spec,
 * the family default, or searched per site ({@code auto}: the α on a grid, α = 0 included, that minimises the
 * quantized output error on calibration activations). Stores the factors and the outlier atlas.
 */
public class SmoothStep extends JobStep {

    private final Datasets datasets;

    public SmoothStep(Services services, Datasets datasets) {
        super(services, QuantizeSteps.SMOOTH);
        this.datasets = datasets;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        ActivationStats stats = QuantizationArtifacts.stats(ctx);
        try (LoadedModel m = LoadedModel.open(ctx.modelDir())) {
            QuantConfig config = QuantizationArtifacts.config(ctx.spec(), m.model().family());
            AlphaSearch.Sample sample = null;
            if (config.autoAlpha()) {
                progress.report(0.05, "sampling calibration activations for the α search");
                var d = datasets.find(ctx.job().tenant(), ctx.spec().calibration().datasetId()).orElseThrow();
                int[][] windows = Objective.of(m).calibrationWindows(m, DatasetText.read(ctx.store(), d), ctx.spec());
                sample = SmoothQuant.sampleActivations(m.model(), windows, SmoothQuant.autoSampleRows(m.model()));
            }
            List<AlphaSearch.Choice> choices = new ArrayList<>();
            SmoothingPlan plan = SmoothQuant.plan(m.model(), stats, sample, config, choices,
                    (f, msg) -> progress.report(0.1 + 0.85 * f, msg));
            QuantizationArtifacts.putPlan(ctx, plan);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("alpha", config.alphaText());
            out.put("alphas", plan.alphasByName());
            out.put("autoSearch", choices);
            out.put("atlas", SmoothQuant.atlas(stats, plan, 5));
            ctx.putJson("smoothing.json", out);
        }
    }
}
