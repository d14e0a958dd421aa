package com.seedsq.worker.device;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backends this runner found at start-up: the CPU always, CUDA devices only where a driver answers. Probed once
 * (devices do not come and go under a running process) and published on {@code /actuator/info} under
 * {@code runner}, so an operator, and later the job manager, can see what each runner can run.
 */
@Component
public class ComputeBackends implements InfoContributor {

    private static final Logger log = LoggerFactory.getLogger(ComputeBackends.class);

    private final List<ComputeBackend> backends;
    private final String cudaUnavailableReason;

    public ComputeBackends() {
        List<ComputeBackend> found = new ArrayList<>();
        found.add(CpuProbe.probe());
        CudaProbe.Result cuda = CudaProbe.probe();
        found.addAll(cuda.devices());
        this.backends = List.copyOf(found);
        this.cudaUnavailableReason = cuda.unavailableReason();
        for (ComputeBackend b : backends) {
            log.info("compute backend: {} ({}) {}", b.kind(), b.device(), b.detail());
        }
        if (cudaUnavailableReason != null) {
            log.info("compute backend: cuda not available, using the CPU only ({})", cudaUnavailableReason);
        }
    }

    public List<ComputeBackend> all() {
        return backends;
    }

    public boolean has(String kind) {
        return backends.stream().anyMatch(b -> b.kind().equals(kind));
    }

    @Override
    public void contribute(Info.Builder builder) {
        Map<String, Object> runner = new LinkedHashMap<>();
        runner.put("backends", backends);
        if (cudaUnavailableReason != null) {
            runner.put("cudaUnavailable", cudaUnavailableReason);
        }
        builder.withDetail("runner", runner);
    }
}
