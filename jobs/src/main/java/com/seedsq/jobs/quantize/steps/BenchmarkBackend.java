package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.cuda.CudaBackend;
import com.seedsq.engine.cuda.CudaLlama;
import com.seedsq.engine.model.Model;

import java.util.Optional;

/**
 * Where the benchmark step measures latency: the spec's {@code cpu}, {@code cuda} or {@code auto} resolved against
 * what this runner has and what the model is. {@code auto} takes the GPU when one is usable and the GPU forward pass
 * runs the model's family, and says why not otherwise, so the report never leaves the reader guessing.
 *
 * @param cuda     the opened GPU, or null to measure on the CPU (close it after use)
 * @param fallback why the CPU measures although the spec allowed a GPU, or null
 */
public record BenchmarkBackend(CudaBackend cuda, String fallback) implements AutoCloseable {

    public static BenchmarkBackend resolve(String specBackend, Model model) {
        if ("cpu".equals(specBackend)) {
            return new BenchmarkBackend(null, null);
        }
        Optional<CudaBackend> gpu = CudaBackend.tryOpen();
        if (gpu.isEmpty()) {
            if ("cuda".equals(specBackend)) {
                throw new JobSpecException("backend", "backend 'cuda' was asked for, but this runner has no usable "
                        + "GPU (" + CudaBackend.unavailableReason() + ")");
            }
            return new BenchmarkBackend(null, "no usable GPU on this runner: " + CudaBackend.unavailableReason());
        }
        String unsupported = CudaLlama.unsupportedReason(model);
        if (unsupported != null) {
            gpu.get().close();
            if ("cuda".equals(specBackend)) {
                throw new JobSpecException("backend", "backend 'cuda' was asked for, but " + unsupported);
            }
            return new BenchmarkBackend(null, unsupported);
        }
        return new BenchmarkBackend(gpu.get(), null);
    }

    /** Why this runner cannot run CUDA at all, or null when it has a usable GPU. */
    public static String cudaUnavailableReason() {
        Optional<CudaBackend> gpu = CudaBackend.tryOpen();
        gpu.ifPresent(CudaBackend::close);
        return gpu.isPresent() ? null : CudaBackend.unavailableReason();
    }

    public boolean onGpu() {
        return cuda != null;
    }

    @Override
    public void close() {
        if (cuda != null) {
            cuda.close();
        }
    }
}
