package com.seedsq.engine.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A random checkpoint of any family and config, off-heap, in F32, F16 or BF16: for benchmarks (no real model of a
 * useful size fits here) and for tests that must not depend on shared data. Linear weights are N(0, 1/in) so that
 * activations keep unit scale through many layers; norm weights are near 1.
 */
public final class RandomWeights implements WeightSource {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final Map<String, TensorData> tensors = new LinkedHashMap<>();

    public RandomWeights(ModelFamily family, ModelConfig c, DType dtype, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = c.hiddenSize(), ff = c.intermediateSize();
        add(family.tensorName(TensorRole.EMBED), dtype, new long[]{c.vocabSize(), d}, 1.0, false, rnd);
        for (int l = 0; l < c.layers(); l++) {
            add(family.tensorName(TensorRole.ATTN_NORM, l), DType.F32, new long[]{d}, 0.1, true, rnd);
            add(family.tensorName(TensorRole.Q, l), dtype, new long[]{c.qDim(), d}, 1 / Math.sqrt(d), false, rnd);
            add(family.tensorName(TensorRole.K, l), dtype, new long[]{c.kvDim(), d}, 1 / Math.sqrt(d), false, rnd);
            add(family.tensorName(TensorRole.V, l), dtype, new long[]{c.kvDim(), d}, 1 / Math.sqrt(d), false, rnd);
            add(family.tensorName(TensorRole.O, l), dtype, new long[]{d, c.qDim()}, 1 / Math.sqrt(c.qDim()), false,
                    rnd);
            add(family.tensorName(TensorRole.FFN_NORM, l), DType.F32, new long[]{d}, 0.1, true, rnd);
            if (family.mlp() == MlpKind.SWIGLU) {
                add(family.tensorName(TensorRole.GATE, l), dtype, new long[]{ff, d}, 1 / Math.sqrt(d), false, rnd);
            }
            add(family.tensorName(TensorRole.UP, l), dtype, new long[]{ff, d}, 1 / Math.sqrt(d), false, rnd);
            add(family.tensorName(TensorRole.DOWN, l), dtype, new long[]{d, ff}, 1 / Math.sqrt(ff), false, rnd);
        }
        add(family.tensorName(TensorRole.FINAL_NORM), DType.F32, new long[]{d}, 0.1, true, rnd);
        if (!c.tiedEmbeddings()) {
            add(family.tensorName(TensorRole.LM_HEAD), dtype, new long[]{c.vocabSize(), d}, 1 / Math.sqrt(d), false,
                    rnd);
        }
    }

    private void add(String name, DType dtype, long[] shape, double std, boolean nearOne, SplittableRandom rnd) {
        long n = TensorData.elementCount(shape);
        MemorySegment seg = arena.allocate(n * dtype.bytes(), 8);
        for (long i = 0; i < n; i++) {
            float v = (float) ((nearOne ? 1 : 0) + std * gaussian(rnd));
            switch (dtype) {
                case F32 -> seg.set(F32, i * 4, v);
                case F16 -> seg.set(I16, i * 2, Float.floatToFloat16(v));
                case BF16 -> seg.set(I16, i * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
                default -> throw new IllegalArgumentException("random weights in " + dtype + " not supported");
            }
        }
        tensors.put(name, new TensorData(name, dtype, shape, seg));
    }

    /** Irwin-Hall approximation (sum of 4 uniforms): fast, and a benchmark needs no exact normal tails. */
    private static double gaussian(SplittableRandom rnd) {
        return (rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 2) * Math.sqrt(3);
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    @Override
    public TensorData tensor(String name) {
        TensorData t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(null, name, "no such tensor in the random checkpoint");
        }
        return t;
    }

    @Override
    public Map<String, Object> metadata() {
        return Map.of("format", "random");
    }

    @Override
    public void close() {
        arena.close();
    }
}
