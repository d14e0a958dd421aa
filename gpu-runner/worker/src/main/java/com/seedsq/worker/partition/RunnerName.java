package com.seedsq.worker.partition;

import com.seedsq.jobs.remote.RunnerIdentity;
import com.seedsq.worker.device.ComputeBackend;
import com.seedsq.worker.device.ComputeBackends;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * This runner's name in reports and on its broker connection: {@code sq.runner.name} if set, else host name and
 * process id (in a compose replica the host name is the container's, so replicas tell apart).
 */
final class RunnerName implements RunnerIdentity {

    private final String name;
    private final ComputeBackends backends;

    RunnerName(String configured, ComputeBackends backends) {
        this.name = configured == null || configured.isBlank() ? host() + "-" + ProcessHandle.current().pid()
                : configured;
        this.backends = backends;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String device(String backend) {
        return backends.all().stream().filter(b -> b.kind().equals(backend)).map(ComputeBackend::device)
                .findFirst().orElse("none");
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "runner";
        }
    }
}
