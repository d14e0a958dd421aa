package com.seedsq.api.remote;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.storage.testing.PostgresTestDatabase;
import com.seedsq.storage.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API as job manager and runner JVMs on loopback, against the real PostgreSQL, RabbitMQ and an S3 server, on
 * stories260K from ../shared (a generated tiny llama2.c model where that is missing). One scenario, because every
 * JVM start costs seconds on this machine:
 * <ol>
 *   <li>two runners; an undisturbed job completes, its partitions spread over the runners, the report naming them;</li>
 *   <li>a cuda job with no cuda runner waits and says so, and a cancel ends it;</li>
 *   <li>a second job; runner-a is killed ({@code kill -9}) in the middle of an evaluation partition: the broker
 *       hands the unacknowledged partition to runner-b, the job completes, and its artifacts are byte-identical
 *       (sha256) to the undisturbed job's;</li>
 *   <li>only a poisoned runner left: the partition that always fails fails the job after the configured 2 attempts,
 *       is not dispatched again, and leaves no message in the queue; a restart on a healthy runner completes it,
 *       again with byte-identical artifacts.</li>
 * </ol>
 */
class RemoteRunnersTest {

    @TempDir
    Path tmp;

    private PostgresTestDatabase db;
    private S3ProxyServer s3;
    private RemoteCluster cluster;

