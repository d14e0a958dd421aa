package com.seedsq.api.models;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.api.testing.TinyHfLlama;
import com.seedsq.api.testing.TinyLlama2c;
import com.seedsq.api.testing.TinyTokenizer;
import com.seedsq.engine.format.gguf.GgufModelTest;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceVocab;
import com.seedsq.storage.artifact.ArtifactStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model, dataset and chunked-upload API end to end over HTTP, with real inspection by the engine. Subclasses
 * run it on the embedded defaults (H2 + local directory) and on PostgreSQL + a real S3 server.
 */
abstract class ModelAndDatasetApiSupport {

    static final String ADMIN_KEY = "test-admin-key";

    @LocalServerPort
    int port;

    @Autowired
    ArtifactStore store;

    @Autowired
    com.seedsq.api.uploads.ChunkedUploads chunkedUploads;

    @Autowired
    org.springframework.jdbc.core.JdbcTemplate jdbc;

    @TempDir
    Path tmp;

    ApiClient admin;
    ApiClient acme;
    ApiClient globex;
    String acmeTenant;

    @BeforeEach
    void keys() {
        admin = new ApiClient(port, ADMIN_KEY);
        acmeTenant = "acme-" + UUID.randomUUID().toString().substring(0, 8);
        acme = admin.withKey(newKey(acmeTenant));
        globex = admin.withKey(newKey("globex-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    private String newKey(String tenant) {
        var r = admin.postJson("/api/v1/api-keys", Map.of("tenant", tenant, "name", "test", "admin", false));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().path("key").asString();
    }

    @Test
    void requestsWithoutAValidKeyAreRefusedAsProblemJson() {
        var none = admin.withKey(null).get("/api/v1/models");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.contentType()).startsWith("application/problem+json");
        assertThat(admin.withKey("sq_wrong").get("/api/v1/models").status()).isEqualTo(401);
        assertThat(acme.get("/api/v1/api-keys").status()).isEqualTo(403);
    }

    @Test
    void uploadInspectListGetDeleteAndTenantIsolation() throws Exception {
        Path bin = TinyLlama2c.write(tmp.resolve("tiny.bin"), false);
        var created = acme.postMultipart("/api/v1/models", Map.of("name", List.of("tiny"), "files", List.of(bin)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        var model = created.json();
        String id = model.path("id").asString();
        assertThat(model.path("format").asString()).isEqualTo("llama2c");
        assertThat(model.path("layers").asInt()).isEqualTo(TinyLlama2c.LAYERS);
        assertThat(model.path("hiddenSize").asInt()).isEqualTo(TinyLlama2c.DIM);
        assertThat(model.path("vocabSize").asInt()).isEqualTo(TinyLlama2c.VOCAB);
        assertThat(model.path("dtype").asString()).isEqualTo("F32");
        assertThat(model.path("files").get(0).path("sha256").asString()).isEqualTo(sha256(bin));

        String prefix = "tenants/" + acmeTenant + "/models/" + id + "/";
        assertThat(store.list(prefix)).hasSize(1);
        assertThat(acme.get("/api/v1/models").json().size()).isEqualTo(1);
        assertThat(acme.get("/api/v1/models/" + id).status()).isEqualTo(200);

        // Another tenant sees nothing, even with the id.
        assertThat(globex.get("/api/v1/models").json().size()).isZero();
        var guessed = globex.get("/api/v1/models/" + id);
        assertThat(guessed.status()).isEqualTo(404);
        assertThat(guessed.contentType()).startsWith("application/problem+json");
        assertThat(globex.delete("/api/v1/models/" + id).status()).isEqualTo(404);

        assertThat(acme.delete("/api/v1/models/" + id).status()).isEqualTo(204);
        assertThat(acme.get("/api/v1/models/" + id).status()).isEqualTo(404);
        assertThat(store.list(prefix)).isEmpty();
    }

    @Test
    void badModelsAreRejectedWithTheReasonAndLeaveNothingStored() throws Exception {
        Path good = TinyLlama2c.write(tmp.resolve("good.bin"), false);
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = Files.write(tmp.resolve("truncated.bin"), Arrays.copyOf(bytes, bytes.length / 2));
        var r = acme.postMultipart("/api/v1/models", Map.of("name", List.of("t"), "files", List.of(truncated)));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().path("detail").asString()).contains("truncated.bin");
        assertThat(r.json().path("file").asString()).isEqualTo("truncated.bin");

        Path nan = TinyLlama2c.write(tmp.resolve("nan.bin"), true);
        r = acme.postMultipart("/api/v1/models", Map.of("name", List.of("n"), "files", List.of(nan)));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().path("tensor").asString()).as(r.body()).isNotEmpty();

        Path empty = Files.write(tmp.resolve("empty.bin"), new byte[0]);
        r = acme.postMultipart("/api/v1/models", Map.of("name", List.of("e"), "files", List.of(empty)));
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().path("detail").asString()).contains("empty");

        Path notAModel = Files.writeString(tmp.resolve("notes.txt"), "hello");
        r = acme.postMultipart("/api/v1/models", Map.of("name", List.of("x"), "files", List.of(notAModel)));
        assertThat(r.status()).as(r.body()).isEqualTo(422);

        assertThat(acme.get("/api/v1/models").json().size()).isZero();
        assertThat(store.list("tenants/" + acmeTenant + "/")).isEmpty();
    }

