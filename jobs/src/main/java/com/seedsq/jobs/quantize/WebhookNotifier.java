package com.seedsq.jobs.quantize;

import com.seedsq.storage.metadata.JobRecord;
import com.seedsq.storage.metadata.Jobs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Tells a job's webhook URL that the job finished (COMPLETED, FAILED or CANCELLED). Each delivery is a JSON POST
 * signed with HMAC-SHA256 over {@code timestamp + "." + body} ({@code X-SQ-Timestamp}, {@code X-SQ-Signature:
 * sha256=<hex>}), retried with exponential back-off on errors and non-2xx answers, and only sent to hosts the
 * allow-list names: a webhook must not become a way to make the service call into its own network.
 */
public class WebhookNotifier {

    private static final Logger log = LoggerFactory.getLogger(WebhookNotifier.class);

    private final Jobs jobs;
    private final JobsProperties.Webhooks config;
    private final JsonMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final ExecutorService sender = Executors.newVirtualThreadPerTaskExecutor();

    public WebhookNotifier(Jobs jobs, JobsProperties.Webhooks config, JsonMapper json) {
        this.jobs = jobs;
        this.config = config;
        this.json = json;
    }

    /** Null if {@code url} may be used, else why not. */
    public String rejectReason(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return "not a valid URL";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "only http and https URLs are allowed";
        }
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (config.allowedHosts().stream().noneMatch(h -> h.equalsIgnoreCase(host))) {
            return "host '" + host + "' is not in sq.jobs.webhooks.allowed-hosts";
        }
        return null;
    }

    /** Sends the job's outcome to its webhook, if it has one, in the background. */
    public void jobFinished(String jobId, String webhookUrl) {
        if (webhookUrl == null || webhookUrl.isBlank()) {
            return;
        }
        String reason = rejectReason(webhookUrl);
        if (reason != null) {
            log.warn("job {}: webhook not sent to {}: {}", jobId, webhookUrl, reason);
            return;
        }
        JobRecord job = jobs.get(jobId).orElseThrow();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("jobId", job.id());
        payload.put("status", job.status());
        payload.put("message", job.message());
        payload.put("finishedAt", job.finishedAt() == null ? null : job.finishedAt().toString());
        String body = json.writeValueAsString(payload);
        sender.submit(() -> deliver(jobId, URI.create(webhookUrl), body));
    }

    private void deliver(String jobId, URI url, String body) {
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            String timestamp = Long.toString(Instant.now().getEpochSecond());
            try {
                HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .header("X-SQ-Timestamp", timestamp)
                        .header("X-SQ-Signature", "sha256=" + sign(timestamp + "." + body))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status / 100 == 2) {
                    log.info("job {}: webhook delivered to {} (attempt {})", jobId, url, attempt);
                    return;
                }
                log.warn("job {}: webhook to {} answered {} (attempt {})", jobId, url, status, attempt);
            } catch (Exception e) {
                log.warn("job {}: webhook to {} failed: {} (attempt {})", jobId, url, e.toString(), attempt);
            }
            try {
                Thread.sleep(Duration.ofMillis(500L << (attempt - 1)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.error("job {}: webhook to {} given up after {} attempts", jobId, url, config.maxAttempts());
    }

    /** HMAC-SHA256 with the configured secret (empty if none is set: still a checksum, but set one). */
    String sign(String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            byte[] key = (config.secret() == null ? "" : config.secret()).getBytes(StandardCharsets.UTF_8);
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
