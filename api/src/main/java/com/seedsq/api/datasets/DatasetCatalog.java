package com.seedsq.api.datasets;

import com.seedsq.api.error.ApiProblem;
import com.seedsq.api.uploads.UploadProperties;
import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.artifact.StoredObject;
import com.seedsq.storage.metadata.DatasetRecord;
import com.seedsq.storage.metadata.Datasets;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Calibration and evaluation texts. A dataset is checked before it is stored, by streaming through it once: valid
 * UTF-8, not empty, and for JSONL a JSON object with a string {@code text} on every non-blank line. Storage layout:
 * {@code tenants/{tenant}/datasets/{id}/{file}}.
 */
@Service
public class DatasetCatalog {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ArtifactStore store;
    private final Datasets datasets;
    private final UploadProperties limits;

    public DatasetCatalog(ArtifactStore store, Datasets datasets, UploadProperties limits) {
        this.store = store;
        this.datasets = datasets;
        this.limits = limits;
    }

    /** {@code jsonl} for a .jsonl file name, else {@code text}, unless the client said which. */
    public static String formatOf(String requested, String fileName) {
        if (requested != null && !requested.isBlank()) {
            String f = requested.toLowerCase(Locale.ROOT);
            if (!f.equals("text") && !f.equals("jsonl")) {
                throw ApiProblem.badRequest("invalid-format", "format must be 'text' or 'jsonl', was '" + requested
                        + "'.", Map.of("field", "format"));
            }
            return f;
        }
        return fileName.toLowerCase(Locale.ROOT).endsWith(".jsonl") ? "jsonl" : "text";
    }

    /** Validates and stores the staged file. */
    public DatasetRecord register(String tenant, String name, String format, Path file) throws IOException {
        long size = Files.size(file);
        if (size > limits.maxDatasetBytes()) {
            throw new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "upload-too-large", "Upload too large",
                    "The dataset has " + size + " bytes; this server accepts at most " + limits.maxDatasetBytes()
                            + " (sq.upload.max-dataset-bytes).", Map.of("bytes", size));
        }
        String fileName = file.getFileName().toString();
        validate(file, fileName, format);
        String id = UUID.randomUUID().toString();
        String key = "tenants/" + tenant + "/datasets/" + id + "/" + fileName;
        StoredObject o;
        try (InputStream in = Files.newInputStream(file)) {
            o = store.put(key, in, size);
        }
        DatasetRecord record = new DatasetRecord(id, tenant, name, format, o.size(), o.sha256Hex(), key,
                OffsetDateTime.now(ZoneOffset.UTC));
        try {
            datasets.insert(record);
        } catch (RuntimeException e) {
            store.delete(key);
            throw e;
        }
        return record;
    }

    public DatasetRecord get(String tenant, String id) {
        return datasets.find(tenant, id).orElseThrow(() -> ApiProblem.notFound("Dataset", id));
    }

    public List<DatasetRecord> list(String tenant) {
        return datasets.list(tenant);
    }

    public void delete(String tenant, String id) throws IOException {
        DatasetRecord d = get(tenant, id);
        if (!datasets.delete(tenant, id)) {
            throw ApiProblem.notFound("Dataset", id);
        }
        store.delete(d.storageKey());
    }

    private static void validate(Path file, String fileName, String format) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        long lineNo = 0;
        long nonBlank = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                nonBlank++;
                if (format.equals("jsonl")) {
                    requireTextField(line, fileName, lineNo);
                }
            }
        } catch (CharacterCodingException e) {
            throw invalid(fileName, "is not valid UTF-8 text (near line " + (lineNo + 1) + ")", lineNo + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (nonBlank == 0) {
            throw invalid(fileName, "has no text", 0);
        }
    }

    private static void requireTextField(String line, String fileName, long lineNo) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JacksonException e) {
            throw invalid(fileName, "line " + lineNo + " is not JSON: " + e.getOriginalMessage(), lineNo);
        }
        if (!node.isObject() || !node.path("text").isString()) {
            throw invalid(fileName, "line " + lineNo + " has no string field \"text\"", lineNo);
        }
    }

    private static ApiProblem invalid(String fileName, String what, long line) {
        return new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-dataset", "The dataset cannot be used",
                "'" + fileName + "' " + what + ".", Map.of("file", fileName, "line", line));
    }
}
