package com.seedsq.engine.calib;

import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.model.PositionKind;

import java.util.function.IntConsumer;

/**
 * A {@link Kernels} that passes every call to another one; decorators (calibration recording, INT8 linears) override
 * {@link #matmul} only. Every method is forwarded explicitly, including the interface's defaults, so a fast base
 * implementation's overrides stay in use; except {@link #linear} and {@link #linears}, whose defaults go through
 * {@link #matmul}, so that a decorator watching it sees every product. {@link #close()} does not close the
 * delegate: whoever made it owns it.
 */
public abstract class ForwardingKernels implements Kernels {

    protected final Kernels delegate;

    protected ForwardingKernels(Kernels delegate) {
        this.delegate = delegate;
    }

    public Kernels delegate() {
        return delegate;
    }

    @Override
    public void matmul(float[] x, int m, Matrix w, float[] out) {
        delegate.matmul(x, m, w, out);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return delegate.dot(a, aOff, b, bOff, n);
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        delegate.axpy(a, x, xOff, y, yOff, n);
    }

    @Override
    public void gemmNN(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                       int m, int n, int k, float alpha) {
        delegate.gemmNN(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k, alpha);
    }

    @Override
    public void parallelFor(int count, IntConsumer body) {
        delegate.parallelFor(count, body);
    }

    @Override
    public void rmsnorm(float[] out, float[] x, float[] weight, int m, int dim, float eps) {
        delegate.rmsnorm(out, x, weight, m, dim, eps);
    }

    @Override
    public void layernorm(float[] out, float[] x, float[] weight, float[] bias, int m, int dim, float eps) {
        delegate.layernorm(out, x, weight, bias, m, dim, eps);
    }

    @Override
    public void addLayernorm(float[] x, float[] delta, float[] weight, float[] bias, int m, int dim, float eps) {
        delegate.addLayernorm(x, delta, weight, bias, m, dim, eps);
    }

    @Override
    public void softmax(float[] x, int off, int len) {
        delegate.softmax(x, off, len);
    }

    @Override
    public void rope(float[] x, int m, int rowStride, int heads, int headDim, int startPos, float theta,
                     PositionKind layout) {
        delegate.rope(x, m, rowStride, heads, headDim, startPos, theta, layout);
    }

    @Override
    public void rope(float[] x, int m, int rowStride, int heads, int headDim, int rotaryDim, int startPos,
                     float theta, PositionKind layout) {
        delegate.rope(x, m, rowStride, heads, headDim, rotaryDim, startPos, theta, layout);
    }

    @Override
    public void rope(float[] x, int m, int rowStride, int heads, int headDim, int startPos, float[] invFreq,
                     PositionKind layout) {
        delegate.rope(x, m, rowStride, heads, headDim, startPos, invFreq, layout);
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        delegate.swiglu(gate, up, n);
    }

    @Override
    public void gelu(float[] x, int n) {
        delegate.gelu(x, n);
    }

    @Override
    public void geluTanh(float[] x, int n) {
        delegate.geluTanh(x, n);
    }

    @Override
    public void relu(float[] x, int n) {
        delegate.relu(x, n);
    }

    @Override
    public void close() {
    }
}
