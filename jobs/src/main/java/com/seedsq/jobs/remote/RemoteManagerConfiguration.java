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
import org.springframework.integration.amqp.dsl.Amqp;
import org.springframework.integration.channel.DirectChannel;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.messaging.Message;
import tools.jackson.databind.json.JsonMapper;

/**
 * The manager side of remote partitioning, on when {@code sq.jobs.runners=remote}: partition requests leave through
 * {@code sqPartitionRequests} for the queue of the job's backend.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "sq.jobs.runners", havingValue = JobsProperties.REMOTE)
@EnableIntegration
public class RemoteManagerConfiguration {

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

    /** Each request goes to the queue of its job's backend; the correlation id Batch sets names the job execution. */
    @Bean
    public IntegrationFlow sqPartitionRequestsToRabbit(DirectChannel sqPartitionRequests, RabbitTemplate rabbit,
                                                        BackendRouter router, JobRepository repository) {
        return IntegrationFlow.from(sqPartitionRequests)
                .handle(Amqp.outboundAdapter(rabbit)
                        .exchangeName("")
                        .routingKeyFunction(m -> router.queue(router.backend(jobId(m, repository)))))
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
        RemotePartitioningManagerStepBuilderFactory factory = new RemotePartitioningManagerStepBuilderFactory(repository);
        factory.setBeanFactory(beanFactory);
        return new RemoteSteps(factory, repository, services, jobs, sqPartitionRequests, router, properties.remote());
    }
}
