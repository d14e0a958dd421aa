package com.seedsq.engine.cuda;

/**
 * The geometry of one {@code cuLaunchKernel}: grid, block and dynamic shared memory. The factories encode the
 * conventions of the kernels in {@code src/main/cuda} (which of them take one block per row, one thread per element,
 * and so on), so the launch code cannot drift from the kernels one call at a time.
 */
public record Launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes) {

    /** CUDA's limits: grid.x < 2^31, grid.y and grid.z ≤ 65535, ≤ 1024 threads per block. */
    public static final int MAX_GRID_YZ = 65_535;
    public static final int MAX_THREADS = 1024;
    /** Threads per block of the row kernels (norms, softmax, quantization). */
    public static final int ROW_THREADS = 256;
    /** Threads per block of the element-wise kernels and of attention. */
    public static final int ELEMENT_THREADS = 256;
    public static final int ATTENTION_THREADS = 128;

    public Launch {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || blockX < 1 || blockY < 1 || blockZ < 1) {
            throw new IllegalArgumentException("empty launch: grid " + gridX + "x" + gridY + "x" + gridZ + ", block "
                    + blockX + "x" + blockY + "x" + blockZ);
        }
        if (gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("grid.y/z over " + MAX_GRID_YZ + ": " + gridY + ", " + gridZ);
        }
        if ((long) blockX * blockY * blockZ > MAX_THREADS || blockX % 32 != 0) {
            throw new IllegalArgumentException("block " + blockX + "x" + blockY + "x" + blockZ
                    + " must be whole warps and at most " + MAX_THREADS + " threads");
        }
        if (sharedBytes < 0) {
            throw new IllegalArgumentException("negative shared memory");
        }
    }

    /** One block per row ({@code rows} ≥ 1). */
    public static Launch perRow(int rows) {
        return new Launch(rows, 1, 1, ROW_THREADS, 1, 1, 0);
    }

    /** One thread per element, {@value #ELEMENT_THREADS} per block. */
    public static Launch elementwise(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("no elements");
        }
        long blocks = (n + ELEMENT_THREADS - 1) / ELEMENT_THREADS;
        return new Launch(Math.toIntExact(blocks), 1, 1, ELEMENT_THREADS, 1, 1, 0);
    }

    /** RoPE: one thread per (row, head, rotated pair). */
    public static Launch rope(int rows, int heads, int headDim) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE needs an even head dimension, got " + headDim);
        }
        return elementwise((long) rows * heads * (headDim / 2));
    }

    /** Attention: one block per (query, head), shared memory for the scores of the longest row (start + T keys). */
    public static Launch attention(int queries, int heads, int startPos) {
        long scores = (long) startPos + queries;
        return new Launch(queries, heads, 1, ATTENTION_THREADS, 1, 1, Math.toIntExact(scores * Float.BYTES));
    }

    /** Queries per block of the tiled attention kernel ({@code SQ_ATT_BQ}) and its largest head dimension. */
    public static final int ATTENTION_TILE_QUERIES = 16;
    public static final int ATTENTION_TILED_MAX_HEAD_DIM = 128;

    /** Tiled attention: one block per 16 queries of one head, static shared memory only. */
    public static Launch attentionTiled(int queries, int heads) {
        int blocks = (queries + ATTENTION_TILE_QUERIES - 1) / ATTENTION_TILE_QUERIES;
        return new Launch(blocks, heads, 1, ATTENTION_THREADS, 1, 1, 0);
    }

    /** Queries per block of the tensor-core attention kernel ({@code SQ_FLASH_BQ}). */
    public static final int FLASH_QUERIES = 64;

    /** Tensor-core attention: one block of 4 warps per 64 queries of one head, static shared memory only. */
    public static Launch attentionFlash(int queries, int heads) {
        return new Launch((queries + FLASH_QUERIES - 1) / FLASH_QUERIES, heads, 1, ATTENTION_THREADS, 1, 1, 0);
    }

    /** Warps per block of the decode attention kernel ({@code SQ_DEC_WARPS}). */
    public static final int DECODE_ATTENTION_WARPS = 16;

    /** Decode attention: one block of 16 warps per head; scores and 16 partial output rows in shared memory. */
    public static Launch attentionDecode(int heads, int startPos, int headDim) {
        return new Launch(heads, 1, 1, DECODE_ATTENTION_WARPS * 32, 1, 1,
                Math.toIntExact(((long) startPos + 1 + (long) DECODE_ATTENTION_WARPS * headDim) * Float.BYTES));
    }

    public long threads() {
        return (long) gridX * gridY * gridZ * blockX * blockY * blockZ;
    }
}
