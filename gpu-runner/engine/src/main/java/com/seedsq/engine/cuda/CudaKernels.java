package com.seedsq.engine.cuda;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels of the fatbin, launched on a {@link CudaDevice}'s stream with {@code cuLaunchKernel}. Every method
 * works on device buffers and returns as soon as the launch is queued; {@link CudaDevice#synchronize()} or a
 * download waits for it. Shapes are checked here, so a wrong call fails in Java instead of reading out of bounds.
 *
 * <p>Activations are row-major {@code [rows, cols]} in FP32 ({@code half = false}) or FP16 codes ({@code half = true});
 * quantized activations are written with row stride {@code ldq} (≥ cols, usually {@link GemmPlan#kPadded()}), pad
 * columns zero-filled, so they feed the GEMM directly.
 */
public final class CudaKernels implements AutoCloseable {

    /** Every kernel the host launches; a unit test checks each name is in the committed fatbin. */
    public static final List<String> KERNEL_NAMES = kernelNames();

    private final CudaDevice device;
    private final CUmodule module;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final java.util.Set<String> sharedMemoryRaised = new java.util.HashSet<>();

    public CudaKernels(CudaDevice device, byte[] fatbin) {
        this.device = device;
        this.module = device.loadModule(fatbin);
    }

    public CudaDevice device() {
        return device;
    }

    private static List<String> kernelNames() {
        List<String> names = new java.util.ArrayList<>();
        for (String t : List.of("f32", "f16")) {
            names.add("sq_quantize_per_token_" + t);
            names.add("sq_absmax_" + t);
            names.add("sq_quantize_with_scale_" + t);
        }
        names.add("sq_absmax_to_scale");
        for (GemmTile tile : GemmTile.values()) {
            for (GemmPrecision p : GemmPrecision.values()) {
                for (GemmOutput o : GemmOutput.values()) {
                    if (o != GemmOutput.INT32 || p == GemmPrecision.INT8) {
                        names.add(GemmPlan.of(1, 1, 1, p, tile).kernel(o));
                    }
                }
            }
        }
        names.addAll(List.of("sq_rmsnorm_f16", "sq_rmsnorm_quantize_f16", "sq_rope_f16", "sq_softmax_f16", "sq_attention_f16",
                "sq_attention_tiled_f16", "sq_attention_decode_f16", "sq_attention_flash64_f16",
                "sq_attention_flash128_f16", "sq_rope_at_f16", "sq_attention_decode_at_f16", "sq_kv_append_f16",
                "sq_swiglu_f16",
                "sq_silu_f16", "sq_gelu_tanh_f16", "sq_add_f16", "sq_f32_to_f16", "sq_f16_to_f32"));
        return List.copyOf(names);
    }

    CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> device.function(module, n));
    }

    private void launch(String name, Launch l, Pointer... params) {
        device.launch(function(name), l, Pointer.to(params));
    }

    private static Pointer i(int v) {
        return Pointer.to(new int[]{v});
    }

    private static Pointer j(long v) {
        return Pointer.to(new long[]{v});
    }

    private static Pointer f(float v) {
        return Pointer.to(new float[]{v});
    }

    private static Pointer p(DeviceBuffer b) {
        return DeviceBuffer.param(b);
    }

    private static void need(DeviceBuffer b, long bytes, String what) {
        if (b == null || b.bytes() < bytes) {
            throw new IllegalArgumentException(what + " needs " + bytes + " bytes, has "
                    + (b == null ? "no buffer" : b.bytes()));
        }
    }

    // ---- INT8 activation quantization (Int8Quantizer's conventions, bit for bit) ----

    private static void checkQuant(DeviceBuffer x, boolean half, DeviceBuffer inputScale, DeviceBuffer q, int rows,
                                   int cols, int ldq) {
        if (rows < 1 || cols < 1 || ldq < cols) {
            throw new IllegalArgumentException("quantize " + rows + "x" + cols + " into stride " + ldq);
        }
        need(x, (long) rows * cols * (half ? 2 : 4), "activations");
        need(q, (long) rows * ldq, "INT8 codes");
        if (inputScale != null) {
            need(inputScale, (long) cols * 4, "input scales");
        }
    }

    /** Per-token (O1): one scale per row into {@code scales} [rows]. {@code inputScale} [cols] may be null. */
    public void quantizePerToken(DeviceBuffer x, boolean half, DeviceBuffer inputScale, DeviceBuffer q,
                                 DeviceBuffer scales, int rows, int cols, int ldq) {
        checkQuant(x, half, inputScale, q, rows, cols, ldq);
        need(scales, (long) rows * 4, "per-token scales");
        launch("sq_quantize_per_token_" + (half ? "f16" : "f32"), Launch.perRow(rows),
                p(x), p(inputScale), p(q), p(scales), i(rows), i(cols), i(ldq));
    }

    /** Per-tensor dynamic (O2): the scale of the whole matrix into {@code scale} [1]. */
    public void quantizePerTensor(DeviceBuffer x, boolean half, DeviceBuffer inputScale, DeviceBuffer q,
                                  DeviceBuffer scale, int rows, int cols, int ldq) {
        checkQuant(x, half, inputScale, q, rows, cols, ldq);
        need(scale, 4, "scale");
        String t = half ? "f16" : "f32";
        device.fill32(scale, 0, 1);
        launch("sq_absmax_" + t, Launch.perRow(rows), p(x), p(inputScale), i(rows), i(cols), p(scale));
        launch("sq_absmax_to_scale", new Launch(1, 1, 1, 32, 1, 1, 0), p(scale));
        launch("sq_quantize_with_scale_" + t, Launch.perRow(rows), p(x), p(inputScale), p(q), p(scale), i(rows),
                i(cols), i(ldq));
    }

    /** Per-tensor static (O3): {@code scale} [1] holds the calibrated scale. */
    public void quantizeStatic(DeviceBuffer x, boolean half, DeviceBuffer inputScale, DeviceBuffer q,
                               DeviceBuffer scale, int rows, int cols, int ldq) {
        checkQuant(x, half, inputScale, q, rows, cols, ldq);
        need(scale, 4, "scale");
        launch("sq_quantize_with_scale_" + (half ? "f16" : "f32"), Launch.perRow(rows), p(x), p(inputScale), p(q),
                p(scale), i(rows), i(cols), i(ldq));
    }

    // ---- GEMM ----

    /**
     * {@code C = A · Wᵀ} as planned: A [M, kPadded] and W [N, kPadded] (INT8 bytes or FP16 codes, pad columns zero),
     * C [M, N] of {@code out}. For INT8 with FP32/FP16 output, {@code aScale} ([M] when {@code aPerRow}, else [1]) and
     * {@code wScale} ([N] or [1]) dequantize; {@code bias} [N] may be null. Scales are ignored for INT32 and FP16 GEMMs.
     */
    public void gemm(GemmPlan plan, GemmOutput out, DeviceBuffer a, DeviceBuffer w, DeviceBuffer c,
                     DeviceBuffer aScale, boolean aPerRow, DeviceBuffer wScale, boolean wPerRow, DeviceBuffer bias) {
        String name = plan.kernel(out);
        need(a, (long) plan.m() * plan.kBytes(), "A");
        need(w, (long) plan.n() * plan.kBytes(), "W");
        need(c, (long) plan.m() * plan.n() * out.elementBytes(), "C");
        boolean dequantize = plan.precision() == GemmPrecision.INT8 && out != GemmOutput.INT32;
        if (dequantize) {
            need(aScale, (aPerRow ? plan.m() : 1) * 4L, "activation scales");
            need(wScale, (wPerRow ? plan.n() : 1) * 4L, "weight scales");
        }
        if (bias != null) {
            need(bias, plan.n() * 4L, "bias");
        }
        if (plan.tile().sharedBytes() > device.info().maxSharedPerBlockOptin()) {
            throw new IllegalArgumentException("tile " + plan.tile() + " needs " + plan.tile().sharedBytes()
                    + " bytes of shared memory; this device allows " + device.info().maxSharedPerBlockOptin());
        }
        CUfunction f = function(name);
        if (plan.tile().sharedBytes() > 48 * 1024 && sharedMemoryRaised.add(name)) {
            device.allowSharedMemory(f, plan.tile().sharedBytes()); // once per kernel: above 48 KiB needs opting in
        }
        device.launch(f, plan.launch(), Pointer.to(p(a), p(w), p(c), i(plan.m()), i(plan.n()), i(plan.kBytes()),
                p(dequantize ? aScale : null), i(aPerRow ? 1 : 0), p(dequantize ? wScale : null), i(wPerRow ? 1 : 0),
                p(bias)));
    }

    // ---- forward helpers (FP16 storage, FP32 math) ----

    public void rmsnorm(DeviceBuffer out, DeviceBuffer x, DeviceBuffer weight, int rows, int dim, float eps) {
        need(x, 2L * rows * dim, "x");
        need(out, 2L * rows * dim, "out");
        need(weight, 2L * dim, "weight");
        launch("sq_rmsnorm_f16", Launch.perRow(rows), p(out), p(x), p(weight), i(dim), f(eps));
    }

    /**
     * RMSNorm of {@code x} [rows, dim] straight into per-token INT8 codes [rows, ldq] and scales [rows]: the same
     * codes and scales as {@link #rmsnorm} followed by {@link #quantizePerToken} (bit for bit), one pass fewer.
     */
    public void rmsnormQuantizePerToken(DeviceBuffer x, DeviceBuffer weight, DeviceBuffer inputScale, DeviceBuffer q,
                                        DeviceBuffer scales, int rows, int dim, int ldq, float eps) {
        need(x, 2L * rows * dim, "x");
        need(weight, 2L * dim, "weight");
        checkQuant(x, true, inputScale, q, rows, dim, ldq);
        need(scales, 4L * rows, "per-token scales");
        launch("sq_rmsnorm_quantize_f16", Launch.perRow(rows), p(x), p(weight), p(inputScale), p(q), p(scales),
                i(dim), i(ldq), f(eps));
    }

    public void rope(DeviceBuffer x, int rows, int rowStride, int heads, int headDim, int startPos, float theta,
                     boolean interleaved) {
        if (heads * headDim > rowStride) {
            throw new IllegalArgumentException(heads + " heads of " + headDim + " exceed the row stride " + rowStride);
        }
        need(x, 2L * rows * rowStride, "x");
        launch("sq_rope_f16", Launch.rope(rows, heads, headDim), p(x), i(rows), i(rowStride), i(heads), i(headDim),
                i(startPos), f(theta), i(interleaved ? 1 : 0));
    }

    // ---- decode steps for CUDA graphs: the position is an int32 in device memory ----

    /** {@link #rope} at the position {@code *pos}. */
    public void ropeAt(DeviceBuffer x, int rows, int rowStride, int heads, int headDim, DeviceBuffer pos, float theta,
                       boolean interleaved) {
        if (heads * headDim > rowStride) {
            throw new IllegalArgumentException(heads + " heads of " + headDim + " exceed the row stride " + rowStride);
        }
        need(x, 2L * rows * rowStride, "x");
        need(pos, 4, "position");
        launch("sq_rope_at_f16", Launch.rope(rows, heads, headDim), p(x), i(rows), i(rowStride), i(heads),
                i(headDim), p(pos), f(theta), i(interleaved ? 1 : 0));
    }

    /**
     * DECODE attention of one query at position {@code *pos} against cache positions 0..*pos, for every position
     * below {@code maxPositions} (the shared memory is sized for it).
     */
    public void attentionDecodeAt(DeviceBuffer out, DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache,
                                  DeviceBuffer pos, int maxPositions, int heads, int kvHeads, int headDim, int qStride,
                                  int kvStride, float scale) {
        if (!AttentionKernel.DECODE.accepts(1, maxPositions - 1, headDim, qStride, kvStride) || kvHeads < 1
                || heads % kvHeads != 0) {
            throw new IllegalArgumentException("DECODE attention does not take " + maxPositions + " positions of "
                    + heads + " heads on " + kvHeads + " KV heads of " + headDim);
        }
        need(q, 2L * qStride, "q");
        need(out, 2L * qStride, "out");
        need(kCache, 2L * maxPositions * kvStride, "K cache");
        need(vCache, 2L * maxPositions * kvStride, "V cache");
        need(pos, 4, "position");
        launch("sq_attention_decode_at_f16", Launch.attentionDecode(heads, maxPositions - 1, headDim), p(out), p(q),
                p(kCache), p(vCache), p(pos), i(heads), i(kvHeads), i(headDim), i(qStride), i(kvStride), f(scale));
    }

    /** K and V cache rows {@code *pos} [kvd each] = {@code kRow}, {@code vRow}. */
    public void kvAppend(DeviceBuffer kCache, DeviceBuffer vCache, DeviceBuffer kRow, DeviceBuffer vRow,
                         DeviceBuffer pos, int kvd) {
        need(kRow, 2L * kvd, "K row");
        need(vRow, 2L * kvd, "V row");
        need(pos, 4, "position");
        launch("sq_kv_append_f16", Launch.elementwise(kvd), p(kCache), p(vCache), p(kRow), p(vRow), p(pos), i(kvd));
    }

    public void softmax(DeviceBuffer x, int rows, int len) {
        need(x, 2L * rows * len, "x");
        launch("sq_softmax_f16", Launch.perRow(rows), p(x), i(len));
    }

    /** The attention kernels: which one runs is {@link #attentionKernel}'s choice unless a caller names one. */
    public enum AttentionKernel {
        /** One block per (query, head), scores in shared memory: any head size, short contexts. */
        PER_QUERY,
        /** 16 queries per block, K/V through shared memory once per block, online softmax on CUDA cores. */
        TILED,
        /**
         * Prefill on tensor cores: 64 queries per block, Q·Kᵀ and P·V as m16n8k16 MMAs, online softmax in registers.
         * Head dimension 64 or 128, row strides and buffers 16-byte aligned.
         */
        FLASH,
        /** One query, 16 warps per head splitting the positions: decode. */
        DECODE;

        /** The kernel's name in the fatbin. */
        public String function(int headDim) {
            return switch (this) {
                case PER_QUERY -> "sq_attention_f16";
                case TILED -> "sq_attention_tiled_f16";
                case DECODE -> "sq_attention_decode_f16";
                case FLASH -> "sq_attention_flash" + headDim + "_f16";
            };
        }

        /** Whether this kernel takes the shape (buffers aside: FLASH also needs 16-byte aligned buffers). */
        public boolean accepts(int queries, int startPos, int headDim, int qStride, int kvStride) {
            return switch (this) {
                case PER_QUERY -> true;
                case TILED -> headDim <= Launch.ATTENTION_TILED_MAX_HEAD_DIM;
                case DECODE -> queries == 1 && headDim % 4 == 0 && headDim <= Launch.ATTENTION_TILED_MAX_HEAD_DIM
                        && Launch.attentionDecode(1, startPos, headDim).sharedBytes() <= DEFAULT_SHARED_BYTES;
                case FLASH -> (headDim == 64 || headDim == 128) && qStride % 8 == 0 && kvStride % 8 == 0;
            };
        }
    }

    /** Shared memory a kernel may use without opting in. */
    static final int DEFAULT_SHARED_BYTES = 48 * 1024;

    /**
     * The kernel for a shape: DECODE for one query when its scores fit the default shared memory, FLASH for more
     * queries when the head dimension is 64 or 128, else TILED up to {@value Launch#ATTENTION_TILED_MAX_HEAD_DIM},
     * else PER_QUERY. (On an H200, LLaMA-7B shapes: see docs/gpu-results.md for each kernel's time.)
     */
    public static AttentionKernel attentionKernel(int queries, int startPos, int headDim, int qStride, int kvStride) {
        for (AttentionKernel k : List.of(AttentionKernel.DECODE, AttentionKernel.FLASH, AttentionKernel.TILED)) {
            if ((k != AttentionKernel.FLASH || queries > 1) && k.accepts(queries, startPos, headDim, qStride, kvStride)) {
                return k;
            }
        }
        return AttentionKernel.PER_QUERY;
    }

    /**
     * Causal attention of T queries at positions startPos.. against a KV cache of startPos + T positions, with the
     * kernel {@link #attentionKernel} picks.
     */
    public void attention(DeviceBuffer out, DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache, int queries,
                          int startPos, int heads, int kvHeads, int headDim, int qStride, int kvStride, float scale) {
        AttentionKernel kernel = attentionKernel(queries, startPos, headDim, qStride, kvStride);
        if (kernel == AttentionKernel.FLASH && !(out.aligned(16) && q.aligned(16) && kCache.aligned(16)
                && vCache.aligned(16))) {
            kernel = AttentionKernel.TILED;
        }
        attention(out, q, kCache, vCache, queries, startPos, heads, kvHeads, headDim, qStride, kvStride, scale, kernel);
    }

    /** As above with the kernel named (GpuBench checks and times each). */
    public void attention(DeviceBuffer out, DeviceBuffer q, DeviceBuffer kCache, DeviceBuffer vCache, int queries,
                          int startPos, int heads, int kvHeads, int headDim, int qStride, int kvStride, float scale,
                          AttentionKernel kernel) {
        if (!kernel.accepts(queries, startPos, headDim, qStride, kvStride)) {
            throw new IllegalArgumentException(kernel + " attention does not take " + queries + " queries after "
                    + startPos + " of head dimension " + headDim + " (strides " + qStride + ", " + kvStride + ")");
        }
        if (kvHeads < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " query heads cannot share " + kvHeads + " KV heads");
        }
        need(q, 2L * queries * qStride, "q");
        need(out, 2L * queries * qStride, "out");
        need(kCache, 2L * (startPos + queries) * kvStride, "K cache");
        need(vCache, 2L * (startPos + queries) * kvStride, "V cache");
        if (kernel == AttentionKernel.DECODE) {
            launch(kernel.function(headDim), Launch.attentionDecode(heads, startPos, headDim), p(out), p(q),
                    p(kCache), p(vCache), i(startPos), i(heads), i(kvHeads), i(headDim), i(qStride), i(kvStride),
                    f(scale));
            return;
        }
        if (kernel == AttentionKernel.FLASH) {
            if (!(out.aligned(16) && q.aligned(16) && kCache.aligned(16) && vCache.aligned(16))) {
                throw new IllegalArgumentException("FLASH attention needs 16-byte aligned buffers");
            }
            launch(kernel.function(headDim), Launch.attentionFlash(queries, heads), p(out), p(q), p(kCache),
                    p(vCache), i(queries), i(startPos), i(heads), i(kvHeads), i(qStride), i(kvStride), f(scale));
            return;
        }
        boolean tiled = kernel == AttentionKernel.TILED;
        launch(kernel.function(headDim),
                tiled ? Launch.attentionTiled(queries, heads) : Launch.attention(queries, heads, startPos),
                p(out), p(q), p(kCache), p(vCache),
                i(queries), i(startPos), i(heads), i(kvHeads), i(headDim), i(qStride), i(kvStride), f(scale));
    }

    public void swiglu(DeviceBuffer gate, DeviceBuffer up, long n) {
        need(gate, 2 * n, "gate");
        need(up, 2 * n, "up");
        launch("sq_swiglu_f16", Launch.elementwise(n), p(gate), p(up), j(n));
    }

    public void silu(DeviceBuffer x, long n) {
        need(x, 2 * n, "x");
        launch("sq_silu_f16", Launch.elementwise(n), p(x), j(n));
    }

    public void geluTanh(DeviceBuffer x, long n) {
        need(x, 2 * n, "x");
        launch("sq_gelu_tanh_f16", Launch.elementwise(n), p(x), j(n));
    }

    /** x += y */
    public void add(DeviceBuffer x, DeviceBuffer y, long n) {
        need(x, 2 * n, "x");
        need(y, 2 * n, "y");
        launch("sq_add_f16", Launch.elementwise(n), p(x), p(y), j(n));
    }

    public void toHalf(DeviceBuffer out, DeviceBuffer in, long n) {
        need(in, 4 * n, "in");
        need(out, 2 * n, "out");
        launch("sq_f32_to_f16", Launch.elementwise(n), p(out), p(in), j(n));
    }

    public void toFloat(DeviceBuffer out, DeviceBuffer in, long n) {
        need(in, 2 * n, "in");
        need(out, 4 * n, "out");
        launch("sq_f16_to_f32", Launch.elementwise(n), p(out), p(in), j(n));
    }

    @Override
    public void close() {
        device.unloadModule(module);
        functions.clear();
        sharedMemoryRaised.clear();
    }
}
