package com.seedsq.api;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application starts on its embedded defaults (application.yml unchanged but for a throw-away data directory):
 * health is UP with the database and the artifact store checked, and the web root serves the UI.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:file:./target/test-data/db/sq",
        "sq.storage.local.root=./target/test-data/artifacts"})
class ApiStartupTest {

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void healthIsUp() throws Exception {
        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode body = JsonMapper.builder().build().readTree(health.body());
        assertThat(body.path("status").asString()).isEqualTo("UP");
        assertThat(body.path("components").path("db").path("status").asString()).isEqualTo("UP");
    }

    @Test
    void webRootServesTheUi() throws Exception {
        HttpResponse<String> root = get("/");
        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(root.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(root.body()).contains("<title>SmoothQuant");
    }

    @Test
    void openApiDocumentIsServed() throws Exception {
        HttpResponse<String> docs = get("/v3/api-docs");
        assertThat(docs.statusCode()).isEqualTo(200);
        JsonNode api = JsonMapper.builder().build().readTree(docs.body());
        assertThat(api.path("openapi").asString()).startsWith("3.");
        assertThat(api.path("paths").has("/api/v1/jobs")).isTrue();
        assertThat(api.path("paths").has("/api/v1/uploads/{id}/files/{fileIndex}/parts/{partNumber}")).isTrue();
        // Pipelines copy from the examples: the job submit and the upload create carry them.
        assertThat(api.path("paths").path("/api/v1/jobs").path("post").path("requestBody").path("content")
                .path("application/json").path("examples").size()).isEqualTo(3);
        assertThat(api.path("paths").path("/api/v1/uploads").path("post").path("requestBody").path("content")
                .path("application/json").path("examples").size()).isEqualTo(2);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
