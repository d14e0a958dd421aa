package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.kernel.WorkerPool;
import com.seedsq.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.IntConsumer;

/**
 * The pure-Java INT8 GEMM on the JDK Vector API, the fallback wherever the native kernel is unavailable.
 *
 * <p>The Vector API has no 8-bit dot-product instruction, so bytes are widened to 16-bit lanes and multiplied there.
 * Two products are added while still 16-bit (|a·w| ≤ 128·127, see {@link Int8Weights}, so a sum of two fits), and
 * only then widened, in two halves, into 32-bit accumulators. That halves the widening work, which dominates this
 * kernel. The shape changes are the ones measured fast on JDK 25 here (byte→short into a wider shape, short→int by
 * parts); {@code reinterpretAsInts} of a short vector and byte→int across shapes ran about 1000 times slower, the
 * signature of C2 falling back to boxed vectors.
 *
 * <p>Each output is one dot product over K, with no register blocking across rows: blocked variants (2×2, 4×2)
 * exceed C2's inlining node budget for Vector API code, and any helper left un-inlined boxes its vectors and runs
 * at interpreter speed. Tiles of {@value #TILE_N} weight rows stay in L2 while every activation row (in L1) passes
 * them, and tiles are shared out over a fixed pool.
 */
public final class VectorInt8Gemm implements Int8Gemm {

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    /** Bytes that widen into one full short vector. */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int HALF = B.length();
    /** K consumed per accumulation: two byte vectors, whose products are summed in 16 bits. */
    private static final int STEP = 2 * HALF;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int TILE_N = 32;
    /** Below this many multiply-adds the caller's thread does it all: handing out work costs ~10 µs. */
    private static final long PARALLEL_MIN_WORK = 1L << 18;

    private final WorkerPool pool;

    public VectorInt8Gemm(int threads) {
        this.pool = WorkerPool.shared(threads);
    }

    @Override
    public String name() {
        return "java-vector-" + S.vectorBitSize();
    }

    @Override
    public void multiply(QuantizedMatrix a, Int8Weights w, Int8Output out) {
        out.check(a, w);
        int m = a.rows(), n = w.rows(), k = a.cols();
        MemorySegment as = a.codes(), ws = w.matrix().codes();
        int tiles = (n + TILE_N - 1) / TILE_N;
        IntConsumer tile = t -> tile(as, m, ws, t * TILE_N, Math.min(n, (t + 1) * TILE_N), k, out);
        if ((long) m * n * k < PARALLEL_MIN_WORK) {
            for (int t = 0; t < tiles; t++) {
                tile.accept(t);
            }
        } else {
            pool.forEach(tiles, tile);
        }
    }

    private static void tile(MemorySegment a, int m, MemorySegment w, int n0, int n1, int k, Int8Output out) {
        for (int i = 0; i < m; i++) {
            for (int j = n0; j < n1; j++) {
                out.put(i, j, dot(a, (long) i * k, w, (long) j * k, k));
            }
        }
    }

    private static ShortVector widen(MemorySegment s, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B, s, off, LE).convertShape(VectorOperators.B2S, S, 0);
    }

    /** Adds the 16-bit sums {@code p}, widened to 32 bits, into {@code acc} (lane order does not matter). */
    private static IntVector accumulate(IntVector acc, ShortVector p) {
        return acc.add((IntVector) p.convertShape(VectorOperators.S2I, I, 0))
                .add((IntVector) p.convertShape(VectorOperators.S2I, I, 1));
    }

    private static int lane(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    private static int dot(MemorySegment a, long ao, MemorySegment w, long wo, int k) {
        IntVector acc = IntVector.zero(I);
        int c = 0;
        for (; c + STEP <= k; c += STEP) {
            acc = accumulate(acc, widen(a, ao + c).mul(widen(w, wo + c))
                    .add(widen(a, ao + c + HALF).mul(widen(w, wo + c + HALF))));
        }
        int s = sum(acc);
        for (; c < k; c++) {
            s += lane(a, ao + c) * lane(w, wo + c);
        }
        return s;
    }

    private static int sum(IntVector v) {
        return v.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void close() {
        pool.close();
    }
}
