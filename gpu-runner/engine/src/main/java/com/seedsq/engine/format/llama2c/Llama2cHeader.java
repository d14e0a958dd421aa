package com.seedsq.engine.format.llama2c;

import com.seedsq.engine.format.ModelFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * The legacy (v0) llama2.c header: seven little-endian int32. A negative {@code vocab_size} is llama2.c's way of
 * saying that the classifier is stored separately after the RoPE tables instead of being shared with the embedding.
 */
public record Llama2cHeader(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int seqLen,
                            boolean sharedClassifier) {

    public static final int BYTES = 7 * Integer.BYTES;

    /** Magic of the newer llama2.c exports ("ak42"), which carry a versioned 256-byte header instead. */
    private static final int VERSIONED_MAGIC = 0x616b3432;

    public int headSize() {
        return dim / heads;
    }

    public int kvDim() {
        return headSize() * kvHeads;
    }

    static Llama2cHeader parse(Path file, ByteBuffer bytes) {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < BYTES) {
            throw new ModelFormatException(file, null, "llama2.c header needs " + BYTES + " bytes, file has "
                    + b.remaining());
        }
        int dim = b.getInt();
        if (dim == VERSIONED_MAGIC) {
            throw new ModelFormatException(file, null,
                    "versioned llama2.c export (magic 'ak42'); only the legacy v0 format is supported");
        }
        int hidden = b.getInt(), layers = b.getInt(), heads = b.getInt(), kvHeads = b.getInt();
        int vocab = b.getInt(), seqLen = b.getInt();
        Llama2cHeader h = new Llama2cHeader(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seqLen, vocab > 0);
        h.validate(file);
        return h;
    }

    private void validate(Path file) {
        String fields = "dim=" + dim + " hidden_dim=" + hiddenDim + " n_layers=" + layers + " n_heads=" + heads
                + " n_kv_heads=" + kvHeads + " vocab_size=" + vocabSize + " seq_len=" + seqLen;
        // Limits are generous but catch a file that is not a llama2.c checkpoint at all (random ints).
        if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocabSize <= 0 || seqLen <= 0
                || dim > 1 << 16 || hiddenDim > 1 << 18 || layers > 1024 || vocabSize > 1 << 22 || seqLen > 1 << 22) {
            throw new ModelFormatException(file, null, "implausible llama2.c header: " + fields);
        }
        if (dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0) {
            throw new ModelFormatException(file, null,
                    "inconsistent llama2.c header (dim must split into even-sized heads, n_heads into n_kv_heads): "
                            + fields);
        }
    }
}
