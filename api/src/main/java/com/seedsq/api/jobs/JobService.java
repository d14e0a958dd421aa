package com.seedsq.api.jobs;

import com.seedsq.api.error.ApiProblem;
import com.seedsq.jobs.quantize.JobRunner;
import com.seedsq.jobs.quantize.WebhookNotifier;
import com.seedsq.engine.model.Families;
import com.seedsq.jobs.spec.JobSpec;
import com.seedsq.storage.metadata.Datasets;
import com.seedsq.storage.metadata.JobRecord;
import com.seedsq.storage.metadata.Jobs;
import com.seedsq.storage.metadata.ModelRecord;
import com.seedsq.storage.metadata.Models;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Submission (validated up front, idempotent), lookup, cancel and restart of quantization jobs. */
@Service
public class JobService {

    private final Jobs jobs;
    private final Models models;
    private final Datasets datasets;
    private final JobRunner runner;
    private final WebhookNotifier webhooks;
    private final JsonMapper json = JsonMapper.builder().build();

    public JobService(Jobs jobs, Models models, Datasets datasets, JobRunner runner, WebhookNotifier webhooks) {
        this.jobs = jobs;
        this.models = models;
        this.datasets = datasets;
        this.runner = runner;
        this.webhooks = webhooks;
    }

    public record Submitted(JobRecord job, boolean created) {
    }

    static final int MASKED_LM_SEQ_LEN = 128;

    /** An encoder family (BERT): its jobs measure masked-LM accuracy instead of perplexity. */
    private static boolean isEncoder(ModelRecord model) {
        return Families.all().stream().anyMatch(f -> f.name().equals(model.architecture()) && !f.causal());
    }

    public Submitted submit(String tenant, JobSpec requested, String idempotencyKey) {
        JobSpec spec = requested.withDefaults();
        Map<String, String> problems = new LinkedHashMap<>(spec.problems());
        if (!problems.containsKey("modelId")) {
            ModelRecord model = models.find(tenant, spec.modelId()).orElse(null);
            Integer askedSeqLen = requested.calibration() == null ? null : requested.calibration().seqLen();
            if (model == null) {
                problems.put("modelId", "no model with id '" + spec.modelId() + "'");
            } else if (isEncoder(model)) {
                // the masked-LM protocol fixes the sequence: [CLS] + 126 WordPieces + [SEP]
                if (askedSeqLen != null && askedSeqLen != MASKED_LM_SEQ_LEN) {
                    problems.put("calibration.seqLen", "masked-LM models (" + model.architecture() + ") run the "
                            + "protocol's fixed " + MASKED_LM_SEQ_LEN + " ([CLS] + 126 WordPieces + [SEP]); leave it "
                            + "out or set " + MASKED_LM_SEQ_LEN + ", was " + askedSeqLen);
                }
                spec = spec.withCalibrationSeqLen(MASKED_LM_SEQ_LEN);
            } else if (spec.calibration().seqLen() > model.maxSeqLen()) {
                problems.put("calibration.seqLen", "must not exceed the model's maximum sequence length "
                        + model.maxSeqLen() + ", was " + spec.calibration().seqLen());
            }
        }
        if (!problems.containsKey("calibration.datasetId") && datasets.find(tenant, spec.calibration().datasetId())
                .isEmpty()) {
            problems.put("calibration.datasetId", "no dataset with id '" + spec.calibration().datasetId() + "'");
        }
        for (String id : spec.evaluation().datasetIds()) {
            if (datasets.find(tenant, id).isEmpty()) {
                problems.put("evaluation.datasetIds", "no dataset with id '" + id + "'");
            }
        }
        if (spec.webhookUrl() != null) {
            String reason = webhooks.rejectReason(spec.webhookUrl());
            if (reason != null) {
                problems.put("webhookUrl", reason);
            }
        }
        if (!problems.isEmpty()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-job-spec", "Invalid job spec",
                    "The job spec is invalid: " + problems, Map.of("fields", problems));
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            throw ApiProblem.badRequest("invalid-idempotency-key", "Idempotency-Key must be 1 to 200 characters.",
                    Map.of());
        }
        String specJson = json.writeValueAsString(spec);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        JobRecord candidate = new JobRecord(UUID.randomUUID().toString(), tenant, spec.modelId(), specJson,
                sha256(specJson), idempotencyKey, JobRecord.QUEUED, null, 0, null, null, false, null, null, now, null,
                null, now);
        Jobs.Inserted inserted = jobs.insertOrGetIdempotent(candidate);
        if (!inserted.created() && !inserted.job().specHash().equals(candidate.specHash())) {
            throw new ApiProblem(HttpStatus.CONFLICT, "idempotency-key-reused", "Idempotency key reused",
                    "Idempotency-Key '" + idempotencyKey + "' was used for job " + inserted.job().id()
                            + " with a different spec.", Map.of("jobId", inserted.job().id()));
        }
        if (inserted.created()) {
            runner.launch(inserted.job().id());
        }
        return new Submitted(inserted.job(), inserted.created());
    }

    public JobRecord get(String tenant, String id) {
        return jobs.find(tenant, id).orElseThrow(() -> ApiProblem.notFound("Job", id));
    }

    public List<JobRecord> list(String tenant) {
        return jobs.list(tenant);
    }

    public JobRecord cancel(String tenant, String id) {
        JobRecord j = get(tenant, id);
        if (!jobs.requestCancel(id, OffsetDateTime.now(ZoneOffset.UTC))) {
            throw new ApiProblem(HttpStatus.CONFLICT, "job-finished", "Job already finished",
                    "Job " + id + " is " + j.status() + " and cannot be cancelled.", Map.of("status", j.status()));
        }
        return get(tenant, id);
    }

    public JobRecord restart(String tenant, String id) {
        JobRecord j = get(tenant, id);
        if (!jobs.requeue(id, OffsetDateTime.now(ZoneOffset.UTC))) {
            throw new ApiProblem(HttpStatus.CONFLICT, "job-not-restartable", "Job not restartable",
                    "Only FAILED or CANCELLED jobs can be restarted; job " + id + " is " + j.status() + ".",
                    Map.of("status", j.status()));
        }
        runner.restart(j);
        return get(tenant, id);
    }

    public JobSpec spec(JobRecord j) {
        return json.readValue(j.spec(), JobSpec.class);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
