package com.seedsq.api.uploads;

import com.seedsq.api.datasets.DatasetCatalog;
import com.seedsq.api.error.ApiProblem;
import com.seedsq.api.models.ModelCatalog;
import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.artifact.StoredObject;
import com.seedsq.storage.metadata.UploadFileRecord;
import com.seedsq.storage.metadata.UploadPartRecord;
import com.seedsq.storage.metadata.UploadRecord;
import com.seedsq.storage.metadata.Uploads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Resumable uploads for files too big for one request. A client declares the files and their sizes, PUTs numbered
 * parts of each (in any order, retrying any), reads back which parts arrived to resume after an interruption, and
 * completes. Each part is its own object under {@code tenants/{t}/uploads/{id}/} until completion assembles the
 * files, hands them to the model or dataset catalog (which inspects them), and deletes the parts.
 */
@Service
public class ChunkedUploads {

    private static final Logger log = LoggerFactory.getLogger(ChunkedUploads.class);

    public record DeclaredFile(String path, long size) {
    }

    /** An upload and, per file, the part numbers received so far and their bytes. */
    public record Status(UploadRecord upload, List<UploadFileRecord> files, List<UploadPartRecord> parts) {
    }

    private final Uploads uploads;
    private final ArtifactStore store;
    private final ModelCatalog models;
    private final DatasetCatalog datasets;
    private final UploadProperties limits;

    public ChunkedUploads(Uploads uploads, ArtifactStore store, ModelCatalog models, DatasetCatalog datasets,
                          UploadProperties limits) {
        this.uploads = uploads;
        this.store = store;
        this.models = models;
        this.datasets = datasets;
        this.limits = limits;
    }