    @Test
    void huggingFaceSafetensorsUploadsAreInspectedAndDefectsNamed() throws Exception {
        Path good = TinyHfLlama.write(tmp.resolve("good"), TinyHfLlama.Defect.NONE);
        var ok = acme.postMultipart("/api/v1/models", Map.of("name", List.of("hf"), "files",
                List.of(good.resolve("config.json"), good.resolve("model.safetensors"))));
        assertThat(ok.status()).as(ok.body()).isEqualTo(201);
        assertThat(ok.json().path("format").asString()).isEqualTo("hf");
        assertThat(ok.json().path("architecture").asString()).isEqualTo("llama");

        // A header that claims more bytes than the file has: cut the file short.
        Path cut = Files.createDirectories(tmp.resolve("cut"));
        Files.copy(good.resolve("config.json"), cut.resolve("config.json"));
        byte[] st = Files.readAllBytes(good.resolve("model.safetensors"));
        Files.write(cut.resolve("model.safetensors"), Arrays.copyOf(st, st.length - 100));
        expectRejected(cut, "model.safetensors", null);

        // Garbage where the header should be.
        Path corrupt = Files.createDirectories(tmp.resolve("corrupt"));
        Files.copy(good.resolve("config.json"), corrupt.resolve("config.json"));
        byte[] bad = st.clone();
        for (int i = 8; i < 40; i++) {
            bad[i] = (byte) 0xff;
        }
        Files.write(corrupt.resolve("model.safetensors"), bad);
        expectRejected(corrupt, "model.safetensors", null);

        expectRejected(TinyHfLlama.write(tmp.resolve("shape"), TinyHfLlama.Defect.WRONG_SHAPE), null,
                "model.layers.0.self_attn.q_proj.weight");
        expectRejected(TinyHfLlama.write(tmp.resolve("missing"), TinyHfLlama.Defect.MISSING_TENSOR), null,
                "model.layers.0.mlp.down_proj.weight");
        var unknown = expectRejected(TinyHfLlama.write(tmp.resolve("arch"), TinyHfLlama.Defect.UNKNOWN_ARCHITECTURE),
                null, null);
        assertThat(unknown.json().path("detail").asString()).contains("gpt_bigcode");

        assertThat(acme.get("/api/v1/models").json().size()).isEqualTo(1);
    }

    private ApiClient.Response expectRejected(Path dir, String file, String tensor) {
        var r = acme.postMultipart("/api/v1/models", Map.of("name", List.of("bad"), "files",
                List.of(dir.resolve("config.json"), dir.resolve("model.safetensors"))));
        assertThat(r.status()).as(dir + ": " + r.body()).isEqualTo(422);
        assertThat(r.contentType()).startsWith("application/problem+json");
        if (file != null) {
            assertThat(r.json().path("detail").asString()).as(r.body()).contains(file);
        }
        if (tensor != null) {
            assertThat(r.json().path("tensor").asString()).as(r.body()).isEqualTo(tensor);
        }
        return r;
    }

