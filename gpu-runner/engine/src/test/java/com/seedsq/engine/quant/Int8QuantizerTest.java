package com.seedsq.engine.quant;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class Int8QuantizerTest {

    /**
     * The vectorised row quantizer must give the scalar definition's codes exactly: random rows of every length
     * around the vector width (tails), with and without input scales, plus exact ties (x.5 at scale 1, where
     * round-half-to-even matters), values beyond the clamp, infinities and NaN (code 0, as (byte) NaN).
     */
    @Test
    void vectorRowsEqualTheScalarDefinition() {
        java.util.Random r = new java.util.Random(3);
        for (int cols = 1; cols <= 70; cols++) {
            float[] x = new float[2 * cols], in = new float[cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 40 : 2));
            }
            for (int c = 0; c < cols; c++) {
                in[c] = 0.25f + r.nextFloat();
            }
            for (float[] inputScale : new float[][]{null, in}) {
                QuantizedMatrix q = Int8Quantizer.activations(x, 2, cols, Granularity.TOKEN, inputScale);
                for (int row = 0; row < 2; row++) {
                    for (int c = 0; c < cols; c++) {
                        float v = inputScale == null ? x[row * cols + c] : x[row * cols + c] * inputScale[c];
                        assertEquals(Int8Quantizer.quantize(v, q.scale(row)), q.code(row, c),
                                "cols " + cols + " row " + row + " col " + c);
                    }
                }
            }
        }
        float[] ties = new float[64];
        for (int i = 0; i < ties.length; i++) {
            ties[i] = (i - 32) + 0.5f; // -31.5 .. 31.5, every one a tie at scale 1
        }
        ties[0] = 127f; // absmax 127: scale exactly 1
        ties[1] = Float.NaN;
        ties[2] = 126.5f;
        QuantizedMatrix q = Int8Quantizer.activationsStatic(ties, 1, ties.length, 1f, null);
        for (int c = 0; c < ties.length; c++) {
            assertEquals(Int8Quantizer.quantize(ties[c], 1f), q.code(0, c), "tie at col " + c);
        }
        float[] wild = {1e9f, -1e9f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 300f, -128.4f, 0f, -0f,
                1e9f, -1e9f, 5f, 6f, 7f, 8f, 9f, 10f, 11f};
        QuantizedMatrix w = Int8Quantizer.activationsStatic(wild, 1, wild.length, 0.5f, null);
        for (int c = 0; c < wild.length; c++) {
            assertEquals(Int8Quantizer.quantize(wild[c], 0.5f), w.code(0, c), "value " + wild[c]);
        }
    }

    /** Blocks of rows shared out over threads give exactly the serial codes and scales, at every level. */
    @Test
    void rowsSharedOutOverThreadsGiveTheSameCodes() {
        Random r = new Random(5);
        int rows = 131, cols = 777; // above the parallel threshold, ragged against the 16-row blocks
        float[] x = new float[rows * cols], in = new float[cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * (i % cols == 3 ? 30 : 1);
        }
        for (int c = 0; c < cols; c++) {
            in[c] = 0.5f + r.nextFloat();
        }
        try (com.seedsq.engine.kernel.VectorKernels k = new com.seedsq.engine.kernel.VectorKernels(3)) {
            for (Granularity g : new Granularity[]{Granularity.TOKEN, Granularity.TENSOR}) {
                QuantizedMatrix serial = Int8Quantizer.activations(x, rows, cols, g, in);
                QuantizedMatrix shared = Int8Quantizer.activations(x, rows, cols, g, in, k::parallelFor);
                assertArrayEquals(serial.toByteArray(), shared.toByteArray(), g.toString());
                assertArrayEquals(serial.scales(), shared.scales(), g.toString());
            }
            QuantizedMatrix serial = Int8Quantizer.activationsStatic(x, rows, cols, 0.05f, in);
            QuantizedMatrix shared = Int8Quantizer.activationsStatic(x, rows, cols, 0.05f, in, k::parallelFor);
            assertArrayEquals(serial.toByteArray(), shared.toByteArray(), "static");
        }
    }

    @Test
    void scaleHasAFloorSoZeroRowsQuantizeToZero() {
        assertEquals(1e-5f / 127f, Int8Quantizer.scale(0f));
        QuantizedMatrix q = Int8Quantizer.weights(new float[4], 2, 2, Granularity.CHANNEL);
        assertArrayEquals(new byte[4], q.toByteArray());
    }

    @Test
    void roundsHalfToEvenAfterATrueDivision() {
        // scale 1: x/scale is exact, so these are exact ties and must go to the even neighbour
        float s = 1f;
        assertEquals(2, Int8Quantizer.quantize(2.5f, s));
        assertEquals(4, Int8Quantizer.quantize(3.5f, s));
        assertEquals(-2, Int8Quantizer.quantize(-2.5f, s));
        assertEquals(0, Int8Quantizer.quantize(0.5f, s));
        // clamped symmetric: -128 is never produced
        assertEquals(-127, Int8Quantizer.quantize(-1000f, s));
        assertEquals(127, Int8Quantizer.quantize(1000f, s));
    }

    @Test
    void perTensorUsesTheGlobalAbsMaxAndMapsItTo127() {
        float[] w = {0.5f, -2f, 1f, 0.25f};
        QuantizedMatrix q = Int8Quantizer.weights(w, 2, 2, Granularity.TENSOR);
        assertArrayEquals(new float[]{2f / 127f}, q.scales());
        assertEquals(-127, q.code(0, 1));
        assertEquals(32, q.code(0, 0)); // 0.5 / (2/127) = 31.75
    }

    @Test
    void perChannelAndPerTokenScaleEachRowOnItsOwn() {
        float[] x = {1f, -4f, 0.1f, 0.2f};
        QuantizedMatrix w = Int8Quantizer.weights(x, 2, 2, Granularity.CHANNEL);
        QuantizedMatrix a = Int8Quantizer.activations(x, 2, 2, Granularity.TOKEN, null);
        for (QuantizedMatrix q : new QuantizedMatrix[]{w, a}) {
            assertEquals(4f / 127f, q.scale(0));
            assertEquals(0.2f / 127f, q.scale(1));
            assertEquals(-127, q.code(0, 1));
            assertEquals(127, q.code(1, 1));
        }
    }

    @Test
    void dequantizationErrorIsAtMostHalfAStep() {
        Random rnd = new Random(7);
        int rows = 13, cols = 37;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() * (1 + i % 5);
        }
        for (Granularity g : new Granularity[]{Granularity.TENSOR, Granularity.TOKEN}) {
            QuantizedMatrix q = Int8Quantizer.activations(x, rows, cols, g, null);
            float[] back = q.dequantize();
            for (int i = 0; i < x.length; i++) {
                // half a quantization step, plus float32 rounding of x/scale and q*scale (a few ulps of x)
                float bound = q.scale(i / cols) / 2 + 4 * Math.ulp(Math.abs(x[i]));
                assertTrue(Math.abs(back[i] - x[i]) <= bound, g + " element " + i);
            }
        }
    }

    @Test
    void inputScaleIsAppliedBeforeTheScaleIsChosen() {
        float[] x = {10f, 1f};
        float[] inv = {0.1f, 1f};
        QuantizedMatrix q = Int8Quantizer.activations(x, 1, 2, Granularity.TENSOR, inv);
        assertEquals(Int8Quantizer.scale(1f), q.scale(0)); // 10 * 0.1 = 1 = max
        assertEquals(127, q.code(0, 0));
        assertEquals(127, q.code(0, 1));

        // per-tensor over several rows: every row scales by column ({1, 0.1; 0.2, 20} after scaling)
        QuantizedMatrix t = Int8Quantizer.activations(new float[]{10f, 0.1f, 2f, 20f}, 2, 2, Granularity.TENSOR, inv);
        assertEquals(Int8Quantizer.scale(20f), t.scale(0));
        assertEquals(6, t.code(0, 0));   // 1 / (20/127) = 6.35
        assertEquals(1, t.code(1, 0));   // 0.2 / (20/127) = 1.27
        assertEquals(127, t.code(1, 1));
    }

    @Test
    void staticScaleIsTheLargestSmoothedCalibrationValue() {
        float[] absMax = {4f, 1f, 3f};
        float[] s = {4f, 0.5f, 1f};
        assertEquals(Int8Quantizer.scale(3f), Int8Quantizer.staticScale(absMax, s)); // 1, 2, 3
        assertEquals(Int8Quantizer.scale(4f), Int8Quantizer.staticScale(absMax, null));
        QuantizedMatrix q = Int8Quantizer.activationsStatic(new float[]{6f, -1.5f}, 1, 2, 3f / 127f, null);
        assertEquals(127, q.code(0, 0)); // beyond the calibrated range: clamped
        assertEquals(-64, q.code(0, 1)); // -63.5 rounds to even
    }

    @Test
    void rejectsMismatchedGranularityAndShapes() {
        assertThrows(IllegalArgumentException.class,
                () -> Int8Quantizer.weights(new float[4], 2, 2, Granularity.TOKEN));
        assertThrows(IllegalArgumentException.class,
                () -> Int8Quantizer.activations(new float[4], 2, 2, Granularity.CHANNEL, null));
        assertThrows(IllegalArgumentException.class,
                () -> Int8Quantizer.weights(new float[5], 2, 2, Granularity.TENSOR));
    }
}
