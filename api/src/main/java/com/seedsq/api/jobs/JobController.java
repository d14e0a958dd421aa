package com.seedsq.api.jobs;

import com.seedsq.api.error.ApiProblem;
import com.seedsq.api.security.Caller;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.spec.JobSpec;
import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.artifact.StoredObject;
import com.seedsq.storage.metadata.JobRecord;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.core.io.InputStreamResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@RestController
@RequestMapping("/api/v1/jobs")
@Tag(name = "Jobs", description = "Quantization jobs: submit, follow (status or Server-Sent Events), cancel, restart, "
        + "and read the report and artifacts.")
class JobController {

    private static final Duration DOWNLOAD_URL_VALIDITY = Duration.ofHours(1);

    static final String JOB_EXAMPLE = """
            {"modelId": "5f0c3c9e-6a53-4b0e-9d0a-2f1d8f0a1c11",
             "calibration": {"datasetId": "c561a35e-8f23-4fe7-a937-1d9b6341042c", "samples": 64, "seqLen": 256},
             "alpha": "0.5", "level": "O1", "weights": "tensor",
             "evaluation": {"datasetIds": ["c561a35e-8f23-4fe7-a937-1d9b6341042c"], "maxTokens": 32640},
             "benchmark": {"batchSizes": [1], "seqLens": [128, 256], "decodeTokens": 32},
             "backend": "cpu"}""";

    static final String MINIMAL_JOB_EXAMPLE = """
            {"modelId": "5f0c3c9e-6a53-4b0e-9d0a-2f1d8f0a1c11",
             "calibration": {"datasetId": "c561a35e-8f23-4fe7-a937-1d9b6341042c"}}""";
    /** An encoder: masked-LM accuracy on the first 128 blocks, calibration on the last 128, α = auto (BERT's default). */
    static final String MASKED_LM_JOB_EXAMPLE = """
            {"modelId": "0b7d2a51-3c5e-4f0e-8a34-6c1e2f9b7d20",
             "calibration": {"datasetId": "c561a35e-8f23-4fe7-a937-1d9b6341042c", "samples": 128},
             "level": "O1", "weights": "channel",
             "evaluation": {"datasetIds": ["c561a35e-8f23-4fe7-a937-1d9b6341042c"], "sequences": 128},
             "benchmark": {"batchSizes": [1], "seqLens": [128]}, "backend": "cpu"}""";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    record JobView(String id, String modelId, String status, String currentStep, List<String> steps, double percent,
                   Long etaSeconds, String message, boolean cancelRequested, OffsetDateTime createdAt,
                   OffsetDateTime startedAt, OffsetDateTime finishedAt, JobSpec spec) {

        static JobView of(JobRecord j, JobSpec spec) {
            return new JobView(j.id(), j.modelId(), j.status(), j.currentStep(), QuantizeSteps.names(), j.percent(),
                    j.etaSeconds(), j.message(), j.cancelRequested(), j.createdAt(), j.startedAt(), j.finishedAt(),
                    spec);
        }
    }

    record ArtifactView(String name, long sizeBytes, String url, OffsetDateTime expiresAt) {
    }

    private final JobService service;
    private final ArtifactStore store;
    private final JobEvents events;

    JobController(JobService service, ArtifactStore store, JobEvents events) {
        this.service = service;
        this.store = store;
        this.events = events;
    }

