package com.seedsq.engine.cuda;

/**
 * How one GEMM {@code C[M, N] = A[M, K] · W[N, K]ᵀ} runs on the device: the tile, K padded to the pipeline stage
 * (zero columns in A and W add nothing, so the product is unchanged), M and N rounded up to whole tiles (the kernel
 * guards the ragged edge, nothing is copied), the grid {@code (N/bn, M/bm)} and the dynamic shared memory.
 *
 * <p>Tile choice ({@link #chooseTile}): M ≤ {@value #GEMV_MAX_M} takes the CUDA-core GEMV (decode is a weight
 * stream, and GpuBench times the GEMV against every tensor-core tile: see docs/gpu-results.md), M ≤ 16 the skinny
 * tensor-core tile (narrow blocks put every SM on the stream); otherwise the 128×128 tile when it gives at least
 * 90 % as many blocks as there are SMs, else the 64×64 tile, so a 128×4096 product runs on 128 blocks instead of 32.
 * The rule comes from GpuBench's grid of 8 candidate tiles on an H200 (docs/gpu-results.md).
 */
public record GemmPlan(int m, int n, int k, GemmPrecision precision, GemmTile tile, int kPadded, int mPadded,
                       int nPadded) {

    /** Multiprocessors assumed when the device is not known (an A100 has 108, an H100 SXM 132). */
    public static final int DEFAULT_SM_COUNT = 108;

    public GemmPlan {
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("GEMM dimensions must be positive: M=" + m + " N=" + n + " K=" + k);
        }
        if (kPadded % precision.kMultiple() != 0 || kPadded < k || mPadded % tile.bm() != 0 || mPadded < m
                || nPadded % tile.bn() != 0 || nPadded < n) {
            throw new IllegalArgumentException("inconsistent padding for " + m + "x" + n + "x" + k);
        }
        if ((long) kPadded * precision.elementBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("K too large: " + k);
        }
        if (mPadded / tile.bm() > Launch.MAX_GRID_YZ) {
            throw new IllegalArgumentException("M=" + m + " needs " + mPadded / tile.bm() + " row blocks, over "
                    + Launch.MAX_GRID_YZ);
        }
    }

    public static GemmPlan of(int m, int n, int k, GemmPrecision precision, int smCount) {
        return of(m, n, k, precision, chooseTile(m, n, smCount));
    }

    public static GemmPlan of(int m, int n, int k, GemmPrecision precision, GemmTile tile) {
        return new GemmPlan(m, n, k, precision, tile, roundUp(k, precision.kMultiple()), roundUp(m, tile.bm()),
                roundUp(n, tile.bn()));
    }

    /** Largest M that {@link #chooseTile} gives to {@link GemmTile#GEMV}. */
    public static final int GEMV_MAX_M = 8;

    public static GemmTile chooseTile(int m, int n, int smCount) {
        if (m <= GEMV_MAX_M) {
            return GemmTile.GEMV;
        }
        if (m <= 16) {
            return GemmTile.SMALL;
        }
        return 10 * blocks(m, n, GemmTile.LARGE) >= 9L * smCount ? GemmTile.LARGE : GemmTile.MEDIUM;
    }

    static long blocks(int m, int n, GemmTile t) {
        return (long) ceilDiv(m, t.bm()) * ceilDiv(n, t.bn());
    }

    public static int roundUp(int x, int multiple) {
        return Math.toIntExact(((long) x + multiple - 1) / multiple * multiple);
    }

    static int ceilDiv(int x, int d) {
        return (x + d - 1) / d;
    }

    /** The row stride of A and W in bytes as the kernel reads them. */
    public int kBytes() {
        return kPadded * precision.elementBytes();
    }

    public boolean padsK() {
        return kPadded != k;
    }

    public int gridX() {
        return nPadded / tile.bn();
    }

    public int gridY() {
        return mPadded / tile.bm();
    }

    public long blocks() {
        return (long) gridX() * gridY();
    }

    public Launch launch() {
        return new Launch(gridX(), gridY(), 1, tile.threads(), 1, 1, tile.sharedBytes());
    }

    /** The kernel's name in the fatbin, e.g. {@code sq_gemm_s8_f32_l}. */
    public String kernel(GemmOutput out) {
        if (out == GemmOutput.INT32 && precision != GemmPrecision.INT8) {
            throw new IllegalArgumentException("INT32 output needs INT8 operands");
        }
        return "sq_gemm_" + precision.code() + "_" + out.code() + "_" + tile.suffix();
    }

    /** Bytes of A and W as uploaded (K padded). */
    public long operandBytes() {
        return ((long) m + n) * kBytes();
    }

    /** Multiply-adds actually useful ({@code 2·M·N·K} operations). */
    public double ops() {
        return 2.0 * m * n * k;
    }

    /** The share of MMA work spent on padding (ragged M, N, K). */
    public double paddingOverhead() {
        return 1.0 - (double) m * n * k / ((double) mPadded * nPadded * kPadded);
    }

    @Override
    public String toString() {
        return precision + " " + m + "x" + n + "x" + k + " tile " + tile + " grid " + gridX() + "x" + gridY()
                + " (" + blocks() + " blocks), K padded to " + kPadded + ", shared " + tile.sharedBytes() + " B";
    }
}
