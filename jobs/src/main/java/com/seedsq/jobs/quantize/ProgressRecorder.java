package com.seedsq.jobs.quantize;

import com.seedsq.storage.metadata.Jobs;

import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Writes a step's progress to the job's row, which the API's status and event stream read. Writes are throttled
 * (a step may report thousands of times) and double as the cancellation check.
 */
public final class ProgressRecorder implements StepProgress {

    private static final Duration MIN_INTERVAL = Duration.ofMillis(500);

    private final Jobs jobs;
    private final TransactionTemplate ownTransaction;
    private final String jobId;
    private final QuantizeSteps step;
    private final Instant jobStart;
    private Instant lastWrite = Instant.EPOCH;

    public ProgressRecorder(Jobs jobs, TransactionTemplate ownTransaction, String jobId, QuantizeSteps step,
                            Instant jobStart) {
        this.jobs = jobs;
        this.ownTransaction = ownTransaction;
        this.jobId = jobId;
        this.step = step;
        this.jobStart = jobStart;
    }

    @Override
    public void report(double fractionOfStep, String message) {
        Instant now = Instant.now();
        if (fractionOfStep < 1 && Duration.between(lastWrite, now).compareTo(MIN_INTERVAL) < 0) {
            return;
        }
        lastWrite = now;
        double percent = step.overallPercent(fractionOfStep);
        long elapsed = Duration.between(jobStart, now).toSeconds();
        // A linear extrapolation: crude, but honest about being an estimate, and it improves as the job goes on.
        Long eta = percent >= 1 ? Math.round(elapsed * (100 - percent) / percent) : null;
        // The step runs inside Batch's transaction; progress must be visible now, and must not hold the job's row
        // lock until the step ends (a cancel request updates that row), so it commits on its own.
        boolean cancelled = Boolean.TRUE.equals(ownTransaction.execute(status -> {
            jobs.progress(jobId, step.stepName(), percent, eta, message, OffsetDateTime.now(ZoneOffset.UTC));
            return jobs.cancelRequested(jobId);
        }));
        if (cancelled) {
            throw new JobCancelledException(jobId);
        }
    }
}
