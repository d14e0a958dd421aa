package com.seedsq.engine.quant;

/**
 * Applies smoothing factors s to a model so that the FP function is unchanged: the input of the fed linears is
 * divided by s and their weight columns multiplied by s. Where a norm produces the input (pre-LN), the division is
 * folded into its weight and bias for free; elsewhere it becomes an explicit per-channel input scale that the
 * activation quantizer applies (see {@link Int8Quantizer#activations}).
 *
 * <p>All arithmetic is one float32 operation per element, as in the reference, so smoothed weights quantize to the
 * same codes.
 */
public final class SmoothingFold {

    private SmoothingFold() {
    }

    /** {@code weight_j /= s_j} and {@code bias_j /= s_j} in place; {@code bias} may be null (RMSNorm has none). */
    public static void intoNorm(float[] weight, float[] bias, float[] s) {
        divide(weight, s);
        if (bias != null) {
            divide(bias, s);
        }
    }

    /** {@code W[i, j] *= s_j} in place for W[rows, s.length], row-major. */
    public static void intoLinearInput(float[] w, float[] s) {
        int cols = s.length;
        if (w.length % cols != 0) {
            throw new IllegalArgumentException(w.length + " weights do not form rows of " + cols + " columns");
        }
        for (int i = 0; i < w.length; i += cols) {
            for (int j = 0; j < cols; j++) {
                w[i + j] *= s[j];
            }
        }
    }

    /** The explicit input scale {@code 1/s} for a site with no foldable norm. */
    public static float[] inputScale(float[] s) {
        float[] inv = new float[s.length];
        for (int j = 0; j < s.length; j++) {
            inv[j] = 1f / s[j];
        }
        return inv;
    }

    private static void divide(float[] v, float[] s) {
        if (v.length != s.length) {
            throw new IllegalArgumentException(v.length + " norm channels but " + s.length + " smoothing factors");
        }
        for (int j = 0; j < v.length; j++) {
            v[j] /= s[j];
        }
    }
}
