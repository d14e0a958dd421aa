package com.seedsq.api.jobs;

import com.sun.net.httpserver.HttpServer;
import com.seedsq.api.testing.ApiClient;
import com.seedsq.api.testing.TinyLlama2c;
import com.seedsq.api.testing.TinyTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A quantization job through the public API, as a pipeline would drive it: upload, submit (idempotently), follow the
 * Server-Sent Events to the end, read the report and CSV, download an artifact; plus invalid specs, tenant
 * isolation, cancel + restart and the signed webhook. Uses a small random llama2.c model the test writes, so it
 * needs nothing from ../shared.
 */
abstract class QuantizationJobApiSupport {

    static final String ADMIN_KEY = "test-admin-key";
    static final String WEBHOOK_SECRET = "webhook-test-secret";
    static final List<String> webhookBodies = new CopyOnWriteArrayList<>();
    static final List<String> webhookSignatures = new CopyOnWriteArrayList<>();
    static HttpServer webhookServer;

    @LocalServerPort
    int port;

    @TempDir
    Path tmp;

    ApiClient acme;
    ApiClient globex;
    String acmeKey;

    @BeforeAll
    static void startWebhookReceiver() throws Exception {
        webhookServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhookServer.createContext("/hook", exchange -> {
            String ts = exchange.getRequestHeaders().getFirst("X-SQ-Timestamp");
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            webhookSignatures.add(exchange.getRequestHeaders().getFirst("X-SQ-Signature") + "|" + ts);
            webhookBodies.add(body);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhookServer.start();
    }

    @AfterAll
    static void stopWebhookReceiver() {
        webhookServer.stop(0);
    }

    @BeforeEach
    void keys() {
        ApiClient admin = new ApiClient(port, ADMIN_KEY);
        acmeKey = admin.postJson("/api/v1/api-keys", Map.of("tenant", "acme-" + UUID.randomUUID().toString()
                .substring(0, 8), "name", "t", "admin", false)).json().path("key").asString();
        acme = admin.withKey(acmeKey);
        globex = admin.withKey(admin.postJson("/api/v1/api-keys", Map.of("tenant", "globex", "name", "t", "admin",
                false)).json().path("key").asString());
    }

    /** Uploads the tiny model and a dataset; returns {modelId, datasetId}. */
    String[] uploadModelAndDataset() throws Exception {
        Path bin = TinyLlama2c.write(tmp.resolve("tiny.bin"), false);
        Path tok = TinyTokenizer.write(tmp.resolve("tokenizer.bin"));
        var model = acme.postMultipart("/api/v1/models", Map.of("name", List.of("tiny"), "files", List.of(bin, tok)));
        assertThat(model.status()).as(model.body()).isEqualTo(201);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            text.append("once upon a time, there was a little model. it liked small numbers.\n");
        }
        Path data = Files.writeString(tmp.resolve("stories.txt"), text.toString());
        var dataset = acme.postMultipart("/api/v1/datasets", Map.of("file", List.of(data)));
        assertThat(dataset.status()).as(dataset.body()).isEqualTo(201);
        return new String[] {model.json().path("id").asString(), dataset.json().path("id").asString()};
    }

    static Map<String, Object> spec(String modelId, String datasetId) {
        Map<String, Object> spec = new HashMap<>();
        spec.put("modelId", modelId);
        spec.put("calibration", Map.of("datasetId", datasetId, "samples", 4, "seqLen", 32));
        spec.put("alpha", "0.5");
        spec.put("level", "O1");
        spec.put("evaluation", Map.of("datasetIds", List.of(datasetId), "maxTokens", 310));
        spec.put("benchmark", Map.of("batchSizes", List.of(1, 2), "seqLens", List.of(16, 32), "decodeTokens", 4));
        spec.put("backend", "cpu");
        return spec;
    }

    @Test
    void invalidSpecsAreRefusedWithTheFieldsAtFault() throws Exception {
        String[] ids = uploadModelAndDataset();
        Map<String, Object> bad = spec(ids[0], ids[1]);
        bad.put("alpha", "1.5");
        bad.put("calibration", Map.of("datasetId", "no-such-dataset", "samples", 4, "seqLen", 100_000));
        var r = acme.postJson("/api/v1/jobs", bad);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode fields = r.json().path("fields");
        assertThat(fields.has("alpha")).as(r.body()).isTrue();
        assertThat(fields.has("calibration.seqLen")).as(r.body()).isTrue();
        assertThat(fields.has("calibration.datasetId")).as(r.body()).isTrue();

        Map<String, Object> notYours = spec(ids[0], ids[1]);
        var other = globex.postJson("/api/v1/jobs", notYours);
        assertThat(other.status()).as(other.body()).isEqualTo(400);
        assertThat(other.json().path("fields").has("modelId")).isTrue();

        Map<String, Object> hook = spec(ids[0], ids[1]);
        hook.put("webhookUrl", "http://169.254.169.254/latest/meta-data");
        var refused = acme.postJson("/api/v1/jobs", hook);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("fields").path("webhookUrl").asString()).contains("allowed-hosts");
    }

