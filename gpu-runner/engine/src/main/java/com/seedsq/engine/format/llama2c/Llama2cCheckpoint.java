package com.seedsq.engine.format.llama2c;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A llama2.c v0 checkpoint ({@code run.c}'s format): the header, then float32 arrays in a fixed order, each stacked
 * over layers. The file is memory-mapped; every tensor is a slice of the mapping, so nothing is copied to the heap.
 *
 * <p>Tensors get Hugging Face LLaMA names ({@code model.layers.3.self_attn.q_proj.weight}) so that the LLaMA family
 * description, the smoothing map and the tooling work on one vocabulary. The RoPE layout differs from HF's though
 * (llama2.c rotates interleaved pairs), which is why the metadata says {@code rope_layout=interleaved} and the model
 * layer picks the {@code llama2c} family for this source.
 */
public final class Llama2cCheckpoint implements WeightSource {

    public static final String FORMAT = "llama2c";

    private final Path file;
    private final Arena arena;
    private final Llama2cHeader header;
    private final Map<String, TensorData> tensors;
    private final Map<String, Object> metadata;

    private Llama2cCheckpoint(Path file, Arena arena, Llama2cHeader header, Map<String, TensorData> tensors) {
        this.file = file;
        this.arena = arena;
        this.header = header;
        this.tensors = Collections.unmodifiableMap(tensors);
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("format", FORMAT);
        md.put("dim", header.dim());
        md.put("hidden_dim", header.hiddenDim());
        md.put("n_layers", header.layers());
        md.put("n_heads", header.heads());
        md.put("n_kv_heads", header.kvHeads());
        md.put("vocab_size", header.vocabSize());
        md.put("seq_len", header.seqLen());
        md.put("shared_classifier", header.sharedClassifier());
        md.put("rope_layout", "interleaved");
        md.put("stored_floats", storedFloats(header));
        this.metadata = Collections.unmodifiableMap(md);
    }

    /** Maps {@code file} and checks that every tensor lies inside it; a short file fails here, naming the tensor. */
    public static Llama2cCheckpoint open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Llama2cHeader header = Llama2cHeader.parse(file, all.asSlice(0, Math.min(size, Llama2cHeader.BYTES))
                    .asByteBuffer());
            Map<String, TensorData> tensors = layout(file, all, header);
            return new Llama2cCheckpoint(file, arena, header, tensors);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(file, null, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Floats after the header, RoPE tables included (what llama2.c's README counts as parameters). */
    private static long storedFloats(Llama2cHeader h) {
        return blocks(h).stream().mapToLong(b -> b.floats(h.layers())).sum();
    }

    /** One float32 array of the file, before it is split by layer. */
    private record Block(String name, long[] shape, boolean perLayer) {
        long floats(int layers) {
            long n = TensorData.elementCount(shape);
            return perLayer ? n * layers : n;
        }
    }

    /** The file's arrays in order, named after HF LLaMA ({@code %d} = layer). */
    private static List<Block> blocks(Llama2cHeader h) {
        long dim = h.dim(), hidden = h.hiddenDim(), kv = h.kvDim(), vocab = h.vocabSize();
        long ropeTable = (long) h.seqLen() * h.headSize() / 2;
        List<Block> b = new ArrayList<>();
        b.add(new Block("model.embed_tokens.weight", new long[]{vocab, dim}, false));
        b.add(new Block("model.layers.%d.input_layernorm.weight", new long[]{dim}, true));
        b.add(new Block("model.layers.%d.self_attn.q_proj.weight", new long[]{dim, dim}, true));
        b.add(new Block("model.layers.%d.self_attn.k_proj.weight", new long[]{kv, dim}, true));
        b.add(new Block("model.layers.%d.self_attn.v_proj.weight", new long[]{kv, dim}, true));
        b.add(new Block("model.layers.%d.self_attn.o_proj.weight", new long[]{dim, dim}, true));
        b.add(new Block("model.layers.%d.post_attention_layernorm.weight", new long[]{dim}, true));
        b.add(new Block("model.layers.%d.mlp.gate_proj.weight", new long[]{hidden, dim}, true)); // w1
        b.add(new Block("model.layers.%d.mlp.down_proj.weight", new long[]{dim, hidden}, true)); // w2
        b.add(new Block("model.layers.%d.mlp.up_proj.weight", new long[]{hidden, dim}, true));   // w3
        b.add(new Block("model.norm.weight", new long[]{dim}, false));
        // Legacy precomputed RoPE tables: the forward pass computes its own, so they are skipped (not exposed).
        b.add(new Block(null, new long[]{ropeTable}, false));
        b.add(new Block(null, new long[]{ropeTable}, false));
        if (!h.sharedClassifier()) {
            b.add(new Block("lm_head.weight", new long[]{vocab, dim}, false));
        }
        return b;
    }

    private static Map<String, TensorData> layout(Path file, MemorySegment all, Llama2cHeader h) {
        List<Block> blocks = blocks(h);
        long expected = Llama2cHeader.BYTES;
        for (Block b : blocks) {
            expected += b.floats(h.layers()) * Float.BYTES;
        }
        long actual = all.byteSize();
        Map<String, TensorData> out = new LinkedHashMap<>();
        long offset = Llama2cHeader.BYTES;
        int ropeTable = 0;
        for (Block b : blocks) {
            long bytes = b.floats(h.layers()) * Float.BYTES;
            String shown = b.name() == null ? "freq_cis_" + (ropeTable++ == 0 ? "real" : "imag")
                    : b.name().replace("%d", "*");
            if (offset + bytes > actual) {
                throw new ModelFormatException(file, shown, "file is truncated: this tensor needs bytes "
                        + offset + ".." + (offset + bytes) + ", the whole checkpoint needs " + expected
                        + " bytes (expected), the file has " + actual + " bytes (actual)");
            }
            if (b.name() != null) {
                long perLayerBytes = TensorData.elementCount(b.shape()) * Float.BYTES;
                int copies = b.perLayer() ? h.layers() : 1;
                for (int l = 0; l < copies; l++) {
                    String name = b.perLayer() ? b.name().formatted(l) : b.name();
                    MemorySegment slice = all.asSlice(offset + l * perLayerBytes, perLayerBytes);
                    out.put(name, new TensorData(name, DType.F32, b.shape().clone(), slice));
                }
            }
            offset += bytes;
        }
        if (actual != expected) {
            // llama2.c itself ignores trailing bytes; a mismatch usually means a wrong header or a non-v0 file.
            throw new ModelFormatException(file, null, "size mismatch for the header's shapes: expected "
                    + expected + " bytes, the file has " + actual + " bytes (" + (actual - expected)
                    + " extra)");
        }
        return out;
    }

    public Path file() {
        return file;
    }

    public Llama2cHeader header() {
        return header;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorData tensor(String name) {
        TensorData t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(file, name, "no such tensor in this llama2.c checkpoint");
        }
        return t;
    }

    @Override
    public Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        arena.close();
    }
}
