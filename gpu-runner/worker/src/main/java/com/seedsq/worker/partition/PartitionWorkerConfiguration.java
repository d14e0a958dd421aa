package com.seedsq.worker.partition;

import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.JobsProperties;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.steps.BenchmarkPartitions;
import com.seedsq.jobs.quantize.steps.CalibrationShards;
import com.seedsq.jobs.quantize.steps.EvaluationPartitions;
import com.seedsq.jobs.quantize.steps.Variants;
import com.seedsq.jobs.remote.PartitionContext;
import com.seedsq.jobs.remote.PartitionMessaging;
import com.seedsq.jobs.remote.PartitionTasklet;
import com.seedsq.jobs.remote.RunnerIdentity;
import com.seedsq.storage.metadata.Datasets;
import com.seedsq.storage.metadata.Runners;
import com.seedsq.worker.device.ComputeBackends;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionNameStrategy;
import org.springframework.amqp.support.converter.MessageConverter;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.partition.RemotePartitioningWorkerStepBuilderFactory;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.amqp.dsl.Amqp;
import org.springframework.integration.channel.DirectChannel;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.context.IntegrationFlowContext;
import org.springframework.scheduling.annotation.EnableScheduling;
import tools.jackson.databind.json.JsonMapper;

/**
 * The runner side of remote partitioning: one worker step per partitioned job step ({@code calibrate.partition},
 * {@code evaluate.partition}, {@code benchmark.partition}, built by Batch's worker step builder), fed from the
 * queue of every backend this runner has. Prefetch 1 and one consumer per queue: a runner takes one partition at a
 * time and leaves the rest in the queue for the other runners, and a request is acknowledged only after its
 * partition finished, so the broker hands the partition of a runner that dies to another one.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "sq.runner.listen", havingValue = "true", matchIfMissing = true)
@EnableIntegration
@EnableScheduling
public class PartitionWorkerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(PartitionWorkerConfiguration.class);

    @Bean
    public Declarables sqPartitionQueues(JobsProperties properties) {
        return PartitionMessaging.queues(properties.remote());
    }

    @Bean
    public MessageConverter sqPartitionMessageConverter() {
        return PartitionMessaging.converter();
    }

    @Bean
    public RunnerIdentity sqRunnerIdentity(@Value("${sq.runner.name:}") String name, ComputeBackends backends) {
        return new RunnerName(name, backends);
    }

    @Bean
    public RunnerHeartbeat sqRunnerHeartbeat(Runners runners, RunnerIdentity runner, ComputeBackends backends,
                                             JsonMapper json) {
        return new RunnerHeartbeat(runners, runner, backends, json);
    }

    /** The broker shows each runner's connection under the runner's name. */
    @Bean
    public ConnectionNameStrategy sqRunnerConnectionName(RunnerIdentity runner) {
        return factory -> "sq-runner " + runner.name();
    }

    @Bean
    public DirectChannel sqPartitionWork() {
        return new DirectChannel();
    }

    @Bean
    public DirectChannel sqPartitionOutcome() {
        return new DirectChannel();
    }

    @Bean
    public RemotePartitioningWorkerStepBuilderFactory sqWorkerSteps(JobRepository repository, BeanFactory beanFactory) {
        RemotePartitioningWorkerStepBuilderFactory factory = new RemotePartitioningWorkerStepBuilderFactory(repository);
        factory.setBeanFactory(beanFactory);
        return factory;
    }

    @Bean(name = "calibrate.partition")
    public Step calibratePartition(RemotePartitioningWorkerStepBuilderFactory steps, JobStep.Services services,
                                   Datasets datasets, JobsProperties properties, RunnerIdentity runner,
                                   DirectChannel sqPartitionWork,
                                   DirectChannel sqPartitionOutcome) {
        return worker(steps, new CalibrationShards(datasets, properties.remote().calibrationShards(),
                        properties.remote().reproducible()), services,
                runner, properties, sqPartitionWork, sqPartitionOutcome);
    }

    @Bean(name = "evaluate.partition")
    public Step evaluatePartition(RemotePartitioningWorkerStepBuilderFactory steps, JobStep.Services services,
                                  Datasets datasets, Variants variants, JobsProperties properties,
                                  RunnerIdentity runner,
                                  DirectChannel sqPartitionWork, DirectChannel sqPartitionOutcome) {
        return worker(steps, new EvaluationPartitions(datasets, variants, properties.remote().reproducible()), services, runner, properties,
                sqPartitionWork, sqPartitionOutcome);
    }

    @Bean(name = "benchmark.partition")
    public Step benchmarkPartition(RemotePartitioningWorkerStepBuilderFactory steps, JobStep.Services services,
                                   Variants variants, JobsProperties properties, RunnerIdentity runner,
                                   DirectChannel sqPartitionWork,
                                   DirectChannel sqPartitionOutcome) {
        return worker(steps, new BenchmarkPartitions(variants), services, runner, properties, sqPartitionWork,
                sqPartitionOutcome);
    }

    /**
     * A worker step. Its tasklet runs without a database transaction around it: a partition works for minutes on
     * the model and the artifact store, and a transaction held all that time would tie the partition's fate to one
     * database connection, so that a database restart in the middle failed it (rollback impossible: status
     * UNKNOWN, which Batch will not restart). The JobRepository records the outcome in transactions of its own.
     */
    private static Step worker(RemotePartitioningWorkerStepBuilderFactory steps, PartitionedWork work,
                               JobStep.Services services, RunnerIdentity runner, JobsProperties properties,
                               DirectChannel in, DirectChannel out) {
        return steps.get(PartitionContext.workerStepName(work.step().stepName()))
                .inputChannel(in)
                .outputChannel(out)
                .tasklet(new PartitionTasklet(services, work, runner, properties.remote().attempts()),
                        new ResourcelessTransactionManager())
                .build();
    }

    /**
     * Batch's request handler leaves recording a failure that escaped the step to its caller ("the receiver should
     * update the stepExecution"); without this the manager would wait for that partition forever.
     */
    @Bean
    public IntegrationFlow sqPartitionOutcomeFlow(DirectChannel sqPartitionOutcome, JobRepository repository) {
        return IntegrationFlow.from(sqPartitionOutcome)
                .handle(StepExecution.class, (execution, headers) -> {
                    if (execution.getStatus() == BatchStatus.FAILED || execution.getStatus() == BatchStatus.STOPPED) {
                        StepExecution stored = repository.getStepExecution(execution.getId());
                        if (stored != null && stored.getStatus().isRunning()) {
                            repository.update(execution);
                        }
                    }
                    return null;
                })
                .get();
    }

    /** One inbound flow per backend this runner has: the cpu queue always, the cuda queue only next to a GPU. */
    @Bean
    public Object sqPartitionListeners(IntegrationFlowContext flows, ConnectionFactory connections,
                                       ComputeBackends backends, JobsProperties properties, JobRepository repository,
                                       DirectChannel sqPartitionWork, RunnerIdentity runner) {
        PartitionRequestGuard guard = new PartitionRequestGuard(repository, properties.remote().attempts(),
                properties.remote().outagePatience());
        for (String backend : PartitionMessaging.BACKENDS) {
            if (!backends.has(backend)) {
                continue;
            }
            String queue = properties.remote().queue(backend);
            IntegrationFlow flow = IntegrationFlow.from(Amqp.inboundAdapter(connections, queue)
                            .messageConverter(PartitionMessaging.converter())
                            .configureContainer(c -> c.prefetchCount(1).concurrentConsumers(1)
                                    .defaultRequeueRejected(true)))
                    .handle(guard)
                    .channel(sqPartitionWork)
                    .get();
            flows.registration(flow).id("sq-partitions-" + backend).register();
            log.info("runner {} takes {} partitions from queue {}", runner.name(), backend, queue);
        }
        return new Object();
    }
}
