package com.seedsq.api.models;

import com.seedsq.api.error.ApiProblem;
import com.seedsq.api.uploads.UploadProperties;
import com.seedsq.jobs.model.ModelInspector;
import com.seedsq.jobs.model.ModelSummary;
import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.artifact.StoredObject;
import com.seedsq.storage.metadata.ModelFileRecord;
import com.seedsq.storage.metadata.ModelRecord;
import com.seedsq.storage.metadata.Models;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Turns staged files into a model: inspect with the engine first, then store, then record. A model that fails
 * inspection leaves nothing behind; a failure while storing deletes what was stored, so the store and the database
 * never disagree. Storage layout: {@code tenants/{tenant}/models/{modelId}/{file}}.
 */
@Service
public class ModelCatalog {

    private final ArtifactStore store;
    private final Models models;
    private final UploadProperties limits;

    public ModelCatalog(ArtifactStore store, Models models, UploadProperties limits) {
        this.store = store;
        this.models = models;
        this.limits = limits;
    }

    public record ModelView(ModelRecord model, List<ModelFileRecord> files) {
    }

    /** A fresh local directory to stage an upload's files in; the caller deletes it with {@link #discard}. */
    public Path newStagingDir() {
        try {
            return Files.createTempDirectory("sq-upload-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Inspects and stores the model staged in {@code dir}. */
    public ModelView register(String tenant, String name, Path dir) {
        long total = sizeOf(dir);
        if (total > limits.maxModelBytes()) {
            throw new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "upload-too-large", "Upload too large",
                    "The model has " + total + " bytes; this server accepts at most " + limits.maxModelBytes()
                            + " (sq.upload.max-model-bytes).", Map.of("bytes", total));
        }
        ModelSummary summary = ModelInspector.inspect(dir);
        String id = UUID.randomUUID().toString();
        String prefix = "tenants/" + tenant + "/models/" + id + "/";
        List<ModelFileRecord> files = new ArrayList<>();
        try {
            for (Path f : list(dir)) {
                String fileName = f.getFileName().toString();
                try (InputStream in = Files.newInputStream(f)) {
                    StoredObject o = store.put(prefix + fileName, in, Files.size(f));
                    files.add(new ModelFileRecord(id, fileName, o.size(), o.sha256Hex(), o.key()));
                }
            }
            ModelRecord record = new ModelRecord(id, tenant, name, summary.format(), summary.architecture(),
                    summary.parameters(), summary.layers(), summary.hiddenSize(), summary.vocabSize(),
                    summary.maxSeqLen(), summary.dtype(), total, OffsetDateTime.now(ZoneOffset.UTC));
            models.insert(record, files);
            return new ModelView(record, files);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(prefix, e);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public ModelView get(String tenant, String id) {
        ModelRecord m = models.find(tenant, id).orElseThrow(() -> ApiProblem.notFound("Model", id));
        return new ModelView(m, models.files(id));
    }

    public List<ModelRecord> list(String tenant) {
        return models.list(tenant);
    }

    /** Deletes the model's row first (so it disappears at once), then its objects. */
    public void delete(String tenant, String id) throws IOException {
        if (!models.delete(tenant, id)) {
            throw ApiProblem.notFound("Model", id);
        }
        store.deletePrefix("tenants/" + tenant + "/models/" + id + "/");
    }

    public void discard(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void deleteQuietly(String prefix, Exception cause) {
        try {
            store.deletePrefix(prefix);
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static long sizeOf(Path dir) {
        try {
            long n = 0;
            for (Path f : list(dir)) {
                n += Files.size(f);
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
