package com.seedsq.engine.kernel;

import java.util.function.IntConsumer;

/** Single-threaded, plain loops: the reference the fast kernels are tested against. */
public class ScalarKernels implements Kernels {

    @Override
    public void matmul(float[] x, int m, Matrix w, float[] out) {
        int n = w.rows(), k = w.cols();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int c = 0; c < k; c++) {
                    acc += x[i * k + c] * w.get(j, c);
                }
                out[i * n + j] = acc;
            }
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float acc = 0f;
        for (int i = 0; i < n; i++) {
            acc += a[aOff + i] * b[bOff + i];
        }
        return acc;
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    @Override
    public void parallelFor(int count, IntConsumer body) {
        for (int i = 0; i < count; i++) {
            body.accept(i);
        }
    }
}
