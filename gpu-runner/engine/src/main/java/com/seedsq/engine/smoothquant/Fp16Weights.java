package com.seedsq.engine.smoothquant;

import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The "FP16 weights" variant as an overlay: every F32 tensor comes back rounded to IEEE half precision (round to
 * nearest even, {@link Float#floatToFloat16}) and stored as F16, which the kernels widen as they read; compute stays
 * FP32. Tensors already in F16/BF16 pass through.
 */
public final class Fp16Weights implements WeightSource {

    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final WeightSource base;
    private final Map<String, TensorData> cache = new ConcurrentHashMap<>();

    public Fp16Weights(WeightSource base) {
        this.base = base;
    }

    @Override
    public Set<String> names() {
        return base.names();
    }

    @Override
    public TensorData tensor(String name) {
        TensorData t = base.tensor(name);
        if (t.dtype() != DType.F32) {
            return t;
        }
        return cache.computeIfAbsent(name, n -> {
            long count = t.elementCount();
            MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(count * 2)]);
            for (long i = 0; i < count; i++) {
                seg.set(I16_LE, i * 2, Float.floatToFloat16(t.getFloat(i)));
            }
            return new TensorData(n, DType.F16, t.shape().clone(), seg);
        });
    }

    @Override
    public Map<String, Object> metadata() {
        return base.metadata();
    }

    @Override
    public void close() {
        cache.clear();
    }
}
