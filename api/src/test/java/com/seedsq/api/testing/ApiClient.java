package com.seedsq.api.testing;

import org.springframework.core.io.FileSystemResource;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A thin HTTP client for API tests: every call returns status, content type and parsed JSON, never throws on 4xx. */
public final class ApiClient {

    public record Response(int status, String contentType, JsonNode json, String body) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final int port;
    private final RestClient http;
    private final String key;

    public ApiClient(int port, String key) {
        this.port = port;
        this.http = RestClient.builder().baseUrl("http://127.0.0.1:" + port).build();
        this.key = key;
    }

    public ApiClient withKey(String otherKey) {
        return new ApiClient(port, otherKey);
    }

    public Response get(String path) {
        return exchange(http.get().uri(path));
    }

    public Response delete(String path) {
        return exchange(http.delete().uri(path));
    }

    public Response postJson(String path, Object body) {
        return exchange(http.post().uri(path).contentType(MediaType.APPLICATION_JSON).body(body));
    }

    public Response postJsonWithHeader(String path, Object body, String header, String value) {
        return exchange(http.post().uri(path).contentType(MediaType.APPLICATION_JSON).header(header, value).body(body));
    }

    public Response post(String path) {
        return exchange(http.post().uri(path));
    }

    public Response putBytes(String path, byte[] bytes) {
        return putBytes(path, bytes, MediaType.APPLICATION_OCTET_STREAM_VALUE);
    }

    public Response putBytes(String path, byte[] bytes, String contentType) {
        return exchange(http.put().uri(path).contentType(MediaType.parseMediaType(contentType)).body(bytes));
    }

    /** A multipart POST: each entry's value is a String field or a Path (sent as a file part named after it). */
    public Response postMultipart(String path, Map<String, List<Object>> parts) {
        MultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        parts.forEach((name, values) -> values.forEach(v ->
                form.add(name, v instanceof Path p ? new FileSystemResource(p) : v)));
        return exchange(http.post().uri(path).contentType(MediaType.MULTIPART_FORM_DATA).body(form));
    }

    private Response exchange(RestClient.RequestHeadersSpec<?> spec) {
        if (key != null) {
            spec = spec.header("Authorization", "Bearer " + key);
        }
        return spec.exchange((req, res) -> {
            HttpStatusCode status = res.getStatusCode();
            String body = new String(res.getBody().readAllBytes());
            String type = res.getHeaders().getContentType() == null ? "" : res.getHeaders().getContentType().toString();
            JsonNode json = body.isEmpty() || !type.contains("json") ? null : JSON.readTree(body);
            return new Response(status.value(), type, json, body);
        });
    }
}
