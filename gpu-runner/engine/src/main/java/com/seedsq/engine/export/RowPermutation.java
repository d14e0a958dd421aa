package com.seedsq.engine.export;

/**
 * The q/k row reordering between the two RoPE layouts, on any row data (INT8 codes, per-channel scales, biases), so
 * that codes and their scales move together. Within each head of {@code headDim} rows, llama2.c/GGUF rotate the pair
 * (2i, 2i+1) and Hugging Face rotates (i, i + headDim/2); HF's conversion script reorders each head's rows as
 * [0, 2, 4, ... | 1, 3, 5, ...]. This is the same reordering as {@link com.seedsq.engine.model.RopeLayouts}, which
 * works on float matrices only.
 */
final class RowPermutation {

    private RowPermutation() {
    }

    /**
     * {@code src[i]}: the interleaved-layout row that becomes row {@code i} of the halves layout.
     * Applying it with {@link #gather} converts interleaved → halves; applying {@link #inverse} converts back.
     */
    static int[] interleavedToHalves(int heads, int headDim) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE needs an even head dimension, got " + headDim);
        }
        int half = headDim / 2;
        int[] src = new int[heads * headDim];
        for (int h = 0; h < heads; h++) {
            int base = h * headDim;
            for (int i = 0; i < half; i++) {
                src[base + i] = base + 2 * i;
                src[base + half + i] = base + 2 * i + 1;
            }
        }
        return src;
    }

    static int[] inverse(int[] src) {
        int[] inv = new int[src.length];
        for (int i = 0; i < src.length; i++) {
            inv[src[i]] = i;
        }
        return inv;
    }

    /** {@code out row i = in row src[i]}, rows of {@code cols} bytes. */
    static byte[] gather(byte[] in, int[] src, int cols) {
        check(in.length, src, cols);
        byte[] out = new byte[in.length];
        for (int i = 0; i < src.length; i++) {
            System.arraycopy(in, src[i] * cols, out, i * cols, cols);
        }
        return out;
    }

    /** {@code out row i = in row src[i]}, rows of {@code cols} floats. */
    static float[] gather(float[] in, int[] src, int cols) {
        check(in.length, src, cols);
        float[] out = new float[in.length];
        for (int i = 0; i < src.length; i++) {
            System.arraycopy(in, src[i] * cols, out, i * cols, cols);
        }
        return out;
    }

    private static void check(int length, int[] src, int cols) {
        if ((long) src.length * cols != length) {
            throw new IllegalArgumentException(length + " elements are not " + src.length + " rows of " + cols);
        }
    }
}
