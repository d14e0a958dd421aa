package com.seedsq.engine.format.hf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds NaN or ±Inf in floating-point weights. A single one poisons calibration statistics (abs-max becomes Inf or
 * NaN, so every smoothing factor does), so uploads are checked once, up front, and the report points at the
 * exact element.
 *
 * <p>Works on the raw bits: an all-ones exponent field means non-finite in F32, F16 and BF16 alike, which avoids
 * widening every element.
 */
public final class NonFiniteScan {

    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The first non-finite element found: tensor name, flat row-major index and value. */
    public record Finding(String tensor, long index, float value) {
    }

    private NonFiniteScan() {
    }

    /** Scans tensors in {@code source.names()} order; empty when every float weight is finite. */
    public static Optional<Finding> firstNonFinite(WeightSource source) {
        for (String name : source.names()) {
            TensorData t = source.tensor(name);
            long i = firstNonFinite(t);
            if (i >= 0) {
                return Optional.of(new Finding(name, i, t.getFloat(i)));
            }
        }
        return Optional.empty();
    }

    /** Throws a {@link ModelFormatException} naming the tensor and index of the first non-finite weight. */
    public static void requireFinite(WeightSource source, Path file) {
        firstNonFinite(source).ifPresent(f -> {
            throw new ModelFormatException(file, f.tensor(),
                    "non-finite weight " + f.value() + " at flat index " + f.index());
        });
    }

    /** Flat index of the first non-finite element of {@code t}, or -1. Integer tensors are always finite. */
    public static long firstNonFinite(TensorData t) {
        MemorySegment d = t.data();
        long n = t.elementCount();
        switch (t.dtype()) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    if ((d.get(I32_LE, i * 4) & 0x7f80_0000) == 0x7f80_0000) {
                        return i;
                    }
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    if ((d.get(I16_LE, i * 2) & 0x7c00) == 0x7c00) {
                        return i;
                    }
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    if ((d.get(I16_LE, i * 2) & 0x7f80) == 0x7f80) {
                        return i;
                    }
                }
            }
            case I8, I32 -> {
                return -1;
            }
        }
        return -1;
    }
}
