package com.seedsq.api.remote;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.storage.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker, then the database, restarts while a job's partitions run on a runner. Against a RabbitMQ node and a
 * PostgreSQL cluster of the test's own (restarting the shared ones would break every other test running now), with
 * the API and one runner as separate JVMs. No job may be lost: each ends COMPLETED, or FAILED with a reason, and
 * then a restart completes it. Either way the artifacts are the same bytes as those of the job that ran
 * undisturbed. Which of the two outcomes happened is printed, not asserted: it depends on where in its work the
 * restart finds the job, and both are correct behaviour.
 */
class BrokerAndDatabaseRestartTest {

    @TempDir
    Path tmp;

    private PrivateServers.Rabbit rabbit;
    private PrivateServers.Postgres postgres;
    private S3ProxyServer s3;
    private RemoteCluster cluster;

    @AfterEach
    void cleanUp() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {s3, rabbit, postgres}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void jobsSurviveARestartOfTheBrokerAndThenOfTheDatabase() throws Exception {
        PrivateServers.unavailable().ifPresent(why -> Assumptions.abort("skipped: cannot run a private RabbitMQ "
                + "and PostgreSQL here: " + why));
        rabbit = new PrivateServers.Rabbit();
        rabbit.start();
        postgres = new PrivateServers.Postgres();
        postgres.start();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("postgres"), "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE sq");
        }
        s3 = S3ProxyServer.start();
        cluster = new RemoteCluster(tmp, postgres.jdbcUrl("sq"), "postgres", "", s3, rabbit.port);
        cluster.launchApi();
        cluster.launchRunner("runner");
        ApiClient api = cluster.awaitStarted();
        Map<String, Object> spec = RemoteJobs.uploadModelAndData(api, tmp);

        String undisturbed = RemoteJobs.submit(api, spec);
        assertThat(RemoteJobs.awaitJob(api, undisturbed, RemoteJobs::isFinal, Duration.ofMinutes(5))
                .path("status").asString()).isEqualTo("COMPLETED");
        Map<String, String> expected = RemoteJobs.deterministicArtifacts(api, undisturbed);

        String duringBrokerRestart = RemoteJobs.submit(api, spec);
        cluster.awaitLogLine("runner", Duration.ofMinutes(5), "job " + duringBrokerRestart,
                "running partition evaluate.partition:");
        rabbit.restart();
        settle(api, duringBrokerRestart, "broker restart");
        assertThat(RemoteJobs.deterministicArtifacts(api, duringBrokerRestart)).isEqualTo(expected);

        String duringDatabaseRestart = RemoteJobs.submit(api, spec);
        cluster.awaitLogLine("runner", Duration.ofMinutes(5), "job " + duringDatabaseRestart,
                "running partition evaluate.partition:");
        postgres.restart();
        settle(api, duringDatabaseRestart, "database restart");
        assertThat(RemoteJobs.deterministicArtifacts(api, duringDatabaseRestart)).isEqualTo(expected);
    }

    /** The job completes, or fails with a reason and completes when restarted. */
    private static void settle(ApiClient api, String jobId, String what) throws Exception {
        JsonNode end = RemoteJobs.awaitJob(api, jobId, RemoteJobs::isFinal, Duration.ofMinutes(6));
        String status = end.path("status").asString();
        if (status.equals("FAILED")) {
            String reason = end.path("message").asString();
            System.out.println("after the " + what + " the job failed: " + reason + "; restarting it");
            assertThat(reason).as("a failure names its reason").isNotBlank();
            assertThat(api.post("/api/v1/jobs/" + jobId + "/restart").status()).isEqualTo(202);
            end = RemoteJobs.awaitRestarted(api, jobId, reason);
        } else {
            System.out.println("after the " + what + " the job went on and ended " + status);
        }
        assertThat(end.path("status").asString()).as(end.toString()).isEqualTo("COMPLETED");
    }
}
