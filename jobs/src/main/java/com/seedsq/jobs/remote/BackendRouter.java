package com.seedsq.jobs.remote;

import com.seedsq.jobs.quantize.JobsProperties;
import com.seedsq.jobs.spec.JobSpec;
import com.seedsq.storage.metadata.Jobs;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which queue a job's partitions go to: one queue per backend, and a runner listens only on the queues of the
 * backends it has (every runner has a CPU; only runners with a CUDA device listen on the cuda queue). So a partition
 * can only reach a runner that can run it, and a cuda job waits in its queue while no such runner is up.
 * {@code auto} takes cuda when a cuda runner is listening at the time, else cpu.
 */
public final class BackendRouter {

    private final Jobs jobs;
    private final JsonMapper json;
    private final AmqpAdmin admin;
    private final JobsProperties.Remote remote;

    public BackendRouter(Jobs jobs, JsonMapper json, AmqpAdmin admin, JobsProperties.Remote remote) {
        this.jobs = jobs;
        this.json = json;
        this.admin = admin;
        this.remote = remote;
    }

    /** The backend a job's partitions run on: {@code cpu} or {@code cuda}. */
    public String backend(String jobId) {
        String asked = jobs.get(jobId).map(j -> json.readValue(j.spec(), JobSpec.class).backend()).orElse("cpu");
        if ("auto".equals(asked)) {
            return consumers("cuda") > 0 ? "cuda" : "cpu";
        }
        return asked == null ? "cpu" : asked;
    }

    public String queue(String backend) {
        return remote.queue(backend);
    }

    /** How many runners listen on a backend's queue now; -1 if the broker cannot be asked. */
    public int consumers(String backend) {
        try {
            QueueInformation info = admin.getQueueInfo(remote.queue(backend));
            return info == null ? 0 : info.getConsumerCount();
        } catch (RuntimeException brokerDown) {
            return -1;
        }
    }
}
