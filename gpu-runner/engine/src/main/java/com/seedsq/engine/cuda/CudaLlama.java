package com.seedsq.engine.cuda;

import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.MlpKind;
import com.seedsq.engine.model.NormKind;
import com.seedsq.engine.model.NormPlacement;
import com.seedsq.engine.model.PositionKind;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedLinear;
import com.seedsq.engine.smoothquant.QuantizedModel;
import jcuda.Pointer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static com.seedsq.engine.model.TensorRole.*;

/**
 * A LLaMA-family model resident on the GPU, run end to end there: FP16 weights and activations (the baseline), or
 * W8A8 with the INT8 codes, scales and smoothing of a {@link QuantizedModel}. Only token ids go up and only the last
 * logits come down; norms, RoPE, attention and SwiGLU are the FP16 helpers of {@link CudaKernels} in both modes, so
 * the two differ exactly in the linears, which is what the latency report compares.
 *
 * <p>Decode steps (one token) are captured once as a CUDA graph and replayed, with the position read from device
 * memory: launched one by one from Java (about 15 µs of host time per kernel through JCuda), a 7B decode step of
 * ~550 kernels was bound by the host and W8A8 could not show its faster GEMMs (docs/gpu-results.md). Prefill, which
 * the GPU bounds, is launched directly. {@link #useGraphs} switches the graphs off (GpuBench compares the two).
 *
 * <p>One sequence at a time with a KV cache of {@code capacity} positions, like {@code forward.Transformer}. Families
 * beyond LLaMA (biases, LayerNorm, other MLPs) are refused by {@link #unsupportedReason}, and the caller measures on
 * the CPU instead; growing this is a matter of the kernels the fatbin has, not of this class's structure.
 */
