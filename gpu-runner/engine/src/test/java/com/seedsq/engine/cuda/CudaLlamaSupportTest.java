package com.seedsq.engine.cuda;

import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.MlpKind;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.NormKind;
import com.seedsq.engine.model.RandomWeights;
import com.seedsq.engine.model.RopeScaling;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which models the GPU forward pass takes is decided on the host, before any device work, so a job can fall back to
 * the CPU with a reason instead of failing mid-benchmark. (The forward pass itself needs a GPU: GpuBench checks it.)
 */
class CudaLlamaSupportTest {

    private static final ModelConfig CONFIG = new ModelConfig(64, 2, 4, 2, 16, 96, 128, 64, 1e-5f, 10000f, true);

    @Test
    void llamaShapedModelsAreSupported() {
        try (var w = new RandomWeights(Families.LLAMA, CONFIG, DType.F16, 1)) {
            assertNull(CudaLlama.unsupportedReason(new Model(Families.LLAMA, CONFIG, w, Path.of("m"))));
            assertNull(CudaLlama.unsupportedReason(new Model(Families.LLAMA2C, CONFIG, w, Path.of("m"))));
        }
    }

    @Test
    void otherBlocksAreRefusedWithTheReason() {
        ModelFamily layerNormGelu = new ModelFamily("ln-gelu", "test", Families.LLAMA.tensorNamesCopy(), NormKind.LAYER,
                Families.LLAMA.normPlacement(), Families.LLAMA.positions(), MlpKind.GELU, false, true,
                Families.LLAMA.smoothing());
        try (var w = new RandomWeights(Families.LLAMA, CONFIG, DType.F32, 1)) {
            String why = CudaLlama.unsupportedReason(new Model(layerNormGelu, CONFIG, w, Path.of("m")));
            assertTrue(why != null && why.contains("ln-gelu") && why.contains("CPU"), why);
        }
    }

    /** The CUDA RoPE kernel computes plain θ^(-2i/d) frequencies, so a scaled RoPE (Llama 3.1) stays on the CPU. */
    @Test
    void ropeScalingIsRefused() {
        ModelConfig scaled = CONFIG.withRopeScaling(RopeScaling.llama3(8, 1, 4, 8192));
        try (var w = new RandomWeights(Families.LLAMA, scaled, DType.F16, 1)) {
            String why = CudaLlama.unsupportedReason(new Model(Families.LLAMA, scaled, w, Path.of("m")));
            assertTrue(why != null && why.contains("llama3") && why.contains("CPU"), why);
        }
    }

    @Test
    void qkvBiasesAreRefusedNamingTheTensor() {
        try (var w = new RandomWeights(Families.LLAMA, CONFIG, DType.F32, 1)) {
            String bias = Families.LLAMA.tensorName(com.seedsq.engine.model.TensorRole.Q_BIAS, 0);
            WeightSource withBias = new WeightSource() {
                @Override
                public Set<String> names() {
                    Set<String> n = new LinkedHashSet<>(w.names());
                    n.add(bias);
                    return n;
                }

                @Override
                public TensorData tensor(String name) {
                    return w.tensor(name);
                }

                @Override
                public Map<String, Object> metadata() {
                    return Map.of();
                }

                @Override
                public void close() {
                }
            };
            String why = CudaLlama.unsupportedReason(new Model(Families.LLAMA, CONFIG, withBias, Path.of("m")));
            assertTrue(why != null && why.contains(bias), why);
        }
    }
}
