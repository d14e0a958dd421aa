package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.QuantizeJob;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.JobsProperties;
import com.seedsq.storage.metadata.Jobs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

/**
 * While a manager step waits for its partitions, tells the job's row how far they are (percent from the partitions
 * done) and, when no runner has taken a partition for a while, that the job is waiting and for what kind of runner,
 * so a cuda job with no cuda runner up says so instead of sitting at a frozen percent. A cancel while partitions
 * still wait in the queue stops them here, since no runner may ever come to notice it.
 */
final class PartitionMonitor implements StepExecutionListener {

    private static final Logger log = LoggerFactory.getLogger(PartitionMonitor.class);
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final QuantizeSteps step;
    private final JobRepository repository;
    private final Jobs jobs;
    private final TransactionTemplate ownTransaction;
    private final BackendRouter router;
    private final JobsProperties.Remote remote;
    private Thread watcher;

    PartitionMonitor(QuantizeSteps step, JobRepository repository, Jobs jobs, TransactionTemplate ownTransaction,
                     BackendRouter router, JobsProperties.Remote remote) {
        this.step = step;
        this.repository = repository;
        this.jobs = jobs;
        this.ownTransaction = ownTransaction;
        this.router = router;
        this.remote = remote;
    }

    @Override
    public void beforeStep(StepExecution manager) {
        String jobId = manager.getJobExecution().getJobParameters().getString(QuantizeJob.JOB_ID);
        watcher = Thread.ofVirtual().name("sq-partition-monitor-" + jobId).start(() -> watch(manager, jobId));
    }

    @Override
    public ExitStatus afterStep(StepExecution manager) {
        if (watcher != null) {
            watcher.interrupt();
        }
        if (manager.getStatus().isUnsuccessful()) {
            closeUnfinished(manager);
        }
        return null;
    }

    /**
     * A manager step that failed (a request could not be sent, a partition failed) leaves partitions that no runner
     * finished: queued, still running somewhere, or of unknown outcome. Batch refuses to restart a job with a step execution that says
     * it runs, so they are failed here, with the reason; a restart then runs them again.
     */
    private void closeUnfinished(StepExecution manager) {
        String prefix = PartitionContext.workerStepName(step.stepName()) + ":";
        String why = manager.getFailureExceptions().isEmpty() ? manager.getExitStatus().getExitCode()
                : String.valueOf(manager.getFailureExceptions().getFirst().getMessage());
        try {
            for (StepExecution p : repository.getJobExecution(manager.getJobExecutionId()).getStepExecutions()) {
                // UNKNOWN: a runner could not record the end (its database went away); a partition is idempotent,
                // so it is safe to run again, where Batch would refuse to restart the job.
                if (p.getStepName().startsWith(prefix)
                        && (p.getStatus().isRunning() || p.getStatus() == BatchStatus.UNKNOWN)) {
                    p.setStatus(BatchStatus.FAILED);
                    p.setExitStatus(ExitStatus.FAILED.addExitDescription("the " + step.stepName() + " step failed "
                            + "before this partition finished: " + why));
                    p.setEndTime(LocalDateTime.now());
                    repository.update(p);
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not close the unfinished partitions of {}: {}", step.stepName(), e.toString());
        }
    }

    private void watch(StepExecution manager, String jobId) {
        Instant stepStart = Instant.now();
        Instant jobStart = toInstant(manager.getJobExecution().getStartTime(), stepStart);
        Instant lastTaken = stepStart;
        String prefix = PartitionContext.workerStepName(step.stepName()) + ":";
        String backend = null;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(INTERVAL);
                if (backend == null) {
                    backend = router.backend(jobId);
                }
                JobExecution e = repository.getJobExecution(manager.getJobExecutionId());
                List<StepExecution> parts = e.getStepExecutions().stream()
                        .filter(s -> s.getStepName().startsWith(prefix)).toList();
                if (parts.isEmpty()) {
                    continue;
                }
                long done = parts.stream().filter(s -> !s.getStatus().isRunning()).count();
                long running = parts.stream().filter(s -> s.getStatus() == BatchStatus.STARTED).count();
                long queued = parts.size() - done - running;
                if (running > 0 || done > 0 && queued == 0) {
                    lastTaken = Instant.now();
                }
                String message = step.stepName() + ": " + done + "/" + parts.size() + " partitions done, " + running
                        + " running, " + queued + " queued";
                Duration idle = Duration.between(lastTaken, Instant.now());
                if (queued > 0 && running == 0 && idle.compareTo(remote.waitingAfter()) >= 0) {
                    int listening = router.consumers(backend);
                    message = step.stepName() + ": waiting for a " + backend + " runner: no runner has taken a "
                            + "partition for " + idle.toSeconds() + " s (" + (listening < 0
                            ? "the broker cannot be reached" : listening + " runner(s) listen on queue "
                            + router.queue(backend)) + "); " + queued + " partition(s) queued";
                }
                double percent = step.overallPercent((double) done / parts.size());
                long elapsed = Duration.between(jobStart, Instant.now()).toSeconds();
                Long eta = percent >= 1 ? Math.round(elapsed * (100 - percent) / percent) : null;
                String m = message;
                boolean cancelled = Boolean.TRUE.equals(ownTransaction.execute(status -> {
                    jobs.progress(jobId, step.stepName(), percent, eta, m, OffsetDateTime.now(ZoneOffset.UTC));
                    return jobs.cancelRequested(jobId);
                }));
                if (cancelled) {
                    stopQueued(parts);
                }
            } catch (InterruptedException stop) {
                return;
            } catch (RuntimeException e) {
                // The database or the broker is away for a moment: the next round tries again.
                log.debug("partition monitor of job {}: {}", jobId, e.toString());
            }
        }
    }

    /** Partitions no runner has taken yet end STOPPED now; a runner that gets one later skips it. */
    private void stopQueued(List<StepExecution> parts) {
        for (StepExecution p : parts) {
            if (p.getStatus() == BatchStatus.STARTING) {
                p.setStatus(BatchStatus.STOPPED);
                p.setExitStatus(ExitStatus.STOPPED.addExitDescription("cancelled by the user before a runner took it"));
                p.setEndTime(LocalDateTime.now());
                repository.update(p);
            }
        }
    }

    private static Instant toInstant(LocalDateTime t, Instant otherwise) {
        return t == null ? otherwise : t.atZone(ZoneId.systemDefault()).toInstant();
    }
}
