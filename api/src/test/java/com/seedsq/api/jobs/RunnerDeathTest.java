package com.seedsq.api.jobs;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.api.testing.TinyLlama2c;
import com.seedsq.api.testing.TinyTokenizer;
import com.seedsq.storage.testing.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process running a job dies mid-step ({@code kill -9}, no chance to clean up). The next start of the service
 * marks the job FAILED with the step it died in, and a restart resumes it: the steps that had completed (calibrate
 * and the others before the kill) are not run again, and the job completes. Runs the service as a real separate
 * JVM against the real PostgreSQL.
 */
class RunnerDeathTest {

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();
    private PostgresTestDatabase db;

    @AfterEach
    void cleanUp() {
        processes.forEach(Process::destroyForcibly);
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aJobWhoseRunnerWasKilledIsMarkedFailedAndARestartCompletesIt() throws Exception {
        db = new PostgresTestDatabase();
        int port = freePort();
        Process first = start(port, "first");
        ApiClient api = new ApiClient(port, "death-test-key");

        Path bin = TinyLlama2c.write(tmp.resolve("tiny.bin"), false);
        Path tok = TinyTokenizer.write(tmp.resolve("tokenizer.bin"));
        String modelId = api.postMultipart("/api/v1/models", Map.of("name", List.of("tiny"), "files",
                List.of(bin, tok))).json().path("id").asString();
        StringBuilder text = new StringBuilder();
        while (text.length() < 400_000) {
            text.append("once upon a time, there was a little model. it liked small numbers.\n");
        }
        String datasetId = api.postMultipart("/api/v1/datasets", Map.of("file",
                List.of(Files.writeString(tmp.resolve("long.txt"), text)))).json().path("id").asString();
        Map<String, Object> spec = QuantizationJobApiSupport.spec(modelId, datasetId);
        spec.put("evaluation", Map.of("datasetIds", List.of(datasetId), "maxTokens", 150_000));
        String jobId = api.postJson("/api/v1/jobs", spec).json().path("id").asString();

        awaitJob(api, jobId, j -> "evaluate".equals(j.path("currentStep").asString()), Duration.ofMinutes(3));
        first.destroyForcibly().waitFor(); // SIGKILL: the JVM gets no chance to record anything

        start(port, "second");
        JsonNode failed = awaitJob(api, jobId, j -> !j.path("status").asString().equals("RUNNING"),
                Duration.ofSeconds(30));
        assertThat(failed.path("status").asString()).isEqualTo("FAILED");
        // The step it died in: evaluate, or a later one if evaluate finished between our look and the kill.
        String message = failed.path("message").asString();
        String diedIn = List.of("evaluate", "benchmark", "package").stream()
                .filter(s -> message.contains("step '" + s + "'")).findFirst()
                .orElseThrow(() -> new AssertionError("no step named in: " + message));
        assertThat(message).contains("stopped").contains("restart");

        assertThat(api.post("/api/v1/jobs/" + jobId + "/restart").status()).isEqualTo(202);
        JsonNode done = awaitJob(api, jobId, j -> j.path("status").asString().matches("COMPLETED|FAILED"),
                Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("COMPLETED");
        assertThat(api.get("/api/v1/jobs/" + jobId + "/report").json().path("evaluation").path("results").size())
                .isEqualTo(3);

        // Batch restarted from the failed step, on a runner with an empty work directory: calibrate ran once in all,
        // the step that was killed twice (FAILED by the recovery at start-up, then COMPLETED).
        assertThat(stepExecutions(jobId, "calibrate")).containsExactly("COMPLETED");
        assertThat(stepExecutions(jobId, diedIn)).containsExactly("FAILED", "COMPLETED");
    }

    private Process start(int port, String name) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Path.of("target", "runner-death-" + name + ".log");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--add-modules",
                "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "com.seedsq.api.ApiApplication",
                "--server.port=" + port,
                "--spring.datasource.url=" + db.jdbcUrl(),
                "--spring.datasource.username=" + db.user(),
                "--spring.datasource.password=" + db.password(),
                "--sq.storage.local.root=" + tmp.resolve("artifacts"),
                "--sq.jobs.work-dir=" + tmp.resolve("work-" + name),
                "--sq.security.bootstrap-admin-key=death-test-key")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        ApiClient health = new ApiClient(port, null);
        Instant deadline = Instant.now().plusSeconds(90);
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new AssertionError("the service exited during start-up; see " + log.toAbsolutePath());
            }
            try {
                if (health.get("/actuator/health").status() == 200) {
                    return p;
                }
            } catch (RuntimeException notYet) {
                // connection refused while it starts
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the service did not start within 90 s; see " + log.toAbsolutePath());
    }

    private static JsonNode awaitJob(ApiClient api, String jobId, Predicate<JsonNode> until, Duration timeout)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = api.get("/api/v1/jobs/" + jobId).json();
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + jobId + " did not reach the expected state in " + timeout + "; last: " + last);
    }

    private List<String> stepExecutions(String jobId, String step) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             PreparedStatement s = c.prepareStatement("""
                     SELECT se.STATUS FROM BATCH_STEP_EXECUTION se
                     JOIN BATCH_JOB_EXECUTION je ON je.JOB_EXECUTION_ID = se.JOB_EXECUTION_ID
                     JOIN BATCH_JOB_EXECUTION_PARAMS p ON p.JOB_EXECUTION_ID = je.JOB_EXECUTION_ID
                     WHERE p.PARAMETER_NAME = 'jobId' AND p.PARAMETER_VALUE = ? AND se.STEP_NAME = ?
                     ORDER BY se.STEP_EXECUTION_ID""")) {
            s.setString(1, jobId);
            s.setString(2, step);
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
