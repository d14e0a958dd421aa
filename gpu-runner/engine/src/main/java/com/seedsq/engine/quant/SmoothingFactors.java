package com.seedsq.engine.quant;

/**
 * SmoothQuant's per-input-channel factors {@code s_j = max(a_j^α / max(w_j, 1e-5)^(1−α), 1e-5)}, where {@code a_j} is
 * the calibrated abs-max of input channel j and {@code w_j} the abs-max of weight column j over every linear that
 * reads this input (all of them are multiplied by the same s, so the weakest bound must hold for all).
 *
 * <p>Dividing the input by s and multiplying the weight columns by s leaves X·Wᵀ unchanged while moving the
 * activation outliers into the weights, which quantize per row far better. The power is taken in float64 and the
 * result cast to float32 once, as the reference does; the floors keep dead channels (a or w zero) from producing 0
 * or infinity.
 */
public final class SmoothingFactors {

    private static final double FLOOR = 1e-5;

    private SmoothingFactors() {
    }

    public static float[] compute(float[] actAbsMax, float[] weightAbsMax, double alpha) {
        if (actAbsMax.length != weightAbsMax.length) {
            throw new IllegalArgumentException(actAbsMax.length + " activation channels but " + weightAbsMax.length
                    + " weight columns");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must lie in [0, 1], got " + alpha);
        }
        float[] s = new float[actAbsMax.length];
        for (int j = 0; j < s.length; j++) {
            double a = Math.pow(actAbsMax[j], alpha);
            double w = Math.pow(Math.max(weightAbsMax[j], FLOOR), 1 - alpha);
            s[j] = (float) Math.max(a / w, FLOOR);
        }
        return s;
    }

    /**
     * The column abs-max {@code max_i |W[i, j]|} over all the given weights W[rows, cols] (row-major, same cols),
     * i.e. the {@code w_j} of every linear fed by one input.
     */
    public static float[] weightAbsMax(int cols, float[]... weights) {
        float[] m = new float[cols];
        for (float[] w : weights) {
            if (w.length % cols != 0) {
                throw new IllegalArgumentException(w.length + " weights do not form rows of " + cols + " columns");
            }
            for (int i = 0; i < w.length; i++) {
                int j = i % cols;
                m[j] = Math.max(m[j], Math.abs(w[i]));
            }
        }
        return m;
    }
}