public final class CudaLlama implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CudaLlama.class.getName());

    /** One linear on the device: FP16 weights [n, kPadded], or INT8 codes [n, kPadded] with its scales. */
    private record Linear(String name, int n, int k, DeviceBuffer weight, DeviceBuffer wScale, boolean wPerRow,
                          DeviceBuffer inputScale, DeviceBuffer staticScale) {
    }

    private record Layer(DeviceBuffer attnNorm, Linear q, Linear k, Linear v, Linear o, DeviceBuffer ffnNorm,
                         Linear gate, Linear up, Linear down) {
    }

    private final CudaKernels k;
    private final CudaDevice dev;
    private final ModelConfig c;
    private final ModelFamily family;
    private final QuantLevel level; // null: FP16
    private final int capacity;
    private final List<DeviceBuffer> owned = new ArrayList<>();
    private final Matrix embed;
    private final Layer[] layers;
    private final DeviceBuffer finalNorm;
    private final Linear lmHead;
    // activations, sized for `capacity` rows
    private final DeviceBuffer x, h, q, attn, tmp, gate, up, kCache, vCache, codes, aScale, logits, padScratch;
    // decode graph: the step's position on the device, the new token's K and V rows before they join the cache
    private final DeviceBuffer pos, kRow, vRow;
    private final boolean graphable;
    private boolean useGraphs = true;
    private CudaDevice.CudaGraph decodeGraph;
    private final int maxK;
    private int length;

    /** Why {@code model} cannot run here, or null if it can. */
    public static String unsupportedReason(Model model) {
        ModelFamily f = model.family();
        if (f.norm() != NormKind.RMS || f.normPlacement() != NormPlacement.PRE || f.mlp() != MlpKind.SWIGLU
                || f.parallelAttention() || !f.causal()
                || (f.positions() != PositionKind.ROPE_HALVES && f.positions() != PositionKind.ROPE_INTERLEAVED)) {
            return "the CUDA forward pass runs LLaMA-shaped decoders (RMSNorm, RoPE, SwiGLU); " + f.name()
                    + " runs on the CPU";
        }
        if (!model.config().ropeScaling().isDefault()) {
            return "the CUDA forward pass has plain RoPE only (scaling " + model.config().ropeScaling()
                    + "); it runs on the CPU";
        }
        for (TensorRole bias : List.of(Q_BIAS, K_BIAS, V_BIAS)) {
            String name = f.tensorName(bias, 0);
            if (name != null && model.weights().has(name)) {
                return "the CUDA forward pass has no q/k/v biases yet (" + name + "); it runs on the CPU";
            }
        }
        return null;
    }

    /** The FP16 baseline of {@code model}. */
    public static CudaLlama fp16(CudaBackend backend, Model model, int capacity) {
        return new CudaLlama(backend, model, model.weights(), null, null, capacity);
    }

    /** {@code quantized} in W8A8 on the tensor cores (its smoothed weights, codes, scales and activation level). */
    public static CudaLlama int8(CudaBackend backend, QuantizedModel quantized, int capacity) {
        if (quantized.config().int8Head()) {
            throw new IllegalArgumentException("the CUDA path runs the LM head in FP16; an INT8 head is CPU-only");
        }
        return new CudaLlama(backend, quantized.model(), quantized.weights(), quantized.linears(),
                quantized.config().level(), capacity);
    }

    private CudaLlama(CudaBackend backend, Model model, WeightSource weights, Map<String, QuantizedLinear> int8,
                      QuantLevel level, int capacity) {
        String why = unsupportedReason(model);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        this.k = backend.kernels();
        this.dev = backend.device();
        this.c = model.config();
        this.family = model.family();
        this.level = level;
        this.capacity = Math.min(capacity, c.maxSeq());
        if (c.slidingWindow() > 0 && this.capacity > c.slidingWindow()) {
            // the CUDA attention kernels attend to every cached position: exact only inside the window
            throw new IllegalArgumentException("the CUDA forward pass has no sliding-window attention: capacity "
                    + this.capacity + " exceeds the model's window of " + c.slidingWindow() + "; it runs on the CPU");
        }
        try {
            int d = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), ff = c.intermediateSize();
            layers = new Layer[c.layers()];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new Layer(halves(weights, ATTN_NORM, l),
                        linear(weights, int8, Q, l), linear(weights, int8, K, l), linear(weights, int8, V, l),
                        linear(weights, int8, O, l), halves(weights, FFN_NORM, l),
                        linear(weights, int8, GATE, l), linear(weights, int8, UP, l), linear(weights, int8, DOWN, l));
            }
            embed = Matrix.of(weights.tensor(family.tensorName(EMBED)));
            finalNorm = halves(weights, FINAL_NORM, -1);
            String head = c.tiedEmbeddings() ? family.tensorName(EMBED) : family.tensorName(LM_HEAD);
            lmHead = fp16Linear(head, Matrix.of(weights.tensor(head)));
            int rows = this.capacity;
            maxK = Math.max(GemmPlan.roundUp(Math.max(d, qd), 64), GemmPlan.roundUp(ff, 64));
            x = keep(dev.allocate(2L * rows * d));
            h = keep(dev.allocate(2L * rows * Math.max(d, qd)));
            q = keep(dev.allocate(2L * rows * qd));
            attn = keep(dev.allocate(2L * rows * qd));
            tmp = keep(dev.allocate(2L * rows * d));
            gate = keep(dev.allocate(2L * rows * ff));
            up = keep(dev.allocate(2L * rows * ff));
            kCache = keep(dev.allocate(2L * layers.length * rows * kvd));
            vCache = keep(dev.allocate(2L * layers.length * rows * kvd));
            codes = keep(dev.allocate((long) rows * maxK));
            aScale = keep(dev.allocate(4L * rows));
            logits = keep(dev.allocate(4L * c.vocabSize()));
            padScratch = keep(dev.allocate(2L * rows * maxK));
            dev.fill32(padScratch, 0, padScratch.bytes() / 4);
            pos = keep(dev.allocate(4));
            kRow = keep(dev.allocate(2L * kvd));
            vRow = keep(dev.allocate(2L * kvd));
            graphable = CudaKernels.AttentionKernel.DECODE.accepts(1, this.capacity - 1, c.headDim(), qd, kvd);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Which GPU kernels a forward pass launches, for the report. */
    public Set<String> kernelNames(int tokens) {
        Set<String> names = new LinkedHashSet<>();
        names.add("sq_rmsnorm_f16");
        names.add("sq_rope_f16");
        names.add(CudaKernels.attentionKernel(tokens, 0, c.headDim(), c.qDim(), c.kvDim()).function(c.headDim()));
        names.add("sq_swiglu_f16");
        names.add("sq_add_f16");
        if (level != null) {
            names.add(switch (level.activations()) {
                case TOKEN -> "sq_rmsnorm_quantize_f16+sq_quantize_per_token_f16";
                default -> level.staticScale() ? "sq_quantize_with_scale_f16" : "sq_absmax_f16+sq_quantize_with_scale_f16";
            });
        }
        Linear any = layers[0].q();
        names.add(plan(any, tokens).kernel(GemmOutput.FP16));
        names.add(GemmPlan.of(1, lmHead.n(), lmHead.k(), GemmPrecision.FP16, dev.info().multiprocessors())
                .kernel(GemmOutput.FP32));
        return names;
    }

    /**
     * Device bytes this model holds: every buffer it allocated (weights, KV cache, activations and scratch), all of
     * them up front, so this is also its peak.
     */
    public long deviceBytes() {
        long n = 0;
        for (DeviceBuffer b : owned) {
            n += b.bytes();
        }
        return n;
    }

    /** Device bytes of the KV cache (FP16 keys and values, every layer, at full capacity). */
    public long kvCacheBytes() {
        return kCache.bytes() + vCache.bytes();
    }

    public boolean int8() {
        return level != null;
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Whether decode steps replay a captured CUDA graph (the default, where the decode attention kernel takes the
     * capacity: its scores must fit 48 KiB of shared memory) or launch every kernel from Java.
     */
    public void useGraphs(boolean on) {
        useGraphs = on;
    }

    /** Whether the next decode step would replay the graph. */
    public boolean graphs() {
        return useGraphs && graphable;
    }

    /** Starts a new sequence (the cache is overwritten from position 0). */
    public void reset() {
        length = 0;
    }

    /**
     * Runs {@code tokens} at positions {@link #length()}.. and returns the logits of the last one, [vocab], in FP32.
     * The GPU work is queued on the device's stream; the download at the end waits for it.
     */
    public float[] forward(int[] tokens) {
        enqueue(tokens);
        float[] out = new float[c.vocabSize()];
        dev.download(logits, out);
        return out;
    }

    /** Queues the forward pass of {@code tokens} without waiting (for event timing); {@link #forward} waits. */
    public void enqueue(int[] tokens) {
        int t = tokens.length, d = c.hiddenSize(), start = length;
        if (t == 0 || start + t > capacity) {
            throw new IllegalArgumentException(t + " tokens at position " + start + " exceed the capacity " + capacity);
        }
        dev.makeCurrent();
        upload(x, embedRows(tokens));
        if (t == 1 && graphs()) {
            dev.copyIn(pos, Pointer.to(new int[]{start}), 4);
            if (decodeGraph == null) {
                try {
                    decodeGraph = dev.capture(this::decodeStep);
                } catch (jcuda.CudaException e) {
                    // a driver that cannot capture some node: decode the slower way rather than fail the job
                    LOG.log(System.Logger.Level.WARNING, "CUDA graph capture failed, decode steps are launched one "
                            + "kernel at a time: " + e.getMessage());
                    useGraphs = false;
                }
            }
            if (decodeGraph != null) {
                decodeGraph.launch();
                length = start + 1;
                return;
            }
        }
        int qd = c.qDim(), kvd = c.kvDim(), ff = c.intermediateSize();
        boolean interleaved = family.positions() == PositionKind.ROPE_INTERLEAVED;
        long layerKv = 2L * capacity * kvd;
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            DeviceBuffer kc = kCache.slice(l * layerKv, layerKv), vc = vCache.slice(l * layerKv, layerKv);
            DeviceBuffer kNew = kc.slice(2L * start * kvd, 2L * t * kvd), vNew = vc.slice(2L * start * kvd, 2L * t * kvd);
            normedLinears(w.attnNorm(), t, List.of(w.q(), w.k(), w.v()), List.of(q, kNew, vNew));
            k.rope(q, t, qd, c.heads(), c.headDim(), start, c.ropeTheta(), interleaved);
            k.rope(kNew, t, kvd, c.kvHeads(), c.headDim(), start, c.ropeTheta(), interleaved);
            k.attention(attn, q, kc, vc, t, start, c.heads(), c.kvHeads(), c.headDim(), qd, kvd,
                    (float) (1 / Math.sqrt(c.headDim())));
            linears(attn, t, List.of(w.o()), List.of(tmp));
            k.add(x, tmp, (long) t * d);
            normedLinears(w.ffnNorm(), t, List.of(w.gate(), w.up()), List.of(gate, up));
            k.swiglu(gate, up, (long) t * ff);
            linears(gate, t, List.of(w.down()), List.of(tmp));
            k.add(x, tmp, (long) t * d);
        }
        length = start + t;
        // only the last position's logits: norm its row, then one FP16 GEMM with FP32 output
        DeviceBuffer last = x.slice(2L * (t - 1) * d, 2L * d);
        k.rmsnorm(h, last, finalNorm, 1, d, c.normEps());
        gemmFp16(lmHead, h, 1, logits, GemmOutput.FP32);
    }

    /**
     * One token at the position {@code *pos} (device memory), as captured into the decode graph: the same kernels as
     * {@link #enqueue} with one token, except that K and V are written to staging rows, rotated there and then filed
     * into the cache at {@code *pos}, and RoPE and attention read the position from the device.
     */
    private void decodeStep() {
        int d = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), ff = c.intermediateSize();
        boolean interleaved = family.positions() == PositionKind.ROPE_INTERLEAVED;
        long layerKv = 2L * capacity * kvd;
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            DeviceBuffer kc = kCache.slice(l * layerKv, layerKv), vc = vCache.slice(l * layerKv, layerKv);
            normedLinears(w.attnNorm(), 1, List.of(w.q(), w.k(), w.v()), List.of(q, kRow, vRow));
            k.ropeAt(q, 1, qd, c.heads(), c.headDim(), pos, c.ropeTheta(), interleaved);
            k.ropeAt(kRow, 1, kvd, c.kvHeads(), c.headDim(), pos, c.ropeTheta(), interleaved);
            k.kvAppend(kc, vc, kRow, vRow, pos, kvd);
            k.attentionDecodeAt(attn, q, kc, vc, pos, capacity, c.heads(), c.kvHeads(), c.headDim(), qd, kvd,
                    (float) (1 / Math.sqrt(c.headDim())));
            linears(attn, 1, List.of(w.o()), List.of(tmp));
            k.add(x, tmp, d);
            normedLinears(w.ffnNorm(), 1, List.of(w.gate(), w.up()), List.of(gate, up));
            k.swiglu(gate, up, ff);
            linears(gate, 1, List.of(w.down()), List.of(tmp));
            k.add(x, tmp, d);
        }
        k.rmsnorm(h, x, finalNorm, 1, d, c.normEps());
        gemmFp16(lmHead, h, 1, logits, GemmOutput.FP32);
    }

    /**
     * RMSNorm of the residual stream, then linears that read it. With per-token activation scales the norm writes
     * INT8 codes directly (one kernel instead of norm + quantization, the same codes); otherwise it writes FP16 into
     * {@code h} for {@link #linears}.
     */
    private void normedLinears(DeviceBuffer norm, int t, List<Linear> ls, List<DeviceBuffer> outs) {
        if (level == null || level.activations() != Granularity.TOKEN) {
            k.rmsnorm(h, x, norm, t, c.hiddenSize(), c.normEps());
            linears(h, t, ls, outs);
            return;
        }
        Linear first = ls.get(0);
        k.rmsnormQuantizePerToken(x, norm, first.inputScale(), codes, aScale, t, c.hiddenSize(),
                plan(first, t).kPadded(), c.normEps());
        for (int i = 0; i < ls.size(); i++) {
            Linear l = ls.get(i);
            k.gemm(plan(l, t), GemmOutput.FP16, codes, l.weight(), outs.get(i), aScale, true, l.wScale(),
                    l.wPerRow(), null);
        }
    }

    /**
     * Linears that read the same input {@code in} [t, K]: in W8A8 the input is quantized once (they share a smoothing
     * site, hence input scale and static scale), then each GEMM dequantizes into its output in FP16.
     */
    private void linears(DeviceBuffer in, int t, List<Linear> ls, List<DeviceBuffer> outs) {
        Linear first = ls.get(0);
        if (level == null) {
            for (int i = 0; i < ls.size(); i++) {
                gemmFp16(ls.get(i), in, t, outs.get(i), GemmOutput.FP16);
            }
            return;
        }
        GemmPlan p0 = plan(first, t);
        boolean perToken = level.activations() == Granularity.TOKEN;
        if (perToken) {
            k.quantizePerToken(in, true, first.inputScale(), codes, aScale, t, first.k(), p0.kPadded());
        } else if (level.staticScale()) {
            k.quantizeStatic(in, true, first.inputScale(), codes, first.staticScale(), t, first.k(), p0.kPadded());
        } else {
            k.quantizePerTensor(in, true, first.inputScale(), codes, aScale, t, first.k(), p0.kPadded());
        }
        for (int i = 0; i < ls.size(); i++) {
            Linear l = ls.get(i);
            DeviceBuffer scale = level.staticScale() ? l.staticScale() : aScale;
            k.gemm(plan(l, t), GemmOutput.FP16, codes, l.weight(), outs.get(i), scale, perToken, l.wScale(),
                    l.wPerRow(), null);
        }
    }

    private void gemmFp16(Linear l, DeviceBuffer in, int t, DeviceBuffer out, GemmOutput kind) {
        GemmPlan p = GemmPlan.of(t, l.n(), l.k(), GemmPrecision.FP16, dev.info().multiprocessors());
        k.gemm(p, kind, padded(in, t, l.k()), l.weight(), out, null, false, null, false, null);
    }

    /**
     * The FP16 GEMM reads rows with K padded to 32 halves. Widths that are multiples already (4096, 11008) pass
     * through; others (stories260K's FFN of 172) are copied into a zeroed scratch with the padded stride.
     */
    private DeviceBuffer padded(DeviceBuffer in, int t, int width) {
        int ld = GemmPlan.roundUp(width, GemmPrecision.FP16.kMultiple());
        if (ld == width) {
            return in;
        }
        dev.copy2d(padScratch, 2L * ld, in, 2L * width, 2L * width, t);
        return padScratch;
    }

    private GemmPlan plan(Linear l, int t) {
        return GemmPlan.of(t, l.n(), l.k(), level == null ? GemmPrecision.FP16 : GemmPrecision.INT8,
                dev.info().multiprocessors());
    }

    private short[] embedRows(int[] tokens) {
        int d = c.hiddenSize();
        float[] row = new float[d];
        short[] out = new short[tokens.length * d];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary [0, "
                        + c.vocabSize() + ")");
            }
            embed.row(tokens[i], row, 0);
            for (int j = 0; j < d; j++) {
                out[i * d + j] = Float.floatToFloat16(row[j]);
            }
        }
        return out;
    }

    private void upload(DeviceBuffer dst, short[] host) {
        dev.copyIn(dst, Pointer.to(host), 2L * host.length);
    }

    private Linear linear(WeightSource weights, Map<String, QuantizedLinear> int8, TensorRole role, int layer) {
        String name = family.tensorName(role, layer);
        if (int8 == null) {
            return fp16Linear(name, Matrix.of(weights.tensor(name)));
        }
        QuantizedLinear ql = int8.get(name);
        if (ql == null) {
            throw new IllegalArgumentException(name + " is not quantized in this model");
        }
        int n = ql.rows(), kk = ql.cols();
        GemmPlan p = GemmPlan.of(1, n, kk, GemmPrecision.INT8, GemmTile.SMALL);
        byte[] src = ql.weights().matrix().toByteArray();
        DeviceBuffer w = keep(dev.upload(CudaInt8Gemm.padColumns(src, n, kk, p.kPadded())));
        float[] scales = ql.weights().matrix().scales();
        DeviceBuffer ws = keep(dev.upload(scales));
        DeviceBuffer is = ql.inputScale() == null ? null : keep(dev.upload(ql.inputScale()));
        DeviceBuffer ss = level.staticScale() ? keep(dev.upload(new float[]{ql.staticScale()})) : null;
        return new Linear(name, n, kk, w, ws, ql.weights().matrix().granularity().perRow(), is, ss);
    }

    private Linear fp16Linear(String name, Matrix m) {
        int n = m.rows(), kk = m.cols();
        int ld = GemmPlan.of(1, n, kk, GemmPrecision.FP16, GemmTile.SMALL).kPadded();
        short[] halves = new short[Math.multiplyExact(n, ld)];
        float[] row = new float[kk];
        for (int r = 0; r < n; r++) {
            m.row(r, row, 0);
            for (int j = 0; j < kk; j++) {
                halves[r * ld + j] = Float.floatToFloat16(row[j]);
            }
        }
        return new Linear(name, n, kk, keep(dev.upload(halves)), null, false, null, null);
    }

    private DeviceBuffer halves(WeightSource weights, TensorRole role, int layer) {
        String name = role.perLayer() ? family.tensorName(role, layer) : family.tensorName(role);
        float[] v = weights.tensor(name).toFloatArray();
        short[] h16 = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            h16[i] = Float.floatToFloat16(v[i]);
        }
        return keep(dev.upload(h16));
    }

    private DeviceBuffer keep(DeviceBuffer b) {
        owned.add(b);
        return b;
    }

    @Override
    public void close() {
        if (decodeGraph != null) {
            decodeGraph.close();
            decodeGraph = null;
        }
        for (DeviceBuffer b : owned) {
            b.close();
        }
        owned.clear();
    }
}
