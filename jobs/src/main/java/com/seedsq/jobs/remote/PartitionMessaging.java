package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.JobsProperties;
import org.springframework.amqp.core.Declarable;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.support.converter.SimpleMessageConverter;

import java.util.List;

/**
 * What the manager and the runners agree on: the queues (one per backend) and how a partition request travels.
 * <ul>
 *   <li>Quorum queues: durable and replicated, messages survive a broker restart, and every redelivery is counted
 *       ({@code x-delivery-count}), which lets a runner give up on a partition whose runners keep dying.</li>
 *   <li>The request is Batch's {@code StepExecutionRequest} (step name and step execution id), Java-serialized;
 *       the converter deserializes nothing but that class and what it is made of.</li>
 * </ul>
 */
public final class PartitionMessaging {

    public static final List<String> BACKENDS = List.of("cpu", "cuda");

    private PartitionMessaging() {
    }

    public static Declarables queues(JobsProperties.Remote remote) {
        return new Declarables(BACKENDS.stream().map(b -> (Declarable) queue(remote.queue(b))).toList());
    }

    static Queue queue(String name) {
        return QueueBuilder.durable(name).quorum().build();
    }

    public static SimpleMessageConverter converter() {
        SimpleMessageConverter c = new SimpleMessageConverter();
        c.setAllowedListPatterns(List.of("org.springframework.batch.integration.partition.*", "java.lang.*",
                "java.util.*"));
        return c;
    }
}