    @Test
    void aJobRunsToCompletionWithProgressReportArtifactsAndAWebhook() throws Exception {
        String[] ids = uploadModelAndDataset();
        Map<String, Object> spec = spec(ids[0], ids[1]);
        spec.put("webhookUrl", "http://127.0.0.1:" + webhookServer.getAddress().getPort() + "/hook");
        String key = "pipeline-run-" + UUID.randomUUID();
        var submitted = acme.postJsonWithHeader("/api/v1/jobs", spec, "Idempotency-Key", key);
        assertThat(submitted.status()).as(submitted.body()).isEqualTo(201);
        String jobId = submitted.json().path("id").asString();

        // A retried submit is the same job; the same key with another spec is a conflict.
        var retried = acme.postJsonWithHeader("/api/v1/jobs", spec, "Idempotency-Key", key);
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.json().path("id").asString()).isEqualTo(jobId);
        Map<String, Object> changed = new HashMap<>(spec);
        changed.put("level", "O2");
        assertThat(acme.postJsonWithHeader("/api/v1/jobs", changed, "Idempotency-Key", key).status()).isEqualTo(409);

        List<JsonNode> events = followEvents(jobId);
        JsonNode last = events.getLast();
        assertThat(last.path("status").asString()).as(last.toString()).isEqualTo("COMPLETED");
        assertThat(last.path("percent").asDouble()).isEqualTo(100.0);
        // Events arrive as the job's row changes (sampled twice a second): percent never goes back.
        List<Double> percents = events.stream().map(e -> e.path("percent").asDouble()).toList();
        assertThat(percents).isSorted();
        assertThat(last.path("currentStep").asString()).isEqualTo("package");

        JsonNode report = acme.get("/api/v1/jobs/" + jobId + "/report").json();
        JsonNode results = report.path("evaluation").path("results");
        assertThat(results.size()).isEqualTo(3);
        List<String> variants = new ArrayList<>();
        for (JsonNode r : results) {
            variants.add(r.path("variant").asString());
            assertThat(r.path("tokens").asLong()).isEqualTo(310);
            // A random model is near-uniform over its 32 tokens: perplexity must be finite and of that order.
            assertThat(r.path("value").asDouble()).as(r.toString()).isBetween(5.0, 200.0);
        }
        assertThat(variants).containsExactly("fp32", "naive", "o1");
        assertThat(report.path("benchmark").path("points").size()).isEqualTo(3 * 4);
        assertThat(report.path("benchmark").path("points").get(0).path("prefillMs").asDouble()).isPositive();
        // Memory per point, counted from the buffers. FP32 holds its tensors as loaded (the quantization report's
        // fpBytes); an INT8 variant its codes, scales and FP tensors (int8Bytes) plus the kernel's packed copy of the
        // codes, which on this tiny model (panels padded to 48 columns) is larger than the codes themselves. The
        // peak is the sum of weights, KV cache and what a prefill allocated.
        long fpBytes = report.path("quantization").path("fpBytes").asLong();
        long int8Bytes = report.path("quantization").path("int8Bytes").asLong();
        for (JsonNode p : report.path("benchmark").path("points")) {
            JsonNode mem = p.path("memory");
            if (p.path("variant").asString().equals("fp32")) {
                assertThat(mem.path("weightBytes").asLong()).as(p.toString()).isEqualTo(fpBytes);
            } else {
                assertThat(mem.path("weightBytes").asLong()).as(p.toString()).isGreaterThanOrEqualTo(int8Bytes);
            }
            // F32 keys and values of every layer for the prompt and the decode steps
            assertThat(mem.path("kvCacheBytes").asLong()).as(p.toString()).isEqualTo(2L * 4 * TinyLlama2c.LAYERS
                    * (p.path("seqLen").asInt() + p.path("decodeTokens").asInt())
                    * (TinyLlama2c.KV_HEADS * (TinyLlama2c.DIM / TinyLlama2c.HEADS)));
            assertThat(mem.path("activationBytes").asLong()).as(p.toString()).isPositive();
            assertThat(mem.path("peakBytes").asLong()).as(p.toString()).isEqualTo(mem.path("weightBytes").asLong()
                    + mem.path("kvCacheBytes").asLong() + mem.path("activationBytes").asLong());
        }
        JsonNode quantization = report.path("quantization");
        assertThat(quantization.path("int8Bytes").asLong()).isPositive()
                .isLessThan(quantization.path("fpBytes").asLong());
        assertThat(quantization.path("linearErrors").size()).isEqualTo(TinyLlama2c.LAYERS * 7);
        assertThat(report.path("smoothing").path("alpha").asString()).isEqualTo("0.5");
        assertThat(report.path("smoothing").path("atlas").size()).isEqualTo(TinyLlama2c.LAYERS * 4);
        assertThat(report.path("calibration").path("sequences").asInt()).isEqualTo(4);

