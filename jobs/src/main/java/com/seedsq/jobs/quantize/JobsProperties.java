package com.seedsq.jobs.quantize;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * @param workDir     local scratch space: one directory per job (downloaded model, intermediate files)
 * @param concurrency how many jobs run at once in this process; jobs are CPU- and memory-heavy, so one by default
 * @param webhooks    where job webhooks may go, and how they are signed
 * @param runners     {@code embedded}: every step runs in this process (the default, no broker needed);
 *                    {@code remote}: this process is the manager, and the heavy steps (calibrate, evaluate,
 *                    benchmark) are partitioned to runner processes over RabbitMQ
 * @param remote      how remote partitioning is set up (used when {@code runners} is {@code remote}, and by runners)
 */
@ConfigurationProperties(prefix = "sq.jobs")
public record JobsProperties(Path workDir, Integer concurrency, Webhooks webhooks, String runners, Remote remote) {

    public static final String EMBEDDED = "embedded";
    public static final String REMOTE = "remote";

    /**
     * @param allowedHosts host names (or IP literals) webhook URLs may point at; empty allows none
     * @param secret       HMAC-SHA256 key for the {@code X-SQ-Signature} header
     * @param maxAttempts  deliveries tried before giving up, with exponential back-off
     */
    public record Webhooks(List<String> allowedHosts, String secret, Integer maxAttempts) {
    }

    /**
     * @param queuePrefix        partition requests go to the queue {@code <prefix>.<backend>} ({@code .cpu},
     *                           {@code .cuda}); tests use a private prefix so they never meet another run's runners
     * @param calibrationShards  how many partitions calibration is cut into (windows are split evenly)
     * @param attempts           how often a runner tries a failing partition before it fails the partition (and so
     *                           the job); also how often a partition is delivered before a runner gives up on it
     *                           because every runner that took it died
     * @param pollInterval       how often the manager looks at the JobRepository for finished partitions
     * @param waitingAfter       a partition nobody has taken for this long makes the job's message say so
     * @param outagePatience     how long the manager and the runners wait out an unreachable database or broker
     *                           (a restart) before they fail the step
     * @param reproducible       runners calibrate and evaluate with the engine's scalar kernels, whose results depend
     *                           on nothing but the input, so that artifacts are the same bytes whichever runner ran a
     *                           partition, on any CPU; false: the faster vector kernels, bit-identical run to run on
     *                           one kind of CPU (fixed-order lane sums) but not across vector widths (AVX2/AVX-512)
     *                           nor between runners with and without oneDNN (its sgemm takes FP32 products of 4+
     *                           rows, {@code -Dsq.sgemm})
     */
    public record Remote(String queuePrefix, Integer calibrationShards, Integer attempts, Duration pollInterval,
                         Duration waitingAfter, Duration outagePatience, Boolean reproducible) {

        public Remote {
            queuePrefix = queuePrefix == null || queuePrefix.isBlank() ? "sq.partitions" : queuePrefix;
            calibrationShards = calibrationShards == null || calibrationShards < 1 ? 6 : calibrationShards;
            attempts = attempts == null || attempts < 1 ? 2 : attempts;
            pollInterval = pollInterval == null ? Duration.ofMillis(500) : pollInterval;
            waitingAfter = waitingAfter == null ? Duration.ofSeconds(5) : waitingAfter;
            outagePatience = outagePatience == null ? Duration.ofMinutes(5) : outagePatience;
            reproducible = reproducible == null || reproducible;
        }

        /** The queue a backend's partitions go to. */
        public String queue(String backend) {
            return queuePrefix + "." + backend;
        }
    }

    public JobsProperties {
        workDir = workDir == null ? Path.of("data", "work") : workDir;
        concurrency = concurrency == null || concurrency < 1 ? 1 : concurrency;
        webhooks = webhooks == null ? new Webhooks(List.of(), null, 3) : new Webhooks(
                webhooks.allowedHosts() == null ? List.of() : webhooks.allowedHosts(), webhooks.secret(),
                webhooks.maxAttempts() == null || webhooks.maxAttempts() < 1 ? 3 : webhooks.maxAttempts());
        runners = runners == null || runners.isBlank() ? EMBEDDED : runners;
        if (!runners.equals(EMBEDDED) && !runners.equals(REMOTE)) {
            throw new IllegalArgumentException("sq.jobs.runners must be 'embedded' or 'remote', not '" + runners + "'");
        }
        remote = remote == null ? new Remote(null, null, null, null, null, null, null) : remote;
    }

    public boolean remoteRunners() {
        return REMOTE.equals(runners);
    }
}
