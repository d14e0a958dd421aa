package com.seedsq.engine.model;

/**
 * Converting q/k projection weights between the two RoPE layouts. Within each head, llama2.c/GGUF rotate the pair
 * (2i, 2i+1) and Hugging Face rotates (i, i + d/2); HF's conversion script therefore reorders each head's output rows
 * as [rows 0, 2, 4, ... | rows 1, 3, 5, ...]. Applying that reordering to the weights (and to q/k biases) gives a
 * checkpoint that computes the same attention under the other layout.
 */
public final class RopeLayouts {

    private RopeLayouts() {
    }

    /** Rows of a [heads * headDim, cols] matrix from the interleaved to the halves layout. */
    public static float[] interleavedToHalves(float[] w, int heads, int headDim, int cols) {
        float[] out = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                int base = h * headDim;
                System.arraycopy(w, (base + 2 * i) * cols, out, (base + i) * cols, cols);
                System.arraycopy(w, (base + 2 * i + 1) * cols, out, (base + half + i) * cols, cols);
            }
        }
        return out;
    }

    /** The inverse of {@link #interleavedToHalves}. */
    public static float[] halvesToInterleaved(float[] w, int heads, int headDim, int cols) {
        float[] out = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                int base = h * headDim;
                System.arraycopy(w, (base + i) * cols, out, (base + 2 * i) * cols, cols);
                System.arraycopy(w, (base + half + i) * cols, out, (base + 2 * i + 1) * cols, cols);
            }
        }
        return out;
    }
}