    /**
     * A single GGUF file (llama.cpp's layout, its tokenizer embedded) is inspected like the other formats; truncated
     * or with a broken header it is refused naming the file, and nothing is stored. The GGUF is written by the
     * engine's test fixture from the tiny llama2.c model, as F16.
     */
    @Test
    void ggufUploadsAreInspectedAndCorruptOnesRefused() throws Exception {
        Path bin = TinyLlama2c.write(tmp.resolve("tiny.bin"), false);
        Path gguf = tmp.resolve("tiny.gguf");
        try (Model m = Model.open(bin)) {
            GgufModelTest.writeGguf(m, SentencePieceVocab.load(TinyTokenizer.write(tmp.resolve("tok.bin"))), gguf,
                    true);
        }
        var created = acme.postMultipart("/api/v1/models", Map.of("name", List.of("tiny-gguf"), "files",
                List.of(gguf)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().path("format").asString()).isEqualTo("gguf");
        assertThat(created.json().path("layers").asInt()).isEqualTo(TinyLlama2c.LAYERS);
        assertThat(created.json().path("dtype").asString()).isEqualTo("F16");

        byte[] bytes = Files.readAllBytes(gguf);
        Path truncated = Files.write(tmp.resolve("truncated.gguf"), Arrays.copyOf(bytes, bytes.length * 2 / 3));
        byte[] badHeader = bytes.clone();
        for (int i = 8; i < 24; i++) {
            badHeader[i] = (byte) 0xff; // version and counts: absurd tensor and key counts
        }
        Path broken = Files.write(tmp.resolve("broken.gguf"), badHeader);
        for (Path bad : List.of(truncated, broken)) {
            var r = acme.postMultipart("/api/v1/models", Map.of("name", List.of("bad"), "files", List.of(bad)));
            assertThat(r.status()).as(bad + ": " + r.body()).isEqualTo(422);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.json().path("detail").asString()).as(r.body()).contains(bad.getFileName().toString());
        }
        assertThat(acme.get("/api/v1/models").json().size()).isEqualTo(1);
    }

    @Test
    void pathTraversalInFileNamesIsRefused() {
        for (String name : List.of("../evil.bin", "a/b.bin", "..", "a\\b.bin")) {
            var r = acme.postJson("/api/v1/uploads", Map.of("kind", "model", "name", "m",
                    "files", List.of(Map.of("path", name, "size", 10))));
            assertThat(r.status()).as(name + ": " + r.body()).isEqualTo(400);
            assertThat(r.json().path("type").asString()).endsWith("invalid-file-name");
        }
    }

    @Test
    void chunkedUploadResumesAndCompletes() throws Exception {
        Path bin = TinyLlama2c.write(tmp.resolve("tiny.bin"), false);
        byte[] bytes = Files.readAllBytes(bin);
        int half = bytes.length / 2;
        var created = acme.postJson("/api/v1/uploads", Map.of("kind", "model", "name", "tiny-chunked",
                "files", List.of(Map.of("path", "tiny.bin", "size", bytes.length))));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String upload = "/api/v1/uploads/" + created.json().path("id").asString();

        // The second part arrives first; the client is then "interrupted".
        assertThat(acme.putBytes(upload + "/files/0/parts/2", Arrays.copyOfRange(bytes, half, bytes.length)).status())
                .isEqualTo(200);
        var status = acme.get(upload).json();
        assertThat(status.path("files").get(0).path("parts").size()).isEqualTo(1);
        assertThat(status.path("files").get(0).path("receivedBytes").asLong()).isEqualTo(bytes.length - half);

        var early = acme.post(upload + "/complete");
        assertThat(early.status()).as(early.body()).isEqualTo(409);
        assertThat(early.json().path("detail").asString()).contains("part 1 is missing");

        // Resume: send what is missing (and resend part 2, which replaces it), then complete. A part is the raw
        // body whatever Content-Type the client sends (curl's default is form-urlencoded).
        assertThat(acme.putBytes(upload + "/files/0/parts/1", Arrays.copyOfRange(bytes, 0, half),
                "application/x-www-form-urlencoded").status()).isEqualTo(200);
        assertThat(acme.putBytes(upload + "/files/0/parts/2", Arrays.copyOfRange(bytes, half, bytes.length)).status())
                .isEqualTo(200);
        var done = acme.post(upload + "/complete");
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        String modelId = done.json().path("resultId").asString();

        var model = acme.get("/api/v1/models/" + modelId).json();
        assertThat(model.path("files").get(0).path("sha256").asString()).isEqualTo(sha256(bin));
        assertThat(acme.get(upload).json().path("status").asString()).isEqualTo("COMPLETED");
        assertThat(store.list("tenants/" + acmeTenant + "/uploads/")).isEmpty();
        assertThat(globex.get(upload).status()).isEqualTo(404);
    }

