package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.quant.QuantizedMatrix;

/** The obviously correct triple loop: the reference every faster kernel is tested against. */
public final class ScalarInt8Gemm implements Int8Gemm {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void multiply(QuantizedMatrix a, Int8Weights w, Int8Output out) {
        out.check(a, w);
        QuantizedMatrix wm = w.matrix();
        for (int m = 0; m < a.rows(); m++) {
            for (int n = 0; n < wm.rows(); n++) {
                int acc = 0;
                for (int k = 0; k < a.cols(); k++) {
                    acc += a.code(m, k) * wm.code(n, k);
                }
                out.put(m, n, acc);
            }
        }
    }
}
