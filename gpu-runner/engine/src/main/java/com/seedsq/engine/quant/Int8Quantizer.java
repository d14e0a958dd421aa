package com.seedsq.engine.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Symmetric INT8 quantization with the reference's float32 conventions, so codes match an independent
 * implementation bit for bit: {@code scale = max(absmax, 1e-5) / 127}, {@code q = clamp(rint(x / scale), ±127)}.
 *
 * <p>Why each detail: the 1e-5 floor keeps an all-zero row from dividing by zero; a true division (not a multiply by
 * a precomputed reciprocal, which rounds differently) and round-half-to-even ({@link Math#rint}, numpy's rounding)
 * are what the reference does; ±127 (not -128) keeps the range symmetric so negation never overflows.
 *
 * <p>An optional {@code inputScale} (one factor per column, 1/s of smoothing where no norm can absorb s) is applied
 * in the same pass that quantizes, so explicit smoothing costs no extra read of the activations.
 */
public final class Int8Quantizer {

    public static final int QMAX = 127;
    public static final float MIN_ABSMAX = 1e-5f;

    private Int8Quantizer() {
    }

    public static float scale(float absMax) {
        return Math.max(absMax, MIN_ABSMAX) / QMAX;
    }

    public static byte quantize(float x, float scale) {
        double q = Math.rint(x / scale);
        return (byte) Math.max(-QMAX, Math.min(QMAX, q));
    }

    /** Weights W[rows = out, cols = in], per-tensor ({@link Granularity#TENSOR}) or per-channel (CHANNEL). */
    public static QuantizedMatrix weights(float[] w, int rows, int cols, Granularity g) {
        if (g == Granularity.TOKEN) {
            throw new IllegalArgumentException("weights are quantized per tensor or per channel, not per token");
        }
        return dynamic(w, rows, cols, g, null, Rows.SERIAL);
    }

    /**
     * Activations X[rows = tokens, cols = in] with scales taken from X itself: one per token (TOKEN, level O1) or one
     * for all rows (TENSOR, level O2; pass one sequence at a time). {@code inputScale} may be null.
     */
    public static QuantizedMatrix activations(float[] x, int rows, int cols, Granularity g, float[] inputScale) {
        return activations(x, rows, cols, g, inputScale, Rows.SERIAL);
    }

    /** {@link #activations(float[], int, int, Granularity, float[])} with blocks of rows run by {@code rows}. */
    public static QuantizedMatrix activations(float[] x, int rows, int cols, Granularity g, float[] inputScale,
                                              Rows runner) {
        if (g == Granularity.CHANNEL) {
            throw new IllegalArgumentException("activations are quantized per token or per tensor, not per channel");
        }
        return dynamic(x, rows, cols, g, inputScale, runner);
    }

    /** Activations with a scale fixed by calibration (level O3), see {@link #staticScale}. */
    public static QuantizedMatrix activationsStatic(float[] x, int rows, int cols, float scale, float[] inputScale) {
        return activationsStatic(x, rows, cols, scale, inputScale, Rows.SERIAL);
    }

    /** {@link #activationsStatic(float[], int, int, float, float[])} with blocks of rows run by {@code rows}. */
    public static QuantizedMatrix activationsStatic(float[] x, int rows, int cols, float scale, float[] inputScale,
                                                    Rows runner) {
        checkShape(x, rows, cols, inputScale);
        byte[] codes = new byte[rows * cols];
        byBlocks(rows, cols, runner, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                quantizeRow(x, r * cols, cols, inputScale, scale, codes);
            }
        });
        return QuantizedMatrix.ofBytes(codes, rows, cols, new float[]{scale}, Granularity.TENSOR);
    }

    /**
     * Runs {@code body(0..count-1)}, e.g. {@code Kernels::parallelFor}: rows are quantized independently (each code
     * depends on its row, or on one scale found first), so sharing blocks of rows out changes no code.
     */
    @FunctionalInterface
    public interface Rows {
        Rows SERIAL = (count, body) -> {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
        };

        void forEach(int count, java.util.function.IntConsumer body);
    }

    private static final int BLOCK_ROWS = 16;

    private interface RowRange {
        void run(int r0, int r1);
    }

    private static void byBlocks(int rows, int cols, Rows runner, RowRange body) {
        if ((long) rows * cols < 1 << 15) { // below ~32K values handing out work costs more than it saves
            body.run(0, rows);
            return;
        }
        runner.forEach((rows + BLOCK_ROWS - 1) / BLOCK_ROWS,
                b -> body.run(b * BLOCK_ROWS, Math.min(rows, (b + 1) * BLOCK_ROWS)));
    }

    /**
     * The static (O3) activation scale from calibration: {@code max_j(calibAbsMax_j / s_j) / 127}, the largest value
     * the smoothed input took. {@code smoothing} (s, not 1/s) may be null for an unsmoothed site.
     */
    public static float staticScale(float[] calibAbsMax, float[] smoothing) {
        if (smoothing != null && smoothing.length != calibAbsMax.length) {
            throw new IllegalArgumentException(calibAbsMax.length + " abs-max channels but " + smoothing.length
                    + " smoothing factors");
        }
        float max = 0f;
        for (int j = 0; j < calibAbsMax.length; j++) {
            max = Math.max(max, smoothing == null ? calibAbsMax[j] : calibAbsMax[j] / smoothing[j]);
        }
        return scale(max);
    }

    private static QuantizedMatrix dynamic(float[] x, int rows, int cols, Granularity g, float[] inputScale,
                                           Rows runner) {
        checkShape(x, rows, cols, inputScale);
        byte[] codes = new byte[rows * cols];
        float[] scales;
        if (g.perRow()) {
            float[] perRow = new float[rows];
            byBlocks(rows, cols, runner, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    perRow[r] = scale(absMax(x, r * cols, cols, inputScale));
                    quantizeRow(x, r * cols, cols, inputScale, perRow[r], codes);
                }
            });
            scales = perRow;
        } else {
            float[] rowMax = new float[rows];
            byBlocks(rows, cols, runner, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    rowMax[r] = absMax(x, r * cols, cols, inputScale);
                }
            });
            float max = 0f;
            for (float v : rowMax) {
                max = Math.max(max, v); // exact in any order
            }
            float s = scale(max);
            byBlocks(rows, cols, runner, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    quantizeRow(x, r * cols, cols, inputScale, s, codes);
                }
            });
            scales = new float[]{s};
        }
        return QuantizedMatrix.ofBytes(codes, rows, cols, scales, g);
    }

    /*
     * The row loops below run on the Vector API: activation quantization is one pass over every linear input, and in
     * scalar Java it was a visible share of INT8 prefill (BERT-base). Every lane operation is IEEE-exact (multiply,
     * true division, min/max, and rounding by the 1.5·2^23 trick, which rounds half to even like Math.rint for
     * |t| ≤ 2^22: t is clamped to ±127 first, and clamping before or after rounding gives the same code because ±127
     * are integers), so the codes equal the scalar definition in {@link #quantize} bit for bit (tested).
     */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    private static final float ROUNDING = 12_582_912f; // 1.5 * 2^23

    /** Abs-max of the row x[off, off+cols), each element first multiplied by its column's input scale if any. */
    private static float absMax(float[] x, int off, int cols, float[] inputScale) {
        FloatVector vm = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, off + c);
            if (inputScale != null) {
                v = v.mul(FloatVector.fromArray(F, inputScale, c));
            }
            vm = vm.max(v.abs());
        }
        float m = vm.reduceLanes(VectorOperators.MAX); // max is exact in any order
        for (; c < cols; c++) {
            float v = inputScale == null ? x[off + c] : x[off + c] * inputScale[c];
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static void quantizeRow(float[] x, int off, int cols, float[] inputScale, float scale, byte[] codes) {
        int c = 0;
        for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, off + c);
            if (inputScale != null) {
                v = v.mul(FloatVector.fromArray(F, inputScale, c));
            }
            FloatVector t = v.div(scale).max(-QMAX).min(QMAX).add(ROUNDING).sub(ROUNDING);
            t.convertShape(VectorOperators.F2B, B, 0).reinterpretAsBytes().intoArray(codes, off + c);
        }
        for (; c < cols; c++) {
            float v = inputScale == null ? x[off + c] : x[off + c] * inputScale[c];
            codes[off + c] = quantize(v, scale);
        }
    }

    private static void checkShape(float[] x, int rows, int cols, float[] inputScale) {
        if (x.length != rows * cols) {
            throw new IllegalArgumentException(x.length + " values for a " + rows + "x" + cols + " matrix");
        }
        if (inputScale != null && inputScale.length != cols) {
            throw new IllegalArgumentException(cols + " columns but " + inputScale.length + " input scales");
        }
    }
}
