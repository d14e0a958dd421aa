package com.seedsq.jobs.quantize.steps;

import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.storage.metadata.ModelRecord;
import com.seedsq.storage.metadata.Models;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import tools.jackson.databind.JsonNode;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Assembles the report from what the earlier steps stored (every number in it was measured by them), writes it as
 * {@code report.json} next to the other artifacts, and records it on the job for the API.
 */
public class PackageStep extends JobStep {

    private final Models models;

    public PackageStep(Services services, Models models) {
        super(services, QuantizeSteps.PACKAGE);
        this.models = models;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("jobId", ctx.job().id());
        report.put("createdAt", OffsetDateTime.now(ZoneOffset.UTC).toString());
        ModelRecord model = models.find(ctx.job().tenant(), ctx.job().modelId()).orElse(null);
        if (model != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", model.id());
            m.put("name", model.name());
            m.put("format", model.format());
            m.put("architecture", model.architecture());
            m.put("parameters", model.parameters());
            m.put("dtype", model.dtype());
            m.put("sizeBytes", model.sizeBytes());
            report.put("model", m);
        }
        report.put("spec", ctx.spec());
        for (String part : new String[] {"calibration", "smoothing", "quantization", "evaluation", "benchmark"}) {
            String name = part + ".json";
            if (ctx.store().stat(ctx.artifactKey(name)).isPresent()) {
                report.put(part, ctx.getJson(name, JsonNode.class));
            }
        }
        // Remote runners: which runner ran each partition of each partitioned step.
        Map<String, Object> partitions = new LinkedHashMap<>();
        for (String step : new String[] {"calibrate", "evaluate", "benchmark"}) {
            String name = "partitions/" + step + ".json";
            if (ctx.store().stat(ctx.artifactKey(name)).isPresent()) {
                partitions.put(step, ctx.getJson(name, JsonNode.class));
            }
        }
        if (!partitions.isEmpty()) {
            report.put("partitions", partitions);
        }
        ctx.putJson("report.json", report);
        String json = ctx.json().writeValueAsString(report);
        // In its own transaction, like progress: the job's row must never be locked by the step's long transaction.
        services.ownTransaction().executeWithoutResult(status ->
                services.jobs().report(ctx.job().id(), json, OffsetDateTime.now(ZoneOffset.UTC)));
    }
}
