package com.seedsq.worker.partition;

import com.seedsq.jobs.remote.RunnerIdentity;
import com.seedsq.storage.metadata.Runners;
import com.seedsq.worker.device.ComputeBackends;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import tools.jackson.databind.json.JsonMapper;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Advertises this runner in sq_runner every few seconds: its name and its backends (kind, device name, memory, cores),
 * so that the API can list the runners that are up and what they can run. A beat that cannot reach the database is
 * skipped; the next one tries again.
 */
final class RunnerHeartbeat {

    private static final Logger log = LoggerFactory.getLogger(RunnerHeartbeat.class);

    private final Runners runners;
    private final RunnerIdentity runner;
    private final String backends;
    private final OffsetDateTime startedAt = OffsetDateTime.now(ZoneOffset.UTC);

    RunnerHeartbeat(Runners runners, RunnerIdentity runner, ComputeBackends backends, JsonMapper json) {
        this.runners = runners;
        this.runner = runner;
        this.backends = json.writeValueAsString(backends.all());
    }

    @Scheduled(initialDelay = 0, fixedDelayString = "${sq.runner.heartbeat:5s}")
    void beat() {
        try {
            runners.heartbeat(runner.name(), backends, startedAt, OffsetDateTime.now(ZoneOffset.UTC));
        } catch (RuntimeException e) {
            log.debug("heartbeat of runner {} skipped: {}", runner.name(), e.toString());
        }
    }
}