        String csv = acme.get("/api/v1/jobs/" + jobId + "/report.csv").body();
        assertThat(csv.lines().filter(l -> l.startsWith("evaluation,"))).hasSize(3);
        assertThat(csv.lines().filter(l -> l.startsWith("benchmark,"))).hasSize(12);
        assertThat(csv.lines().findFirst().orElseThrow()).endsWith(",peak_memory_bytes");

        JsonNode artifacts = acme.get("/api/v1/jobs/" + jobId + "/artifacts").json();
        JsonNode reportArtifact = null;
        for (JsonNode a : artifacts) {
            if (a.path("name").asString().equals("report.json")) {
                reportArtifact = a;
            }
        }
        assertThat(reportArtifact).as(artifacts.toString()).isNotNull();
        List<String> names = new ArrayList<>();
        artifacts.forEach(a -> names.add(a.path("name").asString()));
        assertThat(names).contains("calibration/activation-stats.safetensors", "smoothing/factors.safetensors",
                "evaluation.json", "benchmark.json", "quantization.json", "int8-model/config.json",
                "int8-model/model.safetensors", "int8-model/tokenizer.bin", "int8-model/sq_export.json");
        // The INT8 model downloads, and says what it is in its config.
        String int8Config = null;
        for (JsonNode a : artifacts) {
            if (a.path("name").asString().equals("int8-model/config.json")) {
                int8Config = download(a.path("url").asString());
            }
        }
        assertThat(JsonMapper.builder().build().readTree(int8Config).path("quantization_config")
                .path("quant_method").asString()).isEqualTo("compressed-tensors");
        String downloaded = download(reportArtifact.path("url").asString());
        assertThat(JsonMapper.builder().build().readTree(downloaded).path("jobId").asString()).isEqualTo(jobId);

        assertThat(globex.get("/api/v1/jobs/" + jobId).status()).isEqualTo(404);
        assertThat(globex.get("/api/v1/jobs/" + jobId + "/artifacts").status()).isEqualTo(404);

