package com.seedsq.api.datasets;

import com.seedsq.api.security.Caller;
import com.seedsq.api.uploads.FileNames;
import com.seedsq.storage.metadata.DatasetRecord;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.List;

@RestController
@RequestMapping("/api/v1/datasets")
@Tag(name = "Datasets", description = "Calibration and evaluation texts: plain UTF-8 text, or JSONL with a `text` "
        + "field on every line.")
class DatasetController {

    record DatasetResponse(String id, String name, String format, long sizeBytes, String sha256,
                           OffsetDateTime createdAt) {

        static DatasetResponse of(DatasetRecord d) {
            return new DatasetResponse(d.id(), d.name(), d.format(), d.sizeBytes(), d.sha256(), d.createdAt());
        }
    }

    private final DatasetCatalog catalog;

    DatasetController(DatasetCatalog catalog) {
        this.catalog = catalog;
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Upload a dataset", description = "Parts: `file`, and optionally `name` and `format` "
            + "(text | jsonl; by default jsonl for a .jsonl file name, else text).")
    DatasetResponse upload(Caller caller, @RequestParam("file") MultipartFile file,
                           @RequestParam(value = "name", required = false) String name,
                           @RequestParam(value = "format", required = false) String format) throws IOException {
        String fileName = FileNames.requireSafe(file.getOriginalFilename());
        String fmt = DatasetCatalog.formatOf(format, fileName);
        Path dir = Files.createTempDirectory("sq-dataset-");
        Path staged = dir.resolve(fileName);
        try {
            file.transferTo(staged);
            return DatasetResponse.of(catalog.register(caller.tenant(),
                    name == null || name.isBlank() ? fileName : name.strip(), fmt, staged));
        } finally {
            Files.deleteIfExists(staged);
            Files.deleteIfExists(dir);
        }
    }

    @GetMapping
    @Operation(summary = "List this tenant's datasets")
    List<DatasetResponse> list(Caller caller) {
        return catalog.list(caller.tenant()).stream().map(DatasetResponse::of).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "Get a dataset")
    DatasetResponse get(Caller caller, @PathVariable String id) {
        return DatasetResponse.of(catalog.get(caller.tenant(), id));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Delete a dataset and its stored file")
    void delete(Caller caller, @PathVariable String id) throws IOException {
        catalog.delete(caller.tenant(), id);
    }
}
