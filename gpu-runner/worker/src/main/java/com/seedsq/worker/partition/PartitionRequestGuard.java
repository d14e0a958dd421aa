package com.seedsq.worker.partition;

import com.seedsq.jobs.remote.PartitionTasklet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.dao.DataAccessException;
import org.springframework.integration.core.GenericHandler;
import org.springframework.messaging.MessageHeaders;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.function.Supplier;

/**
 * Stands before Batch's request handler on a runner and decides whether a delivered partition request is run:
 * <ul>
 *   <li>a partition that already finished (a duplicate delivery after a broker restart, or one the manager stopped
 *       on a cancel) is acknowledged and dropped;</li>
 *   <li>a partition delivered {@code attempts} times before, whose runners each died before acknowledging it
 *       ({@code kill -9}, out of memory), is failed here with that reason instead of being run, and killing, again:
 *       this is what keeps a poison partition from looping;</li>
 *   <li>while the database cannot be reached the runner waits for it, holding the request unacknowledged, rather
 *       than bouncing it back to the queue in a tight loop.</li>
 * </ul>
 */
final class PartitionRequestGuard implements GenericHandler<StepExecutionRequest> {

    private static final Logger log = LoggerFactory.getLogger(PartitionRequestGuard.class);
    private final JobRepository repository;
    private final int attempts;
    private final Duration outagePatience;

    PartitionRequestGuard(JobRepository repository, int attempts, Duration outagePatience) {
        this.repository = repository;
        this.attempts = attempts;
        this.outagePatience = outagePatience;
    }

    @Override
    public Object handle(StepExecutionRequest request, MessageHeaders headers) {
        long deliveries = headers.get("x-delivery-count") instanceof Number n ? n.longValue() : 0;
        String queue = String.valueOf(headers.get(AmqpHeaders.CONSUMER_QUEUE));
        StepExecution partition = withDatabase(() -> repository.getStepExecution(request.getStepExecutionId()));
        if (partition == null) {
            log.warn("dropping a request for step execution {}: not in the JobRepository", request.getStepExecutionId());
            return null;
        }
        if (!partition.getStatus().isRunning()) {
            log.info("dropping a request for partition {} (step execution {}): already {}",
                    partition.getStepName(), partition.getId(), partition.getStatus());
            return null;
        }
        if (deliveries >= attempts) {
            String why = "delivered " + (deliveries + 1) + " times; the " + deliveries + " runner(s) that took it "
                    + "before stopped without finishing it (killed or crashed), so it is not run again";
            log.error("failing partition {} of job execution {}: {}", partition.getStepName(),
                    partition.getJobExecutionId(), why);
            partition.setStatus(BatchStatus.FAILED);
            partition.setExitStatus(ExitStatus.FAILED.addExitDescription(why));
            partition.setEndTime(LocalDateTime.now());
            withDatabase(() -> {
                repository.update(partition);
                return null;
            });
            return null;
        }
        if (deliveries > 0) {
            log.warn("partition {} of job execution {} is delivered again (delivery {}): its runner stopped; "
                    + "running it here", partition.getStepName(), partition.getJobExecutionId(), deliveries + 1);
        }
        PartitionTasklet.CURRENT_QUEUE.set(queue);
        return request;
    }

    private <T> T withDatabase(Supplier<T> call) {
        Instant giveUp = Instant.now().plus(outagePatience);
        while (true) {
            try {
                return call.get();
            } catch (DataAccessException e) {
                if (Instant.now().isAfter(giveUp)) {
                    throw e;
                }
                log.warn("the JobRepository cannot be reached ({}); waiting for it", e.getMostSpecificCause().toString());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