        awaitWebhook(jobId);
    }

    @Test
    void aCancelledJobStopsAndARestartCompletesIt() throws Exception {
        String[] ids = uploadModelAndDataset();
        // Jobs run one at a time: the second waits behind the first, so it is cancelled before it starts working.
        String first = acme.postJson("/api/v1/jobs", spec(ids[0], ids[1])).json().path("id").asString();
        String second = acme.postJson("/api/v1/jobs", spec(ids[0], ids[1])).json().path("id").asString();
        var cancel = acme.post("/api/v1/jobs/" + second + "/cancel");
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(202);

        assertThat(followEvents(first).getLast().path("status").asString()).isEqualTo("COMPLETED");
        JsonNode cancelled = followEvents(second).getLast();
        assertThat(cancelled.path("status").asString()).as(cancelled.toString()).isEqualTo("CANCELLED");
        assertThat(acme.get("/api/v1/jobs/" + second + "/report").status()).isEqualTo(409);

        var restart = acme.post("/api/v1/jobs/" + second + "/restart");
        assertThat(restart.status()).as(restart.body()).isEqualTo(202);
        assertThat(followEvents(second).getLast().path("status").asString()).isEqualTo("COMPLETED");
        assertThat(acme.post("/api/v1/jobs/" + second + "/restart").status()).isEqualTo(409);
    }

    @Test
    void progressShowsWithinAStepAndACancelStopsTheRunningStep() throws Exception {
        String[] ids = uploadModelAndDataset();
        StringBuilder text = new StringBuilder();
        while (text.length() < 400_000) {
            text.append("once upon a time, there was a little model. it liked small numbers.\n");
        }
        String longText = acme.postMultipart("/api/v1/datasets", Map.of("file",
                List.of(Files.writeString(tmp.resolve("long.txt"), text)))).json().path("id").asString();
        Map<String, Object> spec = spec(ids[0], longText);
        spec.put("evaluation", Map.of("datasetIds", List.of(longText), "maxTokens", 300_000));
        String jobId = acme.postJson("/api/v1/jobs", spec).json().path("id").asString();

        // Progress commits on its own, so it shows while the step is still running.
        Instant deadline = Instant.now().plusSeconds(120);
        JsonNode job = null;
        while (Instant.now().isBefore(deadline)) {
            job = acme.get("/api/v1/jobs/" + jobId).json();
            if ("evaluate".equals(job.path("currentStep").asString())
                    && job.path("message").asString().contains("window")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(job.path("message").asString()).as(job.toString()).contains("window");
        double midStep = job.path("percent").asDouble();
        assertThat(midStep).isGreaterThan(QuantizeStepsPercent.EVALUATE_START).isLessThan(100);

        long t0 = System.nanoTime();
        var cancel = acme.post("/api/v1/jobs/" + jobId + "/cancel");
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(202);
        assertThat((System.nanoTime() - t0) / 1e9).as("a cancel must not wait for the step to end").isLessThan(5);
        JsonNode last = followEvents(jobId).getLast();
        assertThat(last.path("status").asString()).as(last.toString()).isEqualTo("CANCELLED");
        assertThat(last.path("currentStep").asString()).isEqualTo("evaluate");
    }

    /** Where the evaluate step starts in the job's percent (validate..quantize weigh 40 of 100). */
    static final class QuantizeStepsPercent {
        static final double EVALUATE_START = com.seedsq.jobs.quantize.QuantizeSteps.EVALUATE.overallPercent(0);
    }

    /** Reads the job's event stream to its end (the final status), as a browser's EventSource would. */
    List<JsonNode> followEvents(String jobId) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs/" + jobId
                        + "/events?access_token=" + acmeKey))
                .header("Accept", "text/event-stream").timeout(Duration.ofMinutes(3)).build();
        List<JsonNode> events = new ArrayList<>();
        JsonMapper json = JsonMapper.builder().build();
        try (Stream<String> lines = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines())
                .body()) {
            lines.filter(l -> l.startsWith("data:")).forEach(l -> events.add(json.readTree(l.substring(5))));
        }
        assertThat(events).isNotEmpty();
        return events;
    }

    private String download(String url) throws Exception {
        String absolute = url.startsWith("http") ? url : "http://127.0.0.1:" + port + url;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(absolute));
        if (!url.startsWith("http")) {
            b.header("Authorization", "Bearer " + acmeKey);
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(absolute).isEqualTo(200);
        return r.body();
    }

    private void awaitWebhook(String jobId) throws Exception {
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            for (int i = 0; i < webhookBodies.size(); i++) {
                String body = webhookBodies.get(i);
                if (body.contains(jobId)) {
                    assertThat(body).contains("\"status\":\"COMPLETED\"");
                    String[] sig = webhookSignatures.get(i).split("\\|");
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(new SecretKeySpec(WEBHOOK_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                    String expected = "sha256=" + HexFormat.of().formatHex(
                            mac.doFinal((sig[1] + "." + body).getBytes(StandardCharsets.UTF_8)));
                    assertThat(sig[0]).isEqualTo(expected);
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no webhook for job " + jobId + " within 20 s; got " + webhookBodies);
    }
}
