package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.JobsProperties;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.storage.metadata.Jobs;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.integration.partition.RemotePartitioningManagerStepBuilderFactory;
import org.springframework.messaging.MessageChannel;

/**
 * Builds the manager side of a partitioned step with Spring Batch's remote partitioning: requests go out on
 * {@code requests} (to RabbitMQ), and the manager polls the JobRepository for the partitions' outcome rather than
 * waiting for replies, so a reply lost with a broker restart cannot hang a job.
 */
public final class RemoteSteps {

    private final RemotePartitioningManagerStepBuilderFactory factory;
    private final JobRepository repository;
    private final JobStep.Services services;
    private final Jobs jobs;
    private final MessageChannel requests;
    private final BackendRouter router;
    private final JobsProperties.Remote remote;

    public RemoteSteps(RemotePartitioningManagerStepBuilderFactory factory, JobRepository repository,
                       JobStep.Services services, Jobs jobs, MessageChannel requests, BackendRouter router,
                       JobsProperties.Remote remote) {
        this.factory = factory;
        this.repository = repository;
        this.services = services;
        this.jobs = jobs;
        this.requests = requests;
        this.router = router;
        this.remote = remote;
    }

    public Step managerStep(PartitionedWork work) {
        String worker = PartitionContext.workerStepName(work.step().stepName());
        return factory.get(work.step().stepName())
                .partitioner(worker, grid -> {
                    throw new IllegalStateException("the WorkSplitter cuts " + worker + " into partitions");
                })
                .splitter(new WorkSplitter(repository, services, work))
                .aggregator(new PartitionMerger(repository, services, work))
                .listener(new PartitionMonitor(work.step(), repository, jobs, services.ownTransaction(), router,
                        remote))
                .outputChannel(requests)
                .pollInterval(remote.pollInterval().toMillis())
                .build();
    }
}
