package com.seedsq.api.error;

import org.springframework.http.HttpStatus;

import java.net.URI;
import java.util.Map;

/**
 * A request the API refuses, with what was wrong and where. {@link ProblemHandler} renders it as RFC 9457
 * problem+json: {@code type} is a stable URI a client can switch on, {@code detail} a sentence for a person, and the
 * extra properties point at the offending input (a file, a field, a tensor).
 */
public class ApiProblem extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String title;
    private final Map<String, Object> properties;

    public ApiProblem(HttpStatus status, String type, String title, String detail, Map<String, Object> properties) {
        super(detail);
        this.status = status;
        this.type = type;
        this.title = title;
        this.properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    public static ApiProblem notFound(String what, String id) {
        // The same answer whether the id does not exist or belongs to another tenant: nothing leaks.
        return new ApiProblem(HttpStatus.NOT_FOUND, "not-found", what + " not found",
                "No " + what.toLowerCase() + " with id '" + id + "'.", Map.of("id", id));
    }

    public static ApiProblem badRequest(String type, String detail, Map<String, Object> properties) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, type, "Invalid request", detail, properties);
    }

    public HttpStatus status() {
        return status;
    }

    public URI type() {
        return URI.create("https://seedsq.dev/problems/" + type);
    }

    public String title() {
        return title;
    }

    public Map<String, Object> properties() {
        return properties;
    }
}
