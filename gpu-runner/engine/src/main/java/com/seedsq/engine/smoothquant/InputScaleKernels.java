package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ForwardingKernels;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;

import java.util.Map;

/**
 * FP execution of a model smoothed at sites with no norm: multiplies the input of those linears by their explicit
 * input scale 1/s before the matmul (the INT8 path fuses this into quantization instead). Other linears pass through.
 */
public final class InputScaleKernels extends ForwardingKernels {

    private final Map<String, float[]> inputScales;

    /** @param inputScales 1/s per linear tensor name */
    public InputScaleKernels(Kernels delegate, Map<String, float[]> inputScales) {
        super(delegate);
        this.inputScales = Map.copyOf(inputScales);
    }

    @Override
    public void matmul(float[] x, int m, Matrix w, float[] out) {
        float[] inv = inputScales.get(w.name());
        if (inv == null) {
            delegate.matmul(x, m, w, out);
            return;
        }
        delegate.matmul(scale(x, m, inv), m, w, out);
    }

    static float[] scale(float[] x, int m, float[] inv) {
        int cols = inv.length;
        float[] y = new float[m * cols];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = x[r * cols + c] * inv[c];
            }
        }
        return y;
    }
}
