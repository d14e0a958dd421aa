package com.seedsq.jobs.quantize.steps;

import com.seedsq.jobs.model.DatasetText;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.objective.Objective;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.jobs.spec.JobSpec;
import com.seedsq.storage.metadata.DatasetRecord;
import com.seedsq.storage.metadata.Datasets;
import com.seedsq.storage.metadata.Models;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks the job against what actually exists and what the engine can do: the model loads (downloaded and its sha256
 * verified), its tokenizer is there, the sequence length fits the model, the datasets exist and hold enough tokens,
 * so that calibration (the tail of the token stream) and evaluation (the head) never overlap.
 */
public class ValidateStep extends JobStep {

    private final Models models;
    private final Datasets datasets;
    private final boolean remoteRunners;

    /** @param remoteRunners whether the heavy steps go to runners, where a cuda job finds (or waits for) a GPU */
    public ValidateStep(Services services, Models models, Datasets datasets, boolean remoteRunners) {
        super(services, QuantizeSteps.VALIDATE);
        this.models = models;
        this.datasets = datasets;
        this.remoteRunners = remoteRunners;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        JobSpec spec = ctx.spec();
        String tenant = ctx.job().tenant();
        models.find(tenant, spec.modelId()).orElseThrow(() -> new JobSpecException("modelId",
                "model " + spec.modelId() + " no longer exists"));
        if ("cuda".equals(spec.backend()) && !remoteRunners) {
            String why = BenchmarkBackend.cudaUnavailableReason();
            if (why != null) {
                throw new JobSpecException("backend", "backend 'cuda' was asked for, but this service runs jobs "
                        + "in-process and has no usable GPU (" + why + "). Submit with backend 'cpu' or 'auto', or "
                        + "run GPU runners (sq.jobs.runners=remote).");
            }
        }
        progress.report(0.5, "loading the model");
        try (LoadedModel m = LoadedModel.open(ctx.modelDir())) {
            Objective objective = Objective.of(m);
            int seqLen = objective.seqLen(m, spec);
            if (seqLen > m.summary().maxSeqLen()) {
                throw new JobSpecException("calibration.seqLen", "sequence length " + seqLen
                        + " exceeds the model's maximum " + m.summary().maxSeqLen());
            }
            DatasetRecord calib = dataset(tenant, spec.calibration().datasetId(), "calibration.datasetId");
            boolean calibChecked = false;
            for (String id : spec.evaluation().datasetIds()) {
                DatasetRecord eval = dataset(tenant, id, "evaluation.datasetIds");
                boolean both = id.equals(calib.id());
                calibChecked |= both;
                fail(objective.checkSize(m, DatasetText.read(ctx.store(), eval), spec, both, true), id);
            }
            if (!calibChecked) {
                fail(objective.checkSize(m, DatasetText.read(ctx.store(), calib), spec, true, false), calib.id());
            }
            jobContext.putString("model.architecture", m.summary().architecture());
        }
    }

    private static void fail(Objective.Problem problem, String datasetId) {
        if (problem != null) {
            throw new JobSpecException(problem.field(), "dataset " + datasetId + ": " + problem.message());
        }
    }

    private DatasetRecord dataset(String tenant, String id, String field) {
        return datasets.find(tenant, id).orElseThrow(() -> new JobSpecException(field, "dataset " + id
                + " does not exist"));
    }
}
