package com.seedsq.engine.cuda;

import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.kernel.int8.Int8Output;
import com.seedsq.engine.kernel.int8.Int8Weights;
import com.seedsq.engine.quant.QuantizedMatrix;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * {@link Int8Gemm} on the GPU's INT8 tensor cores, for host arrays: the activations are uploaded per call (K padded
 * with zero columns to the tile multiple), the weights once per {@link Int8Weights} instance (kept on the device until
 * {@link #close()}), and the result downloaded into the {@link Int8Output}. INT32 outputs equal the CPU kernels'
 * integers; dequantized FP32 outputs equal them bit for bit (same expression order, no FMA).
 *
 * <p>Host round trips make this the slow way to use the GPU: the forward pass keeps activations on the device and
 * calls {@link CudaKernels#gemm} directly. This class is what plugs into the engine's INT8 GEMM interface and what
 * the exactness checks use.
 */
public final class CudaInt8Gemm implements Int8Gemm {

    private record DeviceWeights(DeviceBuffer codes, DeviceBuffer scales, int kPadded) {
        void free() {
            codes.close();
            scales.close();
        }
    }

    private final CudaKernels kernels;
    private final CudaDevice device;
    private final GemmTile forcedTile;
    private final Map<Int8Weights, DeviceWeights> weights = new IdentityHashMap<>();

    public CudaInt8Gemm(CudaKernels kernels) {
        this(kernels, null);
    }

    /** {@code tile} null lets {@link GemmPlan} choose. */
    public CudaInt8Gemm(CudaKernels kernels, GemmTile tile) {
        this.kernels = kernels;
        this.device = kernels.device();
        this.forcedTile = tile;
    }

    @Override
    public String name() {
        return "cuda-mma-s8" + (forcedTile == null ? "" : "-" + forcedTile.suffix());
    }

    public GemmPlan plan(int m, int n, int k) {
        return forcedTile == null
                ? GemmPlan.of(m, n, k, GemmPrecision.INT8, device.info().multiprocessors())
                : GemmPlan.of(m, n, k, GemmPrecision.INT8, forcedTile);
    }

    /** Row-major [rows, cols] bytes re-laid with row stride {@code ld} ≥ cols, pad columns zero. */
    static byte[] padColumns(byte[] src, int rows, int cols, int ld) {
        if (ld == cols) {
            return src;
        }
        byte[] out = new byte[Math.multiplyExact(rows, ld)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, r * cols, out, r * ld, cols);
        }
        return out;
    }

    private DeviceWeights upload(Int8Weights w, GemmPlan plan) {
        DeviceWeights d = weights.get(w);
        if (d != null && d.kPadded() == plan.kPadded()) {
            return d;
        }
        if (d != null) {
            d.free();
        }
        QuantizedMatrix m = w.matrix();
        d = new DeviceWeights(device.upload(padColumns(m.toByteArray(), m.rows(), m.cols(), plan.kPadded())),
                device.upload(m.scales()), plan.kPadded());
        weights.put(w, d);
        return d;
    }

    @Override
    public void multiply(QuantizedMatrix a, Int8Weights w, Int8Output out) {
        if (a.cols() != w.cols()) {
            throw new IllegalArgumentException("A has " + a.cols() + " columns, W has " + w.cols());
        }
        GemmPlan plan = plan(a.rows(), w.rows(), a.cols());
        DeviceWeights dw = upload(w, plan);
        try (DeviceBuffer da = device.upload(padColumns(a.toByteArray(), a.rows(), a.cols(), plan.kPadded()))) {
            switch (out) {
                case Int8Output.Int32 acc -> {
                    try (DeviceBuffer c = device.allocate((long) plan.m() * plan.n() * 4)) {
                        kernels.gemm(plan, GemmOutput.INT32, da, dw.codes(), c, null, false, null, false, null);
                        device.download(c, acc.acc());
                    }
                }
                case Int8Output.Dequantized d -> {
                    try (DeviceBuffer c = device.allocate((long) plan.m() * plan.n() * 4);
                         DeviceBuffer as = device.upload(d.aScales());
                         DeviceBuffer ws = device.upload(d.wScales());
                         DeviceBuffer bias = d.bias() == null ? null : device.upload(d.bias())) {
                        kernels.gemm(plan, GemmOutput.FP32, da, dw.codes(), c, as, d.aPerRow(), ws, d.wPerRow(), bias);
                        device.download(c, d.out());
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        weights.values().forEach(DeviceWeights::free);
        weights.clear();
    }
}
