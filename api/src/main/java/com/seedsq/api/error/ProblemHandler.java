package com.seedsq.api.error;

import com.seedsq.engine.format.ModelFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every error the API returns is RFC 9457 problem+json, including Spring MVC's own (bad JSON, wrong method...). */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<ProblemDetail> apiProblem(ApiProblem e) {
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        pd.setType(e.type());
        pd.setTitle(e.title());
        e.properties().forEach(pd::setProperty);
        return ResponseEntity.status(e.status()).body(pd);
    }

    /** A model the engine cannot use: say which file and tensor, and what was wrong with it. */
    @ExceptionHandler(ModelFormatException.class)
    ResponseEntity<ProblemDetail> modelFormat(ModelFormatException e) {
        Map<String, Object> where = new LinkedHashMap<>();
        if (e.file() != null) {
            where.put("file", e.file().getFileName().toString());
        }
        if (e.tensor() != null) {
            where.put("tensor", e.tensor());
        }
        return apiProblem(new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-model", "The model cannot be used",
                e.getMessage(), where));
    }

    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
                "The upload is larger than this server accepts (" + ex.getMaxUploadSize()
                        + " bytes per file at most; use the chunked upload API for large models).");
        pd.setType(URI.create("https://seedsq.dev/problems/upload-too-large"));
        pd.setTitle("Upload too large");
        return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).body(pd);
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        Map<String, String> fields = new LinkedHashMap<>();
        ex.getBindingResult().getFieldErrors().forEach(f -> fields.putIfAbsent(f.getField(), f.getDefaultMessage()));
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "Some fields are invalid: " + fields);
        pd.setType(URI.create("https://seedsq.dev/problems/invalid-fields"));
        pd.setTitle("Invalid request");
        pd.setProperty("fields", fields);
        return ResponseEntity.badRequest().body(pd);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        if (clientWentAway(e)) {
            log.debug("client closed the connection: {}", e.toString());
            return null; // nobody is listening for an answer
        }
        log.error("unhandled error", e);
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "An unexpected error occurred; it has been logged.");
        pd.setType(URI.create("https://seedsq.dev/problems/internal"));
        pd.setTitle("Internal error");
        return ResponseEntity.internalServerError().body(pd);
    }

    /** A client that aborts an upload or download surfaces as an I/O error from the container; that is no fault. */
    private static boolean clientWentAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getSimpleName();
            if (name.equals("ClientAbortException") || name.equals("AsyncRequestNotUsableException")
                    || name.equals("EOFException")) {
                return true;
            }
        }
        return false;
    }
}
