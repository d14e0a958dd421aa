package com.seedsq.engine.kernel;

import com.seedsq.engine.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.IntConsumer;

/**
 * {@link Kernels#matmul} on oneDNN's sgemm ({@link OneDnnSgemm}), the path {@link VectorKernels} takes for batched
 * products (see {@link VectorKernels.Sgemm}).
 *
 * <p>The weight rows (output columns) are cut into fixed chunks of {@value #CHUNK_ROWS}; our worker pool hands the
 * chunks out from its counter and each chunk is one single-threaded {@code dnnl_sgemm} call,
 * {@code out[:, n0..n1) = x · W[n0..n1)ᵀ}. Two reasons for not letting oneDNN thread one big call over OpenMP:
 * <ul>
 *   <li>Speed. On the 2-core VM this was measured on, chunks on our threads ran 1.25-1.8x faster than one call on
 *       2 OpenMP threads at M = 128 with K &ge; 2048 (K = N = 2048: ~360 against ~205 GFLOP/s) and level at
 *       K = 768, and the counter balances a core taken by another process where OpenMP's static split waits.</li>
 *   <li>Determinism. Each output element is computed by one single-threaded call whose shape depends only on
 *       (M, K, the chunk), so results are bit-identical run to run and independent of the pool's thread count and of
 *       which thread ran a chunk; two OpenMP threads split K on larger shapes and round differently from one.</li>
 * </ul>
 * Chunks of 64 rows ran at 56-87% of 128's speed; 256 lost on N = 256 and N = 768 (too few chunks for two threads).
 *
 * <p>F16/BF16 weights stay 2 bytes in memory: each chunk is widened (as the Java kernel widens its tiles) into a
 * per-thread native buffer. At M = 128 this ran 2.1-2.6x the Java kernel on the same F16 weights.
 *
 * <p>oneDNN reads and writes native memory only (see {@link OneDnnSgemm} for why the calls are not critical ones):
 * the caller copies {@code x} once into its thread's buffer, and each chunk computes into its thread's
 * {@code [M, CHUNK_ROWS]} buffer and copies its rows into {@code out}, on the thread that ran it. The copies move
 * {@code M·(K + N)} floats against {@code 2·M·N·K} FLOPs of product (measured cost in {@code BertPrefillBench}'s
 * history in the engine README).
 */
final class OneDnnMatmul {

    /**
     * Products with fewer activation rows stay on the Java kernel in {@code auto} mode. Measured on the 2-core
     * AVX-512 VM (K, N from 768 to 5632, weights both cache-resident and streamed from memory): at M = 1 the Java
     * GEMV is as fast or faster (oneDNN/Java 0.87-1.06 streamed); at M = 2-3 F32 is near parity (0.94-1.43); from
     * M = 4 oneDNN wins every F32 shape (1.12-1.54 streamed, 1.01-1.51 cached), and at M = 128 it runs 2.2-2.8x
     * the Java kernel. F16 weights (widened per chunk, streamed): 1.08-1.58 at M = 2-3, 0.96-1.31 at M = 4 (the
     * Java kernel's 4-row block starts there), 2.1-2.6x at M = 128. One threshold for all dtypes keeps the rule
     * simple; decode (M = 1) stays on the Java GEMV for both.
     */
    static final int MIN_ROWS = 4;
    /** Weight rows per sgemm call. Fixed, whatever the thread count, so that results do not depend on it. */
    static final int CHUNK_ROWS = 128;

    private final OneDnnSgemm sgemm;
    private final WorkerPool pool;
    /** Each thread's native buffers, grown on demand: the copied x (callers), a chunk's output and widened weights. */
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

    /** Native scratch of one thread, freed by the GC with the thread (or this object). */
    private static final class Buffers {
        MemorySegment x = MemorySegment.NULL, c = MemorySegment.NULL, w = MemorySegment.NULL;

        static MemorySegment atLeast(MemorySegment s, long bytes) {
            return s.byteSize() >= bytes ? s : Arena.ofAuto().allocate(Math.max(bytes, s.byteSize() * 3 / 2), 64);
        }
    }

