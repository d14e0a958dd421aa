package com.seedsq.jobs.quantize;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.Path;
import java.util.List;

/**
 * @param workDir     local scratch space: one directory per job (downloaded model, intermediate files)
 * @param concurrency how many jobs run at once in this process; jobs are CPU- and memory-heavy, so one by default
 * @param webhooks    where job webhooks may go, and how they are signed
 */
@ConfigurationProperties(prefix = "sq.jobs")
public record JobsProperties(Path workDir, Integer concurrency, Webhooks webhooks) {

    /**
     * @param allowedHosts host names (or IP literals) webhook URLs may point at; empty allows none
     * @param secret       HMAC-SHA256 key for the {@code X-SQ-Signature} header
     * @param maxAttempts  deliveries tried before giving up, with exponential back-off
     */
    public record Webhooks(List<String> allowedHosts, String secret, Integer maxAttempts) {
    }

    public JobsProperties {
        workDir = workDir == null ? Path.of("data", "work") : workDir;
        concurrency = concurrency == null || concurrency < 1 ? 1 : concurrency;
        webhooks = webhooks == null ? new Webhooks(List.of(), null, 3) : new Webhooks(
                webhooks.allowedHosts() == null ? List.of() : webhooks.allowedHosts(), webhooks.secret(),
                webhooks.maxAttempts() == null || webhooks.maxAttempts() < 1 ? 3 : webhooks.maxAttempts());
    }
}
