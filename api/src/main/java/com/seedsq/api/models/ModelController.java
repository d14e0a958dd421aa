package com.seedsq.api.models;

import com.seedsq.api.error.ApiProblem;
import com.seedsq.api.security.Caller;
import com.seedsq.api.uploads.FileNames;
import com.seedsq.api.uploads.DisplayNames;
import com.seedsq.storage.metadata.ModelFileRecord;
import com.seedsq.storage.metadata.ModelRecord;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "Models", description = "Upload FP16/FP32 models (Hugging Face directory files, one GGUF file, or a "
        + "llama2.c checkpoint with its tokenizer); each is inspected by the engine and rejected with the reason if "
        + "it cannot be used.")
class ModelController {

    record FileView(String path, long sizeBytes, String sha256) {
    }

    record ModelResponse(String id, String name, String format, String architecture, long parameters, int layers,
                         int hiddenSize, int vocabSize, int maxSeqLen, String dtype, long sizeBytes,
                         OffsetDateTime createdAt, List<FileView> files) {

        static ModelResponse of(ModelRecord m, List<ModelFileRecord> files) {
            return new ModelResponse(m.id(), m.name(), m.format(), m.architecture(), m.parameters(), m.layers(),
                    m.hiddenSize(), m.vocabSize(), m.maxSeqLen(), m.dtype(), m.sizeBytes(), m.createdAt(),
                    files == null ? null : files.stream().map(f -> new FileView(f.path(), f.sizeBytes(), f.sha256()))
                            .toList());
        }
    }

    private final ModelCatalog catalog;

    ModelController(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Upload a model in one multipart request",
            description = "Parts: `name` (the model's display name) and one `files` part per file, e.g. "
                    + "`-F name=stories260K -F files=@stories260K.bin -F files=@tok512.bin`. For files over the "
                    + "multipart limit use the chunked upload API (/api/v1/uploads).")
    ModelResponse upload(Caller caller, @RequestParam("name") String name,
                         @RequestParam("files") List<MultipartFile> files) throws IOException {
        String displayName = DisplayNames.require(name);
        Path staging = catalog.newStagingDir();
        try {
            Set<String> seen = new HashSet<>();
            for (MultipartFile f : files) {
                String fileName = FileNames.requireSafe(f.getOriginalFilename());
                if (!seen.add(fileName)) {
                    throw ApiProblem.badRequest("duplicate-file", "File '" + fileName + "' was sent twice.",
                            Map.of("file", fileName));
                }
                f.transferTo(staging.resolve(fileName));
            }
            ModelCatalog.ModelView v = catalog.register(caller.tenant(), displayName, staging);
            return ModelResponse.of(v.model(), v.files());
        } finally {
            catalog.discard(staging);
        }
    }

    @GetMapping
    @Operation(summary = "List this tenant's models")
    List<ModelResponse> list(Caller caller) {
        return catalog.list(caller.tenant()).stream().map(m -> ModelResponse.of(m, null)).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "Get a model, with its files and their sha256")
    ModelResponse get(Caller caller, @PathVariable String id) {
        ModelCatalog.ModelView v = catalog.get(caller.tenant(), id);
        return ModelResponse.of(v.model(), v.files());
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Delete a model and its stored files")
    void delete(Caller caller, @PathVariable String id) throws IOException {
        catalog.delete(caller.tenant(), id);
    }
}
