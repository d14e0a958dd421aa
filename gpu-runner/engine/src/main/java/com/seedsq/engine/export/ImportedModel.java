package com.seedsq.engine.export;

import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.int8.Int8Gemm;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.Int8LinearKernels;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedLinear;

import java.lang.foreign.Arena;
import java.util.Collections;
import java.util.Map;

/**
 * A W8A8 model loaded from an export ({@link Int8Import#open}): the INT8 codes and scales exactly as stored (no
 * re-quantization) as {@link QuantizedLinear}s, run by the same {@link Int8LinearKernels} decorator as an in-memory
 * {@link com.seedsq.engine.smoothquant.QuantizedModel}, so its logits are the same bits.
 *
 * <p>{@link #model()}'s weight source serves every non-quantized tensor as stored. A quantized linear's
 * {@code .weight} is served as an all-zero F16 placeholder of its shape (one shared zero buffer, the size of the
 * largest linear): the forward pass binds it but never reads it, since the decorator intercepts those matmuls.
 * For the same reason no per-linear error probe is offered here (it would compare against the placeholder).
 * Closing this closes the INT8 GEMM, the mapped checkpoint and the placeholder buffer.
 */
public final class ImportedModel implements AutoCloseable {

    private final Model model;
    private final HfCheckpoint checkpoint;
    private final Arena arena;
    private final Map<String, QuantizedLinear> linears;
    private final QuantLevel level;
    private final Granularity weightGranularity;
    private final Int8Gemm gemm;
    private final Map<String, Object> exportInfo;
    private final boolean sourceLayoutRestored;

    ImportedModel(Model model, HfCheckpoint checkpoint, Arena arena, Map<String, QuantizedLinear> linears,
                  QuantLevel level, Granularity weightGranularity, Int8Gemm gemm, Map<String, Object> exportInfo,
                  boolean sourceLayoutRestored) {
        this.model = model;
        this.checkpoint = checkpoint;
        this.arena = arena;
        this.linears = Collections.unmodifiableMap(linears);
        this.level = level;
        this.weightGranularity = weightGranularity;
        this.gemm = gemm;
        this.exportInfo = exportInfo;
        this.sourceLayoutRestored = sourceLayoutRestored;
    }

    /** Family, config, the weight source described above, and the export directory as its file. */
    public Model model() {
        return model;
    }

    /** The activation level: from {@code sq_export.json}, else inferred from {@code quantization_config}. */
    public QuantLevel level() {
        return level;
    }

    /** TENSOR or CHANNEL, from the {@code weight_scale} shapes. */
    public Granularity weightGranularity() {
        return weightGranularity;
    }

    /** Every INT8 linear by weight name. */
    public Map<String, QuantizedLinear> linears() {
        return linears;
    }

    /** {@code sq_export.json} as plain values; empty for a compressed-tensors directory written by another tool. */
    public Map<String, Object> exportInfo() {
        return exportInfo;
    }

    /** {@code config.json}'s {@code quantization_config}. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> quantizationConfig() {
        return (Map<String, Object>) checkpoint.config().get("quantization_config");
    }

    /**
     * Whether the q/k rows were permuted back to the source's interleaved RoPE layout (family {@code llama2c}); false
     * when the export runs as the HF LLaMA family it is stored as.
     */
    public boolean sourceLayoutRestored() {
        return sourceLayoutRestored;
    }

    /** The forward pass: INT8 linears over {@code fp} kernels for everything else. */
    public Transformer transformer(Kernels fp) {
        return Transformer.load(model.family(), model.config(), model.weights(), kernels(fp), model.file());
    }

    /** The decorator itself (no error probing, see the class comment). */
    public Int8LinearKernels kernels(Kernels fp) {
        return new Int8LinearKernels(fp, linears, level, gemm, false);
    }

    /** The GEMM's name, or {@code fake-quant}. */
    public String kernelName() {
        return gemm == null ? "fake-quant" : gemm.name();
    }

    /** Bytes as loaded: INT8 codes plus scales for the linears, every other tensor as stored. */
    public long int8Bytes() {
        long n = 0;
        for (String t : model.weights().names()) {
            QuantizedLinear q = linears.get(t);
            n += q == null ? model.weights().tensor(t).data().byteSize()
                    : (long) q.rows() * q.cols() + 4L * q.weights().matrix().scales().length;
        }
        return n;
    }

    @Override
    public void close() {
        try {
            if (gemm != null) {
                gemm.close();
            }
        } finally {
            try {
                checkpoint.close();
            } finally {
                arena.close();
            }
        }
    }
}
