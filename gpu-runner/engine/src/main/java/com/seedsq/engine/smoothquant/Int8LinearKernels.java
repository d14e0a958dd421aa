package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ForwardingKernels;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.kernel.int8.Int8Weights;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.Int8Quantizer;
import com.seedsq.engine.quant.QuantizedMatrix;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * W8A8 execution as a kernel decorator: a matmul whose weight name is a prepared {@link QuantizedLinear} quantizes
 * its input ({@link Int8Quantizer}: per token, per tensor = per call, i.e. per window in prefill, or with the static
 * O3 scale; the explicit 1/s smoothing scale fused in) and multiplies INT8 × INT8 → INT32 with one dequantization per
 * output through {@link Int8Gemm}, or, without a GEMM, in fake quantization (dequantized codes through the FP
 * kernels). Every other matmul (embeddings as LM head, an untied LM head) stays FP32 in the delegate.
 *
 * <p>Optionally it also measures each linear's quantization error: the FP32 output of the same input with the same
 * (smoothed) FP weight is computed alongside, and the relative MSE {@code Σ(y_q − y)² / Σ y²} accumulated per linear.
 */
public final class Int8LinearKernels extends ForwardingKernels {

    private final Map<String, QuantizedLinear> linears;
    private final QuantLevel level;
    private final Int8Gemm gemm;
    private final Map<String, double[]> errors; // name -> {sum sq err, sum sq ref}; null when not probing

    /**
     * @param gemm the INT8 GEMM, or null for fake quantization (then every linear needs {@code dequantized})
     */
    public Int8LinearKernels(Kernels delegate, Map<String, QuantizedLinear> linears, QuantLevel level, Int8Gemm gemm,
                             boolean probeErrors) {
        super(delegate);
        this.linears = Map.copyOf(linears);
        this.level = level;
        this.gemm = gemm;
        this.errors = probeErrors ? new LinkedHashMap<>() : null;
    }

    @Override
    public void matmul(float[] x, int m, Matrix w, float[] out) {
        linear(x, m, w, null, out);
    }

    /** The bias goes into the GEMM's dequantizing epilogue ({@code acc·aScale·wScale + bias}, the same float sum). */
    @Override
    public void linear(float[] x, int m, Matrix w, float[] bias, float[] out) {
        QuantizedLinear q = linears.get(w.name());
        if (q == null) {
            delegate.linear(x, m, w, bias, out);
            return;
        }
        if (w.cols() != q.cols() || w.rows() != q.rows()) {
            throw new IllegalStateException(w.name() + ": forward pass passes " + w.rows() + "x" + w.cols()
                    + ", INT8 weights are " + q.rows() + "x" + q.cols());
        }
        QuantizedMatrix a = quantizeInput(q, x, m);
        if (errors != null) { // the error is the product's, before the bias: measure, then add it
            product(q, a, m, null, out);
            float[] ref = new float[out.length];
            float[] in = q.inputScale() == null ? x : InputScaleKernels.scale(x, m, q.inputScale());
            delegate.matmul(in, m, w, ref);
            double[] e = errors.computeIfAbsent(w.name(), k -> new double[2]);
            for (int i = 0; i < ref.length; i++) {
                double d = (double) out[i] - ref[i];
                e[0] += d * d;
                e[1] += (double) ref[i] * ref[i];
            }
            Kernels.addBias(out, m, bias);
        } else {
            product(q, a, m, bias, out);
        }
    }

    /**
     * q, k and v read one input: where they also quantize it alike (one smoothing site, so the same 1/s and the same
     * static scale), it is quantized once and the three products go to the GEMM as one batch. Otherwise (a linear
     * left FP, error probing, fake quantization) each goes through {@link #linear}.
     */
    @Override
    public void linears(float[] x, int m, Matrix[] ws, float[][] biases, float[][] outs) {
        QuantizedLinear[] qs = new QuantizedLinear[ws.length];
        boolean shared = gemm != null && errors == null && ws.length > 0;
        for (int i = 0; i < ws.length && shared; i++) {
            qs[i] = linears.get(ws[i].name());
            shared = qs[i] != null && ws[i].cols() == qs[i].cols() && ws[i].rows() == qs[i].rows()
                    && quantizesAlike(qs[0], qs[i]);
        }
        if (!shared) {
            for (int i = 0; i < ws.length; i++) {
                linear(x, m, ws[i], biases[i], outs[i]);
            }
            return;
        }
        QuantizedMatrix a = quantizeInput(qs[0], x, m);
        Int8Weights[] weights = new Int8Weights[qs.length];
        for (int i = 0; i < qs.length; i++) {
            weights[i] = qs[i].weights();
        }
        gemm.multiply(a, weights, biases, outs);
    }

    /** Whether {@link #quantizeInput} gives both linears the same codes and scales for one input. */
    private static boolean quantizesAlike(QuantizedLinear a, QuantizedLinear b) {
        return a.cols() == b.cols() && Arrays.equals(a.inputScale(), b.inputScale())
                && Float.floatToIntBits(a.staticScale()) == Float.floatToIntBits(b.staticScale());
    }

    private void product(QuantizedLinear q, QuantizedMatrix a, int m, float[] bias, float[] out) {
        if (gemm != null) {
            gemm.multiply(a, q.weights(), bias, out);
        } else {
            delegate.linear(a.dequantize(), m, q.dequantized(), bias, out);
        }
    }

    QuantizedMatrix quantizeInput(QuantizedLinear q, float[] x, int m) {
        if (level.staticScale() && !Float.isNaN(q.staticScale())) {
            return Int8Quantizer.activationsStatic(x, m, q.cols(), q.staticScale(), q.inputScale(),
                    delegate::parallelFor);
        }
        // dynamic: the level's granularity, or per token for a linear without a static scale at a static level
        // (an INT8 LM head, which no calibration site feeds)
        Granularity g = level.staticScale() ? Granularity.TOKEN : level.activations();
        return Int8Quantizer.activations(x, m, q.cols(), g, q.inputScale(), delegate::parallelFor);
    }

    /** Relative MSE per linear measured so far (empty unless probing). */
    public Map<String, Double> relativeErrors() {
        Map<String, Double> r = new LinkedHashMap<>();
        if (errors != null) {
            errors.forEach((k, v) -> r.put(k, v[1] == 0 ? 0 : v[0] / v[1]));
        }
        return r;
    }
}
