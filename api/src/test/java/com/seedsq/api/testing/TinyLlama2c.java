package com.seedsq.api.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a small random-weight llama2.c v0 checkpoint, so API tests have a real, loadable model without depending
 * on ../shared. Layout as in llama2.c's run.c: 7 int32 header fields, then float32 weights, then the two legacy RoPE
 * tables.
 */
public final class TinyLlama2c {

    public static final int DIM = 16, HIDDEN = 32, LAYERS = 2, HEADS = 2, KV_HEADS = 1, VOCAB = 32, SEQ = 64;

    private TinyLlama2c() {
    }

    /** Writes the checkpoint; with {@code poisonNaN} one weight of layer 0's wq is NaN. */
    public static Path write(Path file, boolean poisonNaN) throws IOException {
        int floats = (int) floats();
        ByteBuffer b = ByteBuffer.allocate(7 * 4 + floats * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(DIM).putInt(HIDDEN).putInt(LAYERS).putInt(HEADS).putInt(KV_HEADS).putInt(VOCAB).putInt(SEQ);
        Random r = new Random(7);
        int wqStart = VOCAB * DIM + LAYERS * DIM;
        for (int i = 0; i < floats; i++) {
            b.putFloat(poisonNaN && i == wqStart + 3 ? Float.NaN : (float) (r.nextGaussian() * 0.1));
        }
        Files.write(file, b.array());
        return file;
    }

    public static long size() {
        return 28 + floats() * 4;
    }

    private static long floats() {
        int headSize = DIM / HEADS, kvDim = KV_HEADS * headSize;
        return (long) VOCAB * DIM + LAYERS * DIM + LAYERS * DIM * DIM + 2L * LAYERS * kvDim * DIM
                + LAYERS * DIM * DIM + LAYERS * DIM + 3L * LAYERS * HIDDEN * DIM + DIM + (long) SEQ * headSize;
    }
}
