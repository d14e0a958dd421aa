package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.cuda.CudaBackend;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.RandomWeights;
import com.seedsq.engine.tensor.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How the benchmark step resolves the spec's backend on a runner without a GPU (CI, the developer VM): {@code cpu}
 * measures on the CPU silently, {@code auto} measures on the CPU and says why, {@code cuda} fails with the reason.
 * On a GPU machine these cases do not apply and are skipped (GpuBench covers that side).
 */
class BenchmarkBackendTest {

    private static final ModelConfig CONFIG = new ModelConfig(64, 1, 4, 4, 16, 96, 64, 32, 1e-5f, 10000f, true);

    @BeforeAll
    static void noGpuHere() {
        var gpu = CudaBackend.tryOpen();
        gpu.ifPresent(CudaBackend::close);
        assumeTrue(gpu.isEmpty(), "a GPU is present: the no-GPU resolution does not apply");
    }

    @Test
    void cpuNeedsNoReason() {
        try (var w = new RandomWeights(Families.LLAMA, CONFIG, DType.F32, 1);
             var b = BenchmarkBackend.resolve("cpu", new Model(Families.LLAMA, CONFIG, w, Path.of("m")))) {
            assertThat(b.onGpu()).isFalse();
            assertThat(b.fallback()).isNull();
        }
    }

    @Test
    void autoFallsBackToTheCpuAndSaysWhy() {
        try (var w = new RandomWeights(Families.LLAMA, CONFIG, DType.F32, 1);
             var b = BenchmarkBackend.resolve("auto", new Model(Families.LLAMA, CONFIG, w, Path.of("m")))) {
            assertThat(b.onGpu()).isFalse();
            assertThat(b.fallback()).startsWith("no usable GPU on this runner: ").isNotEqualTo("no usable GPU on this runner: null");
        }
    }

    @Test
    void cudaFailsTheJobWithTheReason() {
        try (var w = new RandomWeights(Families.LLAMA, CONFIG, DType.F32, 1)) {
            Model m = new Model(Families.LLAMA, CONFIG, w, Path.of("m"));
            assertThatThrownBy(() -> BenchmarkBackend.resolve("cuda", m))
                    .isInstanceOf(JobSpecException.class)
                    .hasMessageContaining("backend: backend 'cuda' was asked for")
                    .hasMessageContaining(CudaBackend.unavailableReason());
            assertThat(BenchmarkBackend.cudaUnavailableReason()).isNotBlank();
        }
    }
}