    @Test
    void abandonedChunkedUploadsExpireAndLeaveNoParts() throws Exception {
        var created = acme.postJson("/api/v1/uploads", Map.of("kind", "model", "name", "abandoned",
                "files", List.of(Map.of("path", "tiny.bin", "size", 1000))));
        String id = created.json().path("id").asString();
        assertThat(acme.putBytes("/api/v1/uploads/" + id + "/files/0/parts/1", new byte[500]).status()).isEqualTo(200);
        String parts = "tenants/" + acmeTenant + "/uploads/" + id + "/";
        assertThat(store.list(parts)).hasSize(1);

        assertThat(chunkedUploads.expireAbandoned()).as("a fresh upload is not abandoned").isZero();
        jdbc.update("UPDATE sq_upload SET updated_at = ? WHERE id = ?",
                java.time.OffsetDateTime.now().minusDays(2), id);
        assertThat(chunkedUploads.expireAbandoned()).isEqualTo(1);

        assertThat(acme.get("/api/v1/uploads/" + id).json().path("status").asString()).isEqualTo("ABORTED");
        assertThat(store.list(parts)).isEmpty();
        assertThat(acme.putBytes("/api/v1/uploads/" + id + "/files/0/parts/2", new byte[500]).status()).isEqualTo(409);
    }

    @Test
    void oversizeUploadsAreRefusedUpFront() {
        var r = acme.postJson("/api/v1/uploads", Map.of("kind", "model", "name", "huge",
                "files", List.of(Map.of("path", "huge.bin", "size", 1L << 40))));
        assertThat(r.status()).as(r.body()).isEqualTo(413);
        assertThat(r.json().path("type").asString()).endsWith("upload-too-large");
    }

    @Test
    void datasetsAreValidatedStoredAndDeleted() throws Exception {
        Path text = Files.writeString(tmp.resolve("calib.txt"), "Once upon a time.\n\nThe end.\n");
        var r = acme.postMultipart("/api/v1/datasets", Map.of("file", List.of(text)));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().path("format").asString()).isEqualTo("text");
        assertThat(r.json().path("sha256").asString()).isEqualTo(sha256(text));
        String id = r.json().path("id").asString();

        Path badJsonl = Files.writeString(tmp.resolve("eval.jsonl"), "{\"text\":\"ok\"}\n{\"txt\":\"no\"}\n");
        var bad = acme.postMultipart("/api/v1/datasets", Map.of("file", List.of(badJsonl)));
        assertThat(bad.status()).as(bad.body()).isEqualTo(422);
        assertThat(bad.json().path("line").asInt()).isEqualTo(2);

        Path latin1 = Files.write(tmp.resolve("latin1.txt"), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(acme.postMultipart("/api/v1/datasets", Map.of("file", List.of(latin1))).status()).isEqualTo(422);

        assertThat(globex.get("/api/v1/datasets/" + id).status()).isEqualTo(404);
        assertThat(acme.get("/api/v1/datasets").json().size()).isEqualTo(1);
        assertThat(acme.delete("/api/v1/datasets/" + id).status()).isEqualTo(204);
        assertThat(store.list("tenants/" + acmeTenant + "/datasets/")).isEmpty();
    }

    static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
