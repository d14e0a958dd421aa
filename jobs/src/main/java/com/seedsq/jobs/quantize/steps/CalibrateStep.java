package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.StatsCache;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.jobs.model.DatasetText;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.objective.Objective;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.storage.metadata.DatasetRecord;
import com.seedsq.storage.metadata.Datasets;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the calibration text through the FP model and records, for every linear-input site, the per-channel abs-max
 * (the tail of the token stream: samples windows of [BOS] + seqLen−1). Statistics are cached on the runner by a hash
 * of model, data and sequence length, so another job with another α or level on the same data reuses them.
 */
public class CalibrateStep extends JobStep {

    private final Datasets datasets;

    public CalibrateStep(Services services, Datasets datasets) {
        super(services, QuantizeSteps.CALIBRATE);
        this.datasets = datasets;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        DatasetRecord d = datasets.find(ctx.job().tenant(), ctx.spec().calibration().datasetId()).orElseThrow();
        try (LoadedModel m = LoadedModel.open(ctx.modelDir())) {
            progress.report(0.01, "encoding the calibration text");
            Objective objective = Objective.of(m);
            int[][] windows = objective.calibrationWindows(m, DatasetText.read(ctx.store(), d), ctx.spec());
            Path cache = services.workRoot().resolve("stats-cache");
            ActivationStats stats = SmoothQuant.calibrate(m.model(), windows, new StatsCache(cache),
                    progress::report);
            QuantizationArtifacts.putStats(ctx, stats);
            ctx.putJson("calibration.json", Map.of("key", stats.key(), "tokens", stats.tokens(),
                    "sequences", stats.sequences(), "seqLen", stats.seqLen(), "dataset", d.name()));
        }
    }
}
