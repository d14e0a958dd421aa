package com.seedsq.api.uploads;

import com.seedsq.api.security.Caller;
import com.seedsq.storage.metadata.UploadPartRecord;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.List;

@RestController
@RequestMapping("/api/v1/uploads")
@Tag(name = "Chunked uploads", description = "Resumable uploads for large models and datasets: create, PUT numbered "
        + "parts of each file, GET to see which parts arrived (resume from there), then complete.")
class UploadController {

    record CreateUpload(@NotBlank String kind, @NotBlank String name, String format,
                        @NotEmpty List<ChunkedUploads.DeclaredFile> files) {
    }

    record PartView(int partNumber, long sizeBytes, String sha256) {
    }

    record FileStatus(int fileIndex, String path, long sizeBytes, long receivedBytes, List<PartView> parts) {
    }

    record UploadResponse(String id, String kind, String name, String status, String resultId,
                          OffsetDateTime createdAt, OffsetDateTime updatedAt, List<FileStatus> files) {

        static UploadResponse of(ChunkedUploads.Status s) {
            var u = s.upload();
            List<FileStatus> files = s.files().stream().map(f -> {
                List<PartView> parts = s.parts().stream().filter(p -> p.fileIndex() == f.fileIndex())
                        .map(p -> new PartView(p.partNumber(), p.sizeBytes(), p.sha256())).toList();
                return new FileStatus(f.fileIndex(), f.path(), f.sizeBytes(),
                        parts.stream().mapToLong(PartView::sizeBytes).sum(), parts);
            }).toList();
            return new UploadResponse(u.id(), u.kind(), u.name(), u.status(), u.resultId(), u.createdAt(),
                    u.updatedAt(), files);
        }
    }

    record Completed(String id, String kind, String resultId) {
    }

    private final ChunkedUploads uploads;

    UploadController(ChunkedUploads uploads) {
        this.uploads = uploads;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Start an upload", description = "Declare `kind` (model | dataset), `name`, optional `format` "
            + "for datasets, and the files with their exact sizes: "
            + "`{\"kind\":\"model\",\"name\":\"stories260K\",\"files\":[{\"path\":\"stories260K.bin\",\"size\":1056540}]}`.")
    UploadResponse create(Caller caller,
                          @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                                  mediaType = "application/json", examples = {
                                  @ExampleObject(name = "llama2.c model with its tokenizer", value = """
                                          {"kind": "model", "name": "stories260K", "files": [
                                            {"path": "stories260K.bin", "size": 1056540},
                                            {"path": "tok512.bin", "size": 6227}]}"""),
                                  @ExampleObject(name = "dataset", value = """
                                          {"kind": "dataset", "name": "wikitext-2", "format": "text",
                                           "files": [{"path": "wikitext-2-raw-test.txt", "size": 1296370}]}""")}))
                          @Valid @RequestBody CreateUpload body) {
        return UploadResponse.of(uploads.create(caller.tenant(), body.kind(), body.name(), body.format(), body.files()));
    }

    @GetMapping("/{id}")
    @Operation(summary = "Upload status: the parts received so far, per file")
    UploadResponse get(Caller caller, @PathVariable String id) {
        return UploadResponse.of(uploads.status(caller.tenant(), id));
    }

    @PutMapping(path = "/{id}/files/{fileIndex}/parts/{partNumber}", consumes = MediaType.ALL_VALUE)
    @Operation(summary = "Send one part of one file", description = "Raw bytes as the body with a Content-Length. "
            + "Parts are numbered from 1 and joined in order; sending a part again replaces it.")
    PartView putPart(Caller caller, @PathVariable String id, @PathVariable int fileIndex,
                     @PathVariable int partNumber, HttpServletRequest request) throws IOException {
        UploadPartRecord p = uploads.putPart(caller.tenant(), id, fileIndex, partNumber, request.getInputStream(),
                request.getContentLengthLong());
        return new PartView(p.partNumber(), p.sizeBytes(), p.sha256());
    }

    @PostMapping("/{id}/complete")
    @Operation(summary = "Complete the upload", description = "Joins the parts, inspects the model (or validates the "
            + "dataset) and registers it. Returns the new model or dataset id.")
    Completed complete(Caller caller, @PathVariable String id) throws IOException {
        String kind = uploads.status(caller.tenant(), id).upload().kind();
        return new Completed(id, kind, uploads.complete(caller.tenant(), id));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Abort the upload and delete its parts")
    void abort(Caller caller, @PathVariable String id) throws IOException {
        uploads.abort(caller.tenant(), id);
    }
}
