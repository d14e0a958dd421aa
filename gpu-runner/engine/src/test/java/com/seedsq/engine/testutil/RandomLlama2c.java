package com.seedsq.engine.testutil;

import com.seedsq.engine.format.llama2c.Llama2cHeader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Writes a small random llama2.c v0 checkpoint, so the loader and forward pass are testable without shared data. */
public final class RandomLlama2c {

    private RandomLlama2c() {
    }

    public static Llama2cHeader tinyHeader(boolean shared) {
        return new Llama2cHeader(32, 48, 2, 4, 2, 40, 64, shared);
    }

    /** Number of floats after the header, in file order. */
    public static long floats(Llama2cHeader h) {
        long d = h.dim(), kv = h.kvDim(), ff = h.hiddenDim(), v = h.vocabSize(), l = h.layers();
        long n = v * d + l * (d + d * d + 2 * kv * d + d * d + d + 3 * ff * d) + d
                + 2L * h.seqLen() * h.headSize() / 2;
        return h.sharedClassifier() ? n : n + v * d;
    }

    /** Writes the checkpoint; weights ~ N(0, 0.3^2), norm weights near 1 are not needed for a format test. */
    public static float[] write(Path file, Llama2cHeader h, long seed) {
        Random rnd = new Random(seed);
        float[] values = new float[(int) floats(h)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextGaussian() * 0.3);
        }
        ByteBuffer b = ByteBuffer.allocate(Llama2cHeader.BYTES + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(h.dim()).putInt(h.hiddenDim()).putInt(h.layers()).putInt(h.heads()).putInt(h.kvHeads())
                .putInt(h.sharedClassifier() ? h.vocabSize() : -h.vocabSize()).putInt(h.seqLen());
        for (float v : values) {
            b.putFloat(v);
        }
        try {
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return values;
    }

    /**
     * Writes a llama2.c tokenizer file with {@code vocab} pieces: <unk>, <s>, </s>, the 256 byte pieces, then
     * printable ASCII characters, a few scored merges, and filler pieces up to the requested size.
     */
    public static void writeTokenizer(Path file, int vocab) {
        java.util.List<String> pieces = new java.util.ArrayList<>(java.util.List.of("<unk>", "<s>", "</s>"));
        for (int i = 0; i < 256; i++) {
            pieces.add("<0x%02X>".formatted(i));
        }
        for (char c = ' '; c <= '~'; c++) {
            pieces.add(String.valueOf(c));
        }
        pieces.addAll(java.util.List.of(" t", "th", " th", "he", " the", "in", "an", " a", "on", "ce"));
        for (int i = 0; pieces.size() < vocab; i++) {
            pieces.add("~filler" + i);
        }
        ByteBuffer b = ByteBuffer.allocate(4 + pieces.size() * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(16);
        for (int i = 0; i < vocab; i++) {
            byte[] p = pieces.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            b.putFloat(pieces.get(i).length() > 1 && i > 258 ? -i : 0f).putInt(p.length).put(p);
        }
        try {
            Files.write(file, java.util.Arrays.copyOf(b.array(), b.position()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
