package com.seedsq.engine.cuda;

import java.util.Locale;

/**
 * The GEMM block tiles compiled into the fatbin; the numbers must equal the {@code SQ_TILE_*} macros in
 * {@code src/main/cuda/sq_gemm.cuh} (the kernel names carry the suffix, and a test checks every name exists).
 *
 * <p>A block computes a {@code bm × bn} output tile with {@code warpsM × warpsN} warps; each warp owns a
 * {@code (bm/warpsM) × (bn/warpsN)} sub-tile of 16×8 MMA tiles. K advances {@link #kStageBytes()} bytes per
 * pipeline stage (64 or 128: 64/128 INT8 or 32/64 FP16 values); each shared-memory row takes 16 bytes more than that
 * (the padding keeps ldmatrix reads free of bank conflicts). K is padded to {@value #K_TILE_BYTES} bytes whatever the
 * tile; a 128-byte stage zero-fills what lies past K.
 */
public enum GemmTile {
    /** Decode batches and other skinny products (9 ≤ M ≤ 16): many narrow blocks so every SM streams weights. */
    SMALL("s", 16, 32, 1, 4, 4, 64),
    /** Mid-size products, or large ones with too few 128×128 blocks to fill the SMs. */
    MEDIUM("m", 64, 64, 2, 2, 3, 128),
    /** Prefill-sized products: the most reuse per byte loaded, double-buffered 128-byte K stages. */
    LARGE("l", 128, 128, 2, 4, 2, 128),
    /**
     * Decode (M ≤ 8): no tensor cores and no shared memory ({@code sq_gemv.cuh}): one warp per output column streams
     * its weight row with 16-byte loads, 8 token rows per block, dp4a (INT8) or FP32 FMA (FP16). bm = rows per block,
     * bn = columns (warps) per block.
     */
    GEMV("v", 8, 8, 1, 8, 0, 64);

    /** K is padded to a multiple of this many bytes (the smallest stage). */
    public static final int K_TILE_BYTES = 64;
    /** Padding of each shared-memory row beyond the stage's K bytes. */
    public static final int SMEM_ROW_PAD = 16;
    public static final int MMA_M = 16;
    public static final int MMA_N = 8;

    private final String suffix;
    private final int bm, bn, warpsM, warpsN, stages, kStageBytes;

    GemmTile(String suffix, int bm, int bn, int warpsM, int warpsN, int stages, int kStageBytes) {
        this.kStageBytes = kStageBytes;
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

    /** False for {@link #GEMV}, which runs on CUDA cores: the MMA geometry below does not apply to it. */
    public boolean tensorCores() {
        return stages > 0;
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

    /** Bytes of K per pipeline stage. */
    public int kStageBytes() {
        return kStageBytes;
    }

    /** Whether a device with this much opt-in shared memory per block can run the tile. */
    public boolean fits(int sharedOptinBytes) {
        return sharedBytes() <= sharedOptinBytes;
    }

    /** Bytes between shared-memory rows of a stage. */
    public int sharedRowBytes() {
        return kStageBytes + SMEM_ROW_PAD;
    }

    /** Dynamic shared memory of one block: every stage holds a bm- and a bn-row slice of the stage's K bytes. */
    public int sharedBytes() {
        return stages * (bm + bn) * sharedRowBytes();
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
        throw new IllegalArgumentException("no GEMM tile " + s + " (" + java.util.Arrays.stream(values()).map(t -> t.suffix).toList() + ")");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT) + "(" + bm + "x" + bn + ", " + threads() + " threads, " + stages
                + " stages)";
    }
}
