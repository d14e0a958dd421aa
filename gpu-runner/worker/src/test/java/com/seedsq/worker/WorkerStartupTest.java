package com.seedsq.worker;

import com.seedsq.worker.device.ComputeBackend;
import com.seedsq.worker.device.ComputeBackends;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The runner starts, and reports the CPU always and CUDA exactly when a driver is installed. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sq.storage.local.root=target/test-artifacts", "sq.runner.listen=false",
                "management.health.rabbit.enabled=false"})
class WorkerStartupTest {

    @Autowired
    ComputeBackends backends;

    @LocalServerPort
    int port;

    @Test
    void reportsItsBackendsOnTheInfoEndpoint() throws Exception {
        assertThat(backends.all()).extracting(ComputeBackend::kind).contains("cpu");
        ComputeBackend cpu = backends.all().getFirst();
        assertThat((Integer) cpu.detail().get("cores")).isPositive();

        // No driver: no CUDA backend, and no crash. With a driver: the GPUs it lists, each with a compute capability.
        boolean driverInstalled = driverLibraryPresent();
        if (!driverInstalled) {
            assertThat(backends.has("cuda")).isFalse();
        }
        backends.all().stream().filter(b -> b.kind().equals("cuda"))
                .forEach(gpu -> assertThat(gpu.detail()).containsKey("computeCapability"));

        HttpResponse<String> info = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/info")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(info.body()).contains("\"runner\"").contains("\"kind\":\"cpu\"");
        if (!driverInstalled) {
            assertThat(info.body()).contains("cudaUnavailable");
        }

        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.body()).contains("\"status\":\"UP\"");
    }

    /** Where the NVIDIA driver puts libcuda.so.1 on Debian/Ubuntu and in NVIDIA containers. */
    private static boolean driverLibraryPresent() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib"}) {
            if (Files.exists(Path.of(dir, "libcuda.so.1"))) {
                return true;
            }
        }
        return false;
    }
}
