package com.seedsq.api.jobs;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.api.testing.TinyHfBert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job on an encoder (a small random BERT with its WordPiece vocab.txt), on the embedded defaults: calibration on
 * the last blocks of the text, masked-LM accuracy and pseudo-perplexity on the first blocks for fp32, naive and the
 * SmoothQuant level, a prefill-only benchmark (an encoder has no decode), and the same spec checks as decoders.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:mem:jobs-mlm;DB_CLOSE_DELAY=-1",
        "sq.storage.local.root=./target/test-data/jobs-mlm",
        "sq.jobs.work-dir=./target/test-data/jobs-mlm-work",
        "sq.security.bootstrap-admin-key=" + MaskedLmJobApiTest.ADMIN_KEY})
class MaskedLmJobApiTest {

    static final String ADMIN_KEY = "mlm-admin-key";

    @LocalServerPort
    int port;

    @TempDir
    Path tmp;

    @Test
    void aBertJobReportsMaskedLmAccuracyAndPrefillLatency() throws Exception {
        ApiClient api = new ApiClient(port, ADMIN_KEY);
        Path dir = TinyHfBert.write(tmp.resolve("bert"));
        List<Object> files = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.sorted().forEach(files::add);
        }
        var model = api.postMultipart("/api/v1/models", Map.of("name", List.of("tiny-bert"), "files", files));
        assertThat(model.status()).as(model.body()).isEqualTo(201);
        assertThat(model.json().path("architecture").asString()).as(model.body()).isEqualTo("bert");
        // 2,000 words = 15 blocks of 126 WordPieces (the text has a "." every 12 words, a WordPiece of its own)
        Path text = Files.writeString(tmp.resolve("words.txt"), TinyHfBert.text(1_800));
        var dataset = api.postMultipart("/api/v1/datasets", Map.of("file", List.of(text)));
        assertThat(dataset.status()).as(dataset.body()).isEqualTo(201);
        String modelId = model.json().path("id").asString(), dataId = dataset.json().path("id").asString();

        Map<String, Object> spec = new HashMap<>();
        spec.put("modelId", modelId);
        spec.put("calibration", Map.of("datasetId", dataId, "samples", 4));
        // no alpha: BERT's default is auto (a fixed α at all four post-LN sites can be worse than naive)
        spec.put("level", "O1");
        spec.put("evaluation", Map.of("datasetIds", List.of(dataId), "sequences", 6));
        spec.put("benchmark", Map.of("batchSizes", List.of(1), "seqLens", List.of(64), "decodeTokens", 4));
        spec.put("backend", "cpu");

        // calibration (the last 4 blocks) and evaluation (the first 20) cannot both fit: refused, naming the field
        Map<String, Object> overlapping = new HashMap<>(spec);
        overlapping.put("evaluation", Map.of("datasetIds", List.of(dataId), "sequences", 20));
        JsonNode refused = run(api, overlapping);
        assertThat(refused.path("status").asString()).isEqualTo("FAILED");
        assertThat(refused.path("message").asString()).as(refused.toString())
                .contains("evaluation.sequences").contains("overlap");

        JsonNode done = run(api, spec);
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("COMPLETED");
        JsonNode report = api.get("/api/v1/jobs/" + done.path("id").asString() + "/report").json();
        JsonNode results = report.path("evaluation").path("results");
        List<String> variants = new ArrayList<>();
        for (JsonNode r : results) {
            variants.add(r.path("variant").asString());
            assertThat(r.path("metric").asString()).isEqualTo("mlm");
            assertThat(r.path("windows").asInt()).isEqualTo(6);
            assertThat(r.path("seqLen").asInt()).isEqualTo(128);
            // 15 % of 126 positions per sequence, rounded: 19 masked tokens in each of the 6 sequences
            assertThat(r.path("tokens").asLong()).isEqualTo(6 * 19);
            assertThat(r.path("value").asDouble()).as(r.toString()).isBetween(0.0, 1.0);
            // a random 27-token vocabulary: the true token's probability is near 1/27
            assertThat(r.path("pseudoPerplexity").asDouble()).as(r.toString()).isBetween(3.0, 300.0);
        }
        assertThat(variants).containsExactly("fp32", "naive", "o1");
        assertThat(report.path("calibration").path("sequences").asInt()).isEqualTo(4);
        assertThat(report.path("calibration").path("seqLen").asInt()).isEqualTo(128);
        JsonNode points = report.path("benchmark").path("points");
        assertThat(points.size()).isEqualTo(3);
        for (JsonNode p : points) {
            assertThat(p.path("prefillMs").asDouble()).isPositive();
            assertThat(p.path("decodeTokens").asInt()).as("an encoder has no decode").isZero();
        }
        assertThat(report.path("smoothing").path("alpha").asString()).isEqualTo("auto");
        // every BERT site has an explicit scale (post-LN: no norm can absorb 1/s), so smoothing covers all four
        assertThat(report.path("smoothing").path("atlas").size()).isEqualTo(2 * 4);
    }

    /** Submits and waits for the job to end; returns its final status document. */
    private static JsonNode run(ApiClient api, Map<String, Object> spec) throws InterruptedException {
        var submitted = api.postJson("/api/v1/jobs", spec);
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(201);
        String id = submitted.json().path("id").asString();
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (Instant.now().isBefore(deadline)) {
            JsonNode job = api.get("/api/v1/jobs/" + id).json();
            if (List.of("COMPLETED", "FAILED", "CANCELLED").contains(job.path("status").asString())) {
                return job;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + id + " did not finish in 3 minutes");
    }
}