    OneDnnMatmul(OneDnnSgemm sgemm, WorkerPool pool) {
        this.sgemm = sgemm;
        this.pool = pool;
    }

    /**
     * {@code out[m, n] = x[m, k] · w[n, k]ᵀ (+ bias[n] when not null)}; chunks run on the pool when {@code parallel},
     * else on this thread.
     */
    void matmul(float[] x, int m, Matrix w, float[] bias, float[] out, boolean parallel) {
        matmul(x, m, new Matrix[]{w}, new float[][]{bias}, new float[][]{out}, parallel);
    }

    /**
     * {@code outs[i] = x · ws[i]ᵀ (+ biases[i])} for weights of one width (q, k, v): x is copied once and the chunks
     * of all products go out as one batch. A chunk is the same call whatever batch it came in, so the same bits.
     */
    void matmul(float[] x, int m, Matrix[] ws, float[][] biases, float[][] outs, boolean parallel) {
        int k = ws[0].cols();
        int[] firstChunk = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) {
            int n = ws[i].rows();
            // native code does not check bounds: a short array must fail here, as it would in the Java kernel
            if (ws[i].cols() != k || x.length < (long) m * k || outs[i].length < (long) m * n) {
                throw new IndexOutOfBoundsException("matmul " + ws[i].name() + ": x holds " + x.length
                        + " floats, out " + outs[i].length + "; [" + m + ", " + k + "] x [" + n + ", "
                        + ws[i].cols() + "]^T needs " + (long) m * k + " and " + (long) m * n);
            }
            firstChunk[i + 1] = firstChunk[i] + (n + CHUNK_ROWS - 1) / CHUNK_ROWS;
        }
        Buffers mine = buffers.get();
        mine.x = Buffers.atLeast(mine.x, (long) m * k * Float.BYTES);
        MemorySegment xs = mine.x;
        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, m * k);
        IntConsumer chunk = item -> {
            int which = 0;
            while (firstChunk[which + 1] <= item) {
                which++;
            }
            Matrix w = ws[which];
            float[] bias = biases[which], out = outs[which];
            int t = item - firstChunk[which], n = w.rows();
            int n0 = t * CHUNK_ROWS, n1 = Math.min(n, n0 + CHUNK_ROWS), cols = n1 - n0;
            Buffers own = buffers.get();
            MemorySegment b;
            if (w.dtype() == DType.F32 && w.data().isNative()) {
                b = w.data().asSlice((long) n0 * k * Float.BYTES, (long) cols * k * Float.BYTES);
            } else if (w.dtype() == DType.F32) { // weights on the heap (built in memory, e.g. smoothed copies)
                own.w = Buffers.atLeast(own.w, (long) CHUNK_ROWS * k * Float.BYTES);
                b = own.w;
                MemorySegment.copy(w.data(), (long) n0 * k * Float.BYTES, b, 0, (long) cols * k * Float.BYTES);
            } else {
                own.w = Buffers.atLeast(own.w, (long) CHUNK_ROWS * k * Float.BYTES);
                b = own.w;
                if (VectorKernels.ARRAY_WIDEN) {
                    VectorKernels.widenViaArrays(w, n0, n1, b);
                } else {
                    VectorKernels.widen(w, n0, n1, b);
                }
            }
            own.c = Buffers.atLeast(own.c, (long) m * CHUNK_ROWS * Float.BYTES);
            MemorySegment c = own.c;
            sgemm.gemm(m, cols, k, xs, k, b, k, c, cols, 1);
            for (int i = 0; i < m; i++) {
                if (bias == null) {
                    MemorySegment.copy(c, ValueLayout.JAVA_FLOAT, (long) i * cols * Float.BYTES, out, i * n + n0, cols);
                } else {
                    VectorKernels.addRow(c, (long) i * cols * Float.BYTES, bias, n0, out, i * n + n0, cols);
                }
            }
        };
        int chunks = firstChunk[ws.length];
        if (parallel) {
            pool.forEach(chunks, chunk);
        } else {
            for (int t = 0; t < chunks; t++) {
                chunk.accept(t);
            }
        }
    }
}
