package com.seedsq.api.remote;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.api.testing.TinyLlama2c;
import com.seedsq.api.testing.TinyTokenizer;
import tools.jackson.databind.JsonNode;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** What the remote-runner tests do through the API: upload, submit, wait, fingerprint the artifacts. */
final class RemoteJobs {

    private RemoteJobs() {
    }

    /**
     * The artifacts that depend only on the job's inputs; report.json (ids, times) and latencies do not. The
     * export's provenance file records when it was written ({@code created}): it is compared without that field.
     */
    static final Predicate<String> DETERMINISTIC = name -> name.startsWith("int8-model/")
            || name.equals("calibration/activation-stats.safetensors") || name.equals("smoothing/factors.safetensors")
            || name.equals("evaluation.json") || name.equals("calibration.json");

    static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder()
            .build();

    /** stories260K with a TinyStories sample (calibration) and WikiText-2 (evaluation); generated ones if absent. */
    static Map<String, Object> uploadModelAndData(ApiClient api, Path tmp) throws Exception {
        Path shared = Path.of(System.getProperty("sq.shared.dir", "../shared"), "data");
        Path bin = shared.resolve("models/stories260K/stories260K.bin");
        Path tok = shared.resolve("models/stories260K/tok512.bin");
        Path calibration = shared.resolve("text/tinystories-sample.txt");
        Path evaluation = shared.resolve("text/wikitext-2-raw-test.txt");
        int evalTokens = 6000;
        if (!Files.exists(bin) || !Files.exists(tok) || !Files.exists(calibration) || !Files.exists(evaluation)) {
            System.err.println("remote runner tests: stories260K or the texts are missing under " + shared
                    + "; using a generated tiny llama2.c model and generated text instead");
            bin = TinyLlama2c.write(tmp.resolve("tiny.bin"), false);
            tok = TinyTokenizer.write(tmp.resolve("tokenizer.bin"));
            StringBuilder text = new StringBuilder();
            while (text.length() < 400_000) {
                text.append("once upon a time, there was a little model. it liked small numbers.\n");
            }
            calibration = Files.writeString(tmp.resolve("calibration.txt"), text.substring(0, 20_000));
            evaluation = Files.writeString(tmp.resolve("evaluation.txt"), text);
            evalTokens = 150_000;
        }
        String modelId = api.postMultipart("/api/v1/models", Map.of("name", List.of("tiny"), "files",
                List.of(bin, tok))).json().path("id").asString();
        String calibId = api.postMultipart("/api/v1/datasets", Map.of("file", List.of(calibration))).json()
                .path("id").asString();
        String evalId = api.postMultipart("/api/v1/datasets", Map.of("file", List.of(evaluation))).json()
                .path("id").asString();
        Map<String, Object> spec = new HashMap<>();
        spec.put("modelId", modelId);
        spec.put("calibration", Map.of("datasetId", calibId, "samples", 8, "seqLen", 32));
        spec.put("alpha", "0.5");
        spec.put("level", "O1");
        spec.put("evaluation", Map.of("datasetIds", List.of(evalId), "maxTokens", evalTokens));
        spec.put("benchmark", Map.of("batchSizes", List.of(1), "seqLens", List.of(16), "decodeTokens", 4));
        spec.put("backend", "cpu");
        return spec;
    }

    static String submit(ApiClient api, Map<String, Object> spec) {
        ApiClient.Response r = api.postJson("/api/v1/jobs", spec);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("id").asString();
    }

    static boolean isFinal(JsonNode j) {
        return j.path("status").asString().matches("COMPLETED|FAILED|CANCELLED");
    }

    static JsonNode awaitJob(ApiClient api, String jobId, Predicate<JsonNode> until, Duration timeout)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = api.get("/api/v1/jobs/" + jobId).json();
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job " + jobId + " did not reach the expected state in " + timeout + "; last: " + last);
    }

    /** Waits until at least {@code count} runners are listed alive; returns the list. */
    static JsonNode awaitRunners(ApiClient api, int count) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = api.get("/api/v1/runners").json();
            int alive = 0;
            for (JsonNode r : last) {
                alive += r.path("alive").asBoolean() ? 1 : 0;
            }
            if (alive >= count) {
                return last;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("fewer than " + count + " runners alive after 60 s: " + last);
    }

    /** Waits until the runner list shows {@code name} with {@code alive}; returns its entry. */
    static JsonNode awaitRunner(ApiClient api, String name, boolean alive) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = api.get("/api/v1/runners").json();
            for (JsonNode r : last) {
                if (r.path("name").asString().equals(name) && r.path("alive").asBoolean() == alive) {
                    return r;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError(name + " not listed with alive=" + alive + " after 60 s: " + last);
    }

    /** After a restart request: waits until the job ends again (done, or failed with another message). */
    static JsonNode awaitRestarted(ApiClient api, String jobId, String previousFailure) throws InterruptedException {
        return awaitJob(api, jobId, j -> isFinal(j) && !(j.path("status").asString().equals("FAILED")
                && j.path("message").asString().equals(previousFailure)), Duration.ofMinutes(5));
    }

    /** sha256 of every deterministic artifact, downloaded through the presigned URLs the API hands out. */
    static Map<String, String> deterministicArtifacts(ApiClient api, String jobId) throws Exception {
        Map<String, String> out = new TreeMap<>();
        HttpClient http = HttpClient.newHttpClient();
        for (JsonNode a : api.get("/api/v1/jobs/" + jobId + "/artifacts").json()) {
            String name = a.path("name").asString();
            if (!DETERMINISTIC.test(name)) {
                continue;
            }
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(a.path("url").asString()))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).as(name).isEqualTo(200);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = r.body()) {
                byte[] bytes = in.readAllBytes();
                if (name.equals("int8-model/sq_export.json")) {
                    var provenance = (tools.jackson.databind.node.ObjectNode) JSON.readTree(bytes);
                    assertThat(provenance.remove("created")).as("sq_export.json created").isNotNull();
                    bytes = JSON.writeValueAsBytes(provenance);
                }
                sha.update(bytes);
            }
            out.put(name, HexFormat.of().formatHex(sha.digest()));
        }
        return out;
    }

}
