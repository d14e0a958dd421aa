package com.seedsq.engine.cuda;

import java.util.Locale;

/**
 * The GEMM block tiles compiled into the fatbin; the numbers must equal the {@code SQ_TILE_*} macros in
 * {@code src/main/cuda/sq_gemm.cuh} (the kernel names carry the suffix, and a test checks every name exists).
 *
 * <p>A block computes a {@code bm × bn} output tile with {@code warpsM × warpsN} warps; each warp owns a
 * {@code (bm/warpsM) × (bn/warpsN)} sub-tile of 16×8 MMA tiles. K advances {@value #K_TILE_BYTES} bytes per pipeline
 * stage (64 INT8 or 32 FP16 values); each shared-memory row takes {@value #SMEM_ROW_BYTES} bytes (16 of padding keep
 * ldmatrix reads free of bank conflicts).
 */
public enum GemmTile {
    /** Decode and other skinny products (M ≤ 16): many narrow blocks so every SM streams weights. */
    SMALL("s", 16, 32, 1, 4, 4),
    /** Mid-size M, or when LARGE would leave SMs idle. */
    MEDIUM("m", 64, 64, 2, 2, 4),
    /** Prefill-sized products: the most reuse per byte loaded. */
    LARGE("l", 128, 128, 2, 4, 3);

    public static final int K_TILE_BYTES = 64;
    public static final int SMEM_ROW_BYTES = K_TILE_BYTES + 16;
    public static final int MMA_M = 16;
    public static final int MMA_N = 8;

    private final String suffix;
    private final int bm, bn, warpsM, warpsN, stages;

    GemmTile(String suffix, int bm, int bn, int warpsM, int warpsN, int stages) {
        this.suffix = suffix;
        this.bm = bm;
        this.bn = bn;
        this.warpsM = warpsM;
        this.warpsN = warpsN;
        this.stages = stages;
    }

    public String suffix() {
        return suffix;
    }

    public int bm() {
        return bm;
    }

    public int bn() {
        return bn;
    }

    public int warpsM() {
        return warpsM;
    }

    public int warpsN() {
        return warpsN;
    }

    public int stages() {
        return stages;
    }

    public int threads() {
        return warpsM * warpsN * 32;
    }

    public int warpTileM() {
        return bm / warpsM;
    }

    public int warpTileN() {
        return bn / warpsN;
    }

    /** Dynamic shared memory of one block: every stage holds a bm- and a bn-row slice of K_TILE_BYTES. */
    public int sharedBytes() {
        return stages * (bm + bn) * SMEM_ROW_BYTES;
    }

    /** INT32 (or FP32) accumulators per thread: (warp tile / MMA tile) × 4 per MMA tile. */
    public int accumulatorsPerThread() {
        return (warpTileM() / MMA_M) * (warpTileN() / MMA_N) * 4;
    }

    public static GemmTile parse(String s) {
        for (GemmTile t : values()) {
            if (t.suffix.equalsIgnoreCase(s) || t.name().equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no GEMM tile " + s + " (small|medium|large)");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT) + "(" + bm + "x" + bn + ", " + threads() + " threads, " + stages
                + " stages)";
    }
}