    public Status create(String tenant, String kind, String name, String format, List<DeclaredFile> files) {
        if (!"model".equals(kind) && !"dataset".equals(kind)) {
            throw ApiProblem.badRequest("invalid-kind", "kind must be 'model' or 'dataset'.", Map.of("field", "kind"));
        }
        if (files == null || files.isEmpty() || ("dataset".equals(kind) && files.size() != 1)) {
            throw ApiProblem.badRequest("invalid-files", "dataset".equals(kind)
                    ? "A dataset upload declares exactly one file." : "A model upload declares at least one file.",
                    Map.of("field", "files"));
        }
        long total = 0;
        Set<String> names = new HashSet<>();
        for (DeclaredFile f : files) {
            FileNames.requireSafe(f.path());
            if (!names.add(f.path())) {
                throw ApiProblem.badRequest("duplicate-file", "File '" + f.path() + "' is declared twice.",
                        Map.of("file", f.path()));
            }
            if (f.size() <= 0) {
                throw ApiProblem.badRequest("empty-file", "File '" + f.path() + "' is declared with size " + f.size()
                        + "; files must not be empty.", Map.of("file", f.path()));
            }
            total += f.size();
        }
        long max = "model".equals(kind) ? limits.maxModelBytes() : limits.maxDatasetBytes();
        if (total > max) {
            throw new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "upload-too-large", "Upload too large",
                    "The upload declares " + total + " bytes; this server accepts at most " + max + ".",
                    Map.of("bytes", total, "limit", max));
        }
        if ("dataset".equals(kind)) {
            DatasetCatalog.formatOf(format, files.getFirst().path()); // fail now, not at completion
        }
        String id = UUID.randomUUID().toString();
        OffsetDateTime now = now();
        UploadRecord u = new UploadRecord(id, tenant, kind, DisplayNames.require(name), UploadRecord.OPEN, null, now, now);
        List<UploadFileRecord> declared = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            declared.add(new UploadFileRecord(id, i, files.get(i).path(), files.get(i).size()));
        }
        uploads.insert(u, declared);
        return status(tenant, id);
    }

    public Status status(String tenant, String id) {
        UploadRecord u = uploads.find(tenant, id).orElseThrow(() -> ApiProblem.notFound("Upload", id));
        return new Status(u, uploads.files(id), u.status().equals(UploadRecord.OPEN) ? uploads.parts(id) : List.of());
    }

    /** Stores one part; sending the same part again replaces it, so a retry after a lost response is safe. */
    public UploadPartRecord putPart(String tenant, String id, int fileIndex, int partNumber, InputStream body,
                                    long contentLength) throws IOException {
        UploadRecord u = requireOpen(tenant, id);
        UploadFileRecord file = uploads.files(id).stream().filter(f -> f.fileIndex() == fileIndex).findFirst()
                .orElseThrow(() -> ApiProblem.badRequest("invalid-file-index", "Upload " + id + " has no file "
                        + fileIndex + ".", Map.of("fileIndex", fileIndex)));
        if (partNumber < 1 || partNumber > 100_000) {
            throw ApiProblem.badRequest("invalid-part-number", "Part numbers run from 1 to 100000.",
                    Map.of("partNumber", partNumber));
        }
        if (contentLength <= 0 || contentLength > limits.partMaxBytes()) {
            throw new ApiProblem(contentLength <= 0 ? HttpStatus.LENGTH_REQUIRED : HttpStatus.CONTENT_TOO_LARGE,
                    "invalid-part-size", "Invalid part size", "A part needs a Content-Length between 1 and "
                    + limits.partMaxBytes() + " bytes (sq.upload.part-max-bytes); got " + contentLength + ".",
                    Map.of("file", file.path(), "partNumber", partNumber));
        }
        String key = "tenants/" + u.tenant() + "/uploads/" + id + "/" + fileIndex + "/" + partNumber;
        StoredObject o = store.put(key, body, contentLength);
        UploadPartRecord part = new UploadPartRecord(id, fileIndex, partNumber, o.size(), o.sha256Hex(), key);
        uploads.putPart(part, now());
        return part;
    }

    /**
     * Assembles the files from their parts (which must be numbered 1..n without gaps and add up to the declared
     * size), registers the model or dataset, and removes the parts. Returns the id of what it became.
     */
    public String complete(String tenant, String id) throws IOException {
        UploadRecord u = requireOpen(tenant, id);
        List<UploadPartRecord> parts = uploads.parts(id);
        Path staging = models.newStagingDir();
        try {
            for (UploadFileRecord f : uploads.files(id)) {
                assemble(f, parts.stream().filter(p -> p.fileIndex() == f.fileIndex()).toList(),
                        staging.resolve(f.path()));
            }
            String resultId;
            if (u.kind().equals("model")) {
                resultId = models.register(tenant, u.name(), staging).model().id();
            } else {
                Path file = staging.resolve(uploads.files(id).getFirst().path());
                resultId = datasets.register(tenant, u.name(), DatasetCatalog.formatOf(null, file.getFileName()
                        .toString()), file).id();
            }
            if (!uploads.close(id, UploadRecord.COMPLETED, resultId, now())) {
                throw new ApiProblem(HttpStatus.CONFLICT, "upload-closed", "Upload closed",
                        "Upload " + id + " was completed or aborted concurrently.", Map.of("id", id));
            }
            store.deletePrefix("tenants/" + tenant + "/uploads/" + id + "/");
            return resultId;
        } finally {
            models.discard(staging);
        }
    }

    public void abort(String tenant, String id) throws IOException {
        requireOpen(tenant, id);
        uploads.close(id, UploadRecord.ABORTED, null, now());
        store.deletePrefix("tenants/" + tenant + "/uploads/" + id + "/");
    }

    /**
     * Aborts the uploads nobody has sent a part to for {@code sq.upload.expire-after}, deleting their parts, so an
     * interrupted client that never comes back leaves no objects behind. Runs hourly; returns how many it aborted.
     */
    @Scheduled(fixedDelayString = "PT1H", initialDelayString = "PT1M")
    public int expireAbandoned() {
        int n = 0;
        for (UploadRecord u : uploads.openSince(now().minus(limits.expireAfter()))) {
            if (uploads.close(u.id(), UploadRecord.ABORTED, null, now())) {
                try {
                    store.deletePrefix("tenants/" + u.tenant() + "/uploads/" + u.id() + "/");
                } catch (IOException e) {
                    log.warn("upload {}: aborted, but its parts could not be deleted yet: {}", u.id(), e.toString());
                }
                log.info("upload {} ({}) expired after {} without a part: aborted", u.id(), u.name(),
                        limits.expireAfter());
                n++;
            }
        }
        return n;
    }

    private void assemble(UploadFileRecord f, List<UploadPartRecord> parts, Path target) throws IOException {
        long bytes = 0;
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).partNumber() != i + 1) {
                throw incomplete(f, "part " + (i + 1) + " is missing");
            }
            bytes += parts.get(i).sizeBytes();
        }
        if (bytes != f.sizeBytes()) {
            throw incomplete(f, "received " + bytes + " of " + f.sizeBytes() + " bytes in " + parts.size() + " parts");
        }
        try (OutputStream out = Files.newOutputStream(target)) {
            for (UploadPartRecord p : parts) {
                try (InputStream in = store.open(p.storageKey())) {
                    in.transferTo(out);
                }
            }
        }
    }

    private static ApiProblem incomplete(UploadFileRecord f, String what) {
        return new ApiProblem(HttpStatus.CONFLICT, "upload-incomplete", "Upload incomplete",
                "File '" + f.path() + "' is incomplete: " + what + ". Send the missing parts, then complete again.",
                Map.of("file", f.path(), "fileIndex", f.fileIndex()));
    }

    private UploadRecord requireOpen(String tenant, String id) {
        UploadRecord u = uploads.find(tenant, id).orElseThrow(() -> ApiProblem.notFound("Upload", id));
        if (!u.status().equals(UploadRecord.OPEN)) {
            throw new ApiProblem(HttpStatus.CONFLICT, "upload-closed", "Upload closed",
                    "Upload " + id + " is " + u.status() + ".", Map.of("id", id, "status", u.status()));
        }
        return u;
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}
