package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.JobsProperties;
import com.seedsq.jobs.quantize.QuantizeJob;
import com.seedsq.storage.metadata.Jobs;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.support.converter.MessageConverter;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.integration.partition.RemotePartitioningManagerStepBuilderFactory;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpConnectException;
import org.springframework.amqp.AmqpIOException;
import org.springframework.integration.channel.DirectChannel;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.messaging.Message;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.time.Instant;

/**
 * The manager side of remote partitioning, on when {@code sq.jobs.runners=remote}: partition requests leave through
 * {@code sqPartitionRequests} for the queue of the job's backend.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "sq.jobs.runners", havingValue = JobsProperties.REMOTE)
@EnableIntegration
public class RemoteManagerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(RemoteManagerConfiguration.class);

    @Bean
    public Declarables sqPartitionQueues(JobsProperties properties) {
        return PartitionMessaging.queues(properties.remote());
    }

    @Bean
    public MessageConverter sqPartitionMessageConverter() {
        return PartitionMessaging.converter();
    }

    @Bean
    public BackendRouter sqBackendRouter(Jobs jobs, JsonMapper json, AmqpAdmin admin, JobsProperties properties) {
        return new BackendRouter(jobs, json, admin, properties.remote());
    }

    @Bean
    public DirectChannel sqPartitionRequests() {
        return new DirectChannel();
    }

    /**
     * Each request goes to the queue of its job's backend; the correlation id Batch sets names the job execution.
     * A broker that is away (restarting) is waited for, up to {@code outage-patience}, so that a job does not fail
     * for a restart that takes seconds.
     */
    @Bean
    public IntegrationFlow sqPartitionRequestsToRabbit(DirectChannel sqPartitionRequests, RabbitTemplate rabbit,
                                                        BackendRouter router, JobRepository repository,
                                                        JobsProperties properties) {
        rabbit.setMessageConverter(PartitionMessaging.converter());
        Duration patience = properties.remote().outagePatience();
        return IntegrationFlow.from(sqPartitionRequests)
                .handle(message -> {
                    String queue = router.queue(router.backend(jobId(message, repository)));
                    Instant giveUp = Instant.now().plus(patience);
                    for (long wait = 500; ; wait = Math.min(wait * 2, 5000)) {
                        try {
                            rabbit.convertAndSend("", queue, message.getPayload());
                            return;
                        } catch (AmqpConnectException | AmqpIOException e) {
                            if (Instant.now().isAfter(giveUp)) {
                                throw new IllegalStateException("cannot send partition requests: the broker has been "
                                        + "unreachable for " + patience.toSeconds() + " s (" + e.getMessage() + ")", e);
                            }
                            log.warn("the broker cannot be reached ({}); sending to {} again in {} ms", e.getMessage(),
                                    queue, wait);
                            try {
                                Thread.sleep(wait);
                            } catch (InterruptedException stop) {
                                Thread.currentThread().interrupt();
                                throw new IllegalStateException("interrupted while waiting for the broker", stop);
                            }
                        }
                    }
                })
                .get();
    }

    private static String jobId(Message<?> m, JobRepository repository) {
        String correlation = String.valueOf(m.getHeaders().get("correlationId"));
        long jobExecutionId = Long.parseLong(correlation.substring(0, correlation.indexOf(':')));
        JobExecution e = repository.getJobExecution(jobExecutionId);
        return e.getJobParameters().getString(QuantizeJob.JOB_ID);
    }

    @Bean
    public RemoteSteps sqRemoteSteps(JobRepository repository, BeanFactory beanFactory, JobStep.Services services,
                                     Jobs jobs, BackendRouter router, JobsProperties properties,
                                     DirectChannel sqPartitionRequests) {
        // The manager polls the repository for its partitions: that polling waits out a database restart.
        RemotePartitioningManagerStepBuilderFactory factory = new RemotePartitioningManagerStepBuilderFactory(
                PatientReads.wrap(repository, properties.remote().outagePatience()));
        factory.setBeanFactory(beanFactory);
        return new RemoteSteps(factory, repository, services, jobs, sqPartitionRequests, router, properties.remote());
    }
}