    @AfterEach
    void cleanUp() {
        if (cluster != null) {
            cluster.close();
            deleteQueues(cluster.queuePrefix);
        }
        if (s3 != null) {
            s3.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void partitionsSpreadOverRunnersSurviveAKilledRunnerAndAPoisonPartitionFailsTheJob() throws Exception {
        db = new PostgresTestDatabase();
        s3 = S3ProxyServer.start();
        cluster = new RemoteCluster(tmp, db.jdbcUrl(), db.user(), db.password(), s3, 5672);
        cluster.launchApi();
        cluster.launchRunner("runner-a");
        cluster.launchRunner("runner-b");
        ApiClient api = cluster.awaitStarted();

        Map<String, Object> spec = RemoteJobs.uploadModelAndData(api, tmp);

        // Both runners advertise themselves and their CPU backend.
        JsonNode listed = RemoteJobs.awaitRunners(api, 2);
        assertThat(listed.findValuesAsString("name")).contains("runner-a", "runner-b");
        listed.forEach(r -> {
            assertThat(r.path("alive").asBoolean()).as(r.toString()).isTrue();
            assertThat(r.path("backends").get(0).path("kind").asString()).isEqualTo("cpu");
            assertThat(r.path("backends").get(0).path("device").asString()).isNotBlank();
        });

        // 1. Undisturbed.
        String first = RemoteJobs.submit(api, spec);
        JsonNode done = RemoteJobs.awaitJob(api, first, RemoteJobs::isFinal, Duration.ofMinutes(5));
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("COMPLETED");
        JsonNode report = api.get("/api/v1/jobs/" + first + "/report").json();
        assertThat(report.path("evaluation").path("results").size()).isEqualTo(3);
        List<String> runners = new ArrayList<>();
        for (String step : List.of("calibrate", "evaluate", "benchmark")) {
            JsonNode rows = report.path("partitions").path(step);
            assertThat(rows.size()).as(step + " partitions in " + report.path("partitions")).isGreaterThan(1);
            rows.forEach(r -> {
                assertThat(r.path("status").asString()).isEqualTo("COMPLETED");
                assertThat(r.path("queue").asString()).isEqualTo(cluster.queuePrefix + ".cpu");
                runners.add(r.path("runner").asString());
            });
        }
        // Prefetch 1: with two runners up, both take partitions (12 partitions, so one alone would be a fluke).
        assertThat(runners).contains("runner-a", "runner-b");
        Map<String, String> undisturbed = RemoteJobs.deterministicArtifacts(api, first);
        assertThat(undisturbed).containsKey("int8-model/model.safetensors")
                .containsKey("calibration/activation-stats.safetensors").containsKey("evaluation.json");

        // 2. A cuda job, and no runner has a GPU here: it waits, visibly, until cancelled.
        Map<String, Object> cudaSpec = new HashMap<>(spec);
        cudaSpec.put("backend", "cuda");
        String cuda = RemoteJobs.submit(api, cudaSpec);
        JsonNode waiting = RemoteJobs.awaitJob(api, cuda, j -> j.path("message").asString().contains("waiting for a cuda runner"),
                Duration.ofMinutes(2));
        assertThat(waiting.path("status").asString()).isEqualTo("RUNNING");
        assertThat(waiting.path("message").asString()).contains("0 runner(s) listen on queue " + cluster.queuePrefix
                + ".cuda");
        assertThat(api.post("/api/v1/jobs/" + cuda + "/cancel").status()).isEqualTo(202);
        assertThat(RemoteJobs.awaitJob(api, cuda, RemoteJobs::isFinal, Duration.ofMinutes(1)).path("status").asString())
                .isEqualTo("CANCELLED");

        // 3. kill -9 runner-a in the middle of an evaluation partition.
        String second = RemoteJobs.submit(api, spec);
        String line = cluster.awaitLogLine("runner-a", Duration.ofMinutes(5), "job " + second,
                "running partition evaluate.partition:");
        processOf("runner-a").destroyForcibly().waitFor(); // SIGKILL: no chance to finish or give anything back
        Matcher m = Pattern.compile("evaluate\\.partition:p(\\d{4})").matcher(line);
        assertThat(m.find()).isTrue();
        int killedIn = Integer.parseInt(m.group(1));
        done = RemoteJobs.awaitJob(api, second, RemoteJobs::isFinal, Duration.ofMinutes(5));
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("COMPLETED");
        JsonNode rerun = api.get("/api/v1/jobs/" + second + "/report").json().path("partitions").path("evaluate")
                .get(killedIn);
        assertThat(rerun.path("runner").asString()).as(rerun.toString()).isEqualTo("runner-b");
        assertThat(cluster.countLogLines("runner-b", "job execution", "is delivered again")).isPositive();
        assertThat(RemoteJobs.deterministicArtifacts(api, second)).isEqualTo(undisturbed);
        // The partition was re-run as the same step execution, not dispatched anew.
        assertThat(partitionExecutions(second, "evaluate.partition:p%04d".formatted(killedIn)))
                .containsExactly("COMPLETED");

        // 4. A poison partition: only a runner on which the naive variant always fails is left.
        processOf("runner-b").destroyForcibly().waitFor();
        // runner-a stopped beating when it was killed; the list says so (20 s without a beat).
        JsonNode runnerA = RemoteJobs.awaitRunner(api, "runner-a", false);
        assertThat(runnerA.path("alive").asBoolean()).isFalse();
        cluster.startRunner("poison", PoisonRunner.class.getName());
        String third = RemoteJobs.submit(api, spec);
        JsonNode failed = RemoteJobs.awaitJob(api, third, RemoteJobs::isFinal, Duration.ofMinutes(5));
        assertThat(failed.path("status").asString()).as(failed.toString()).isEqualTo("FAILED");
        String message = failed.path("message").asString();
        assertThat(message).startsWith("evaluate: 1 of 3 partitions failed").contains("naive")
                .contains("failed 2 time(s) on runner poison").contains(PoisonRunner.POISON);
        // Tried twice on the runner (one retry), never handed out again, nothing left in the queue.
        assertThat(cluster.countLogLines("poison", "job " + third, "evaluate partition 1", "trying again"))
                .isEqualTo(1);
        assertThat(partitionExecutions(third, "evaluate.partition:p0001")).containsExactly("FAILED");
        Thread.sleep(2000);
        assertThat(messagesIn(cluster.queuePrefix + ".cpu")).isZero();
        assertThat(cluster.countLogLines("poison", "job " + third, "running partition evaluate.partition:p0001"))
                .isEqualTo(1);

        // ... and a restart on a healthy runner completes it, from the failed step.
        processOf("poison").destroyForcibly().waitFor();
        cluster.startRunner("runner-c");
        assertThat(api.post("/api/v1/jobs/" + third + "/restart").status()).isEqualTo(202);
        done = RemoteJobs.awaitRestarted(api, third, message);
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("COMPLETED");
        assertThat(RemoteJobs.deterministicArtifacts(api, third)).isEqualTo(undisturbed);
        assertThat(partitionExecutions(third, "calibrate.partition:p0000")).containsExactly("COMPLETED");
    }

    private Process processOf(String name) {
        return cluster.process(name);
    }

    /** The statuses of every execution of one partition of a job, oldest first. */
    private List<String> partitionExecutions(String jobId, String partition) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             PreparedStatement s = c.prepareStatement("""
                     SELECT se.STATUS FROM BATCH_STEP_EXECUTION se
                     JOIN BATCH_JOB_EXECUTION_PARAMS p ON p.JOB_EXECUTION_ID = se.JOB_EXECUTION_ID
                     WHERE p.PARAMETER_NAME = 'jobId' AND p.PARAMETER_VALUE = ? AND se.STEP_NAME = ?
                     ORDER BY se.STEP_EXECUTION_ID""")) {
            s.setString(1, jobId);
            s.setString(2, partition);
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        }
    }

    private static RabbitAdmin admin() {
        CachingConnectionFactory cf = new CachingConnectionFactory("127.0.0.1", 5672);
        cf.setUsername("guest");
        cf.setPassword("guest");
        return new RabbitAdmin(cf);
    }

    private static long messagesIn(String queue) {
        RabbitAdmin admin = admin();
        QueueInformation info = admin.getQueueInfo(queue);
        ((CachingConnectionFactory) admin.getRabbitTemplate().getConnectionFactory()).destroy();
        return info == null ? 0 : info.getMessageCount();
    }

    private static void deleteQueues(String prefix) {
        try {
            RabbitAdmin admin = admin();
            admin.deleteQueue(prefix + ".cpu");
            admin.deleteQueue(prefix + ".cuda");
            ((CachingConnectionFactory) admin.getRabbitTemplate().getConnectionFactory()).destroy();
        } catch (RuntimeException e) {
            System.err.println("could not delete the test's queues " + prefix + ".*: " + e);
        }
    }
}
