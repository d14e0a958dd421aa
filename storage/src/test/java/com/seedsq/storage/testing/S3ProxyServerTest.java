package com.seedsq.storage.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class S3ProxyServerTest {

    @Test
    void servesS3UntilClosedThenLeavesNothingBehind() throws Exception {
        Path data;
        HttpRequest anonymousList;
        try (S3ProxyServer server = S3ProxyServer.start(); HttpClient http = HttpClient.newHttpClient()) {
            data = server.dataDirectory();
            anonymousList = HttpRequest.newBuilder(server.endpoint()).build();
            HttpResponse<String> response = http.send(anonymousList, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(403); // S3 refuses unsigned requests
            assertThat(response.body()).contains("AccessDenied");
            assertThat(data).isDirectory();
        }

        assertThat(data.getParent()).doesNotExist();
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertThatThrownBy(() -> http.send(anonymousList, HttpResponse.BodyHandlers.discarding()))
                    .isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void explainsHowToGetTheJarWhenThePropertyIsMissing() throws IOException {
        String jar = System.clearProperty(S3ProxyServer.JAR_PROPERTY);
        try {
            assertThatIllegalStateException().isThrownBy(S3ProxyServer::start)
                    .withMessageContaining("S3Proxy jar not found")
                    .withMessageContaining("storage/target/s3proxy/s3proxy.jar");
        } finally {
            if (jar != null) {
                System.setProperty(S3ProxyServer.JAR_PROPERTY, jar);
            }
        }
    }
}