    @PostMapping
    @Operation(summary = "Submit a job", description = """
            Validated up front: a bad spec gets 400 with the offending fields. With an `Idempotency-Key` header, a \
            retried submit returns the same job (200, header `Idempotency-Replayed: true`); the same key with a \
            different spec gets 409. Example body: \
            `{"modelId":"…","calibration":{"datasetId":"…","samples":64,"seqLen":256},"alpha":"0.5","level":"O1",\
            "weights":"channel","evaluation":{"datasetIds":["…"],"maxTokens":32640},\
            "benchmark":{"batchSizes":[1],"seqLens":[128]},"backend":"cpu"}`""")
    ResponseEntity<JobView> submit(Caller caller,
                                   @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                                           mediaType = "application/json", examples = {
                                           @ExampleObject(name = "stories260K, O1, alpha 0.5", value = JOB_EXAMPLE),
                                           @ExampleObject(name = "minimal (defaults for the rest)",
                                                   value = MINIMAL_JOB_EXAMPLE),
                                           @ExampleObject(name = "BERT (masked LM), O1, alpha auto",
                                                   value = MASKED_LM_JOB_EXAMPLE)}))
                                   @RequestBody JobSpec spec,
                                   @Parameter(description = "makes retries of this submit safe")
                                   @RequestHeader(value = "Idempotency-Key", required = false) String key) {
        JobService.Submitted s = service.submit(caller.tenant(), spec, key);
        return ResponseEntity.status(s.created() ? HttpStatus.CREATED : HttpStatus.OK)
                .location(URI.create("/api/v1/jobs/" + s.job().id()))
                .header("Idempotency-Replayed", Boolean.toString(!s.created()))
                .body(JobView.of(s.job(), service.spec(s.job())));
    }

    @GetMapping
    @Operation(summary = "List this tenant's jobs, newest first")
    List<JobView> list(Caller caller) {
        return service.list(caller.tenant()).stream().map(j -> JobView.of(j, service.spec(j))).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "Job status: current step, percent, ETA, and the failure reason if it failed")
    JobView get(Caller caller, @PathVariable String id) {
        JobRecord j = service.get(caller.tenant(), id);
        return JobView.of(j, service.spec(j));
    }

    @GetMapping(path = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "Progress as Server-Sent Events", description = "An event `progress` with the job's status "
            + "each time it changes, ending with the final status. Browsers' EventSource cannot send headers, so the "
            + "API key may be passed as `?access_token=`.")
    SseEmitter events(Caller caller, @PathVariable String id) {
        service.get(caller.tenant(), id); // 404 for another tenant's job before the stream opens
        return events.stream(caller.tenant(), id, j -> JobView.of(j, service.spec(j)));
    }

    @PostMapping("/{id}/cancel")
    @Operation(summary = "Cancel a queued or running job", description = "The running step stops at its next "
            + "progress check; the job ends CANCELLED and can be restarted.")
    ResponseEntity<JobView> cancel(Caller caller, @PathVariable String id) {
        JobRecord j = service.cancel(caller.tenant(), id);
        return ResponseEntity.accepted().body(JobView.of(j, service.spec(j)));
    }

    @PostMapping("/{id}/restart")
    @Operation(summary = "Restart a FAILED or CANCELLED job", description = "A Spring Batch restart: completed steps "
            + "are not run again; the job resumes at the step that failed or was stopped.")
    ResponseEntity<JobView> restart(Caller caller, @PathVariable String id) {
        JobRecord j = service.restart(caller.tenant(), id);
        return ResponseEntity.accepted().body(JobView.of(j, service.spec(j)));
    }

    @GetMapping("/{id}/report")
    @Operation(summary = "The job's report (JSON)", description = "Accuracy and latency of each variant, measured "
            + "on the runner; 409 until the job has completed.")
    JsonNode report(Caller caller, @PathVariable String id) {
        return JSON.readTree(requireReport(service.get(caller.tenant(), id)));
    }

    @GetMapping(path = "/{id}/report.csv", produces = "text/csv")
    @Operation(summary = "The report's tables as CSV")
    ResponseEntity<String> reportCsv(Caller caller, @PathVariable String id) {
        JobRecord j = service.get(caller.tenant(), id);
        return ResponseEntity.ok()
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"report-" + id + ".csv\"")
                .contentType(new MediaType("text", "csv"))
                .body(ReportCsv.of(JSON.readTree(requireReport(j))));
    }

    @GetMapping("/{id}/artifacts")
    @Operation(summary = "The job's artifacts, each with a time-limited download URL")
    List<ArtifactView> artifacts(Caller caller, @PathVariable String id, HttpServletRequest request)
            throws IOException {
        JobRecord j = service.get(caller.tenant(), id);
        String prefix = prefix(j);
        List<ArtifactView> out = new ArrayList<>();
        OffsetDateTime expires = OffsetDateTime.now().plus(DOWNLOAD_URL_VALIDITY);
        for (StoredObject o : store.list(prefix)) {
            String name = o.key().substring(prefix.length());
            // S3 hands out presigned URLs; the local store has none, so its files stream through this API.
            String url = store.presignedGetUrl(o.key(), DOWNLOAD_URL_VALIDITY).map(URI::toString)
                    .filter(u -> u.startsWith("http"))
                    .orElse("/api/v1/jobs/" + id + "/artifacts/" + name);
            out.add(new ArtifactView(name, o.size(), url, url.startsWith("http") ? expires : null));
        }
        return out;
    }

    @GetMapping("/{id}/artifacts/**")
    @Operation(summary = "Download one artifact through the API")
    ResponseEntity<InputStreamResource> download(Caller caller, @PathVariable String id, HttpServletRequest request)
            throws IOException {
        JobRecord j = service.get(caller.tenant(), id);
        String marker = "/artifacts/";
        String uri = request.getRequestURI();
        String name = uri.substring(uri.indexOf(marker) + marker.length());
        String key = prefix(j) + name;
        StoredObject o;
        try {
            o = store.stat(key).orElseThrow(() -> ApiProblem.notFound("Artifact", name));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid-artifact-name", e.getMessage(), Map.of("name", name));
        }
        String file = name.substring(name.lastIndexOf('/') + 1);
        return ResponseEntity.ok()
                .contentLength(o.size())
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"" + file + "\"")
                .body(new InputStreamResource(store.open(key)));
    }

    private static String prefix(JobRecord j) {
        return "tenants/" + j.tenant() + "/jobs/" + j.id() + "/";
    }

    private static String requireReport(JobRecord j) {
        if (j.report() == null) {
            throw new ApiProblem(HttpStatus.CONFLICT, "report-not-ready", "Report not ready",
                    "Job " + j.id() + " is " + j.status() + "; its report exists once it has completed.",
                    Map.of("status", j.status()));
        }
        return j.report();
    }
}
