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
 * only then widened into 32-bit accumulators: each 32-bit lane holds two adjacent 16-bit sums, split with shifts.
 * That halves the widening work, which dominates this kernel.
 *
 * <p>Blocking mirrors the FP32 kernel: tiles of {@value #TILE_N} weight rows stay in L2 while all activation rows
 * pass, and a 4×2 register block (4 activation rows × 2 weight rows) reuses each widened vector 2–4 times; single
 * rows (decode) use a 1×4 block. Tiles are shared out over a fixed pool.
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
        this.pool = new WorkerPool(threads);
    }

    @Override
    public String name() {
        return "java-vector-" + S.vectorBitSize();
    }

    @Override
    public void multiply(QuantizedMatrix a, Int8Weights w, Int8Output out) {
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
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int j = n0;
            for (; j + 2 <= n1; j += 2) {
                block4x2(a, i, w, j, k, out);
            }
            for (; j < n1; j++) {
                for (int r = i; r < i + 4; r++) {
                    out.put(r, j, dot(a, (long) r * k, w, (long) j * k, k));
                }
            }
        }
        for (; i < m; i++) {
            int j = n0;
            for (; j + 4 <= n1; j += 4) {
                block1x4(a, i, w, j, k, out);
            }
            for (; j < n1; j++) {
                out.put(i, j, dot(a, (long) i * k, w, (long) j * k, k));
            }
        }
    }

    private static ShortVector widen(MemorySegment s, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B, s, off, LE).convertShape(VectorOperators.B2S, S, 0);
    }

    /** Adds the two 16-bit halves of every 32-bit lane of {@code p} as signed values, into {@code acc}. */
    private static IntVector accumulate(IntVector acc, ShortVector p) {
        IntVector x = p.reinterpretAsInts();
        return acc.add(x.lanewise(VectorOperators.ASHR, 16))
                .add(x.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }

    private static int lane(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    private static void block4x2(MemorySegment a, int i, MemorySegment w, int j, int k, Int8Output out) {
        long x0 = (long) i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        long w0 = (long) j * k, w1 = w0 + k;
        IntVector z = IntVector.zero(I);
        IntVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        int c = 0;
        for (; c + STEP <= k; c += STEP) {
            ShortVector w0a = widen(w, w0 + c), w0b = widen(w, w0 + c + HALF);
            ShortVector w1a = widen(w, w1 + c), w1b = widen(w, w1 + c + HALF);
            ShortVector xa = widen(a, x0 + c), xb = widen(a, x0 + c + HALF);
            a00 = accumulate(a00, xa.mul(w0a).add(xb.mul(w0b)));
            a01 = accumulate(a01, xa.mul(w1a).add(xb.mul(w1b)));
            xa = widen(a, x1 + c);
            xb = widen(a, x1 + c + HALF);
            a10 = accumulate(a10, xa.mul(w0a).add(xb.mul(w0b)));
            a11 = accumulate(a11, xa.mul(w1a).add(xb.mul(w1b)));
            xa = widen(a, x2 + c);
            xb = widen(a, x2 + c + HALF);
            a20 = accumulate(a20, xa.mul(w0a).add(xb.mul(w0b)));
            a21 = accumulate(a21, xa.mul(w1a).add(xb.mul(w1b)));
            xa = widen(a, x3 + c);
            xb = widen(a, x3 + c + HALF);
            a30 = accumulate(a30, xa.mul(w0a).add(xb.mul(w0b)));
            a31 = accumulate(a31, xa.mul(w1a).add(xb.mul(w1b)));
        }
        int s00 = sum(a00), s01 = sum(a01), s10 = sum(a10), s11 = sum(a11),
                s20 = sum(a20), s21 = sum(a21), s30 = sum(a30), s31 = sum(a31);
        for (; c < k; c++) {
            int v0 = lane(w, w0 + c), v1 = lane(w, w1 + c);
            int u0 = lane(a, x0 + c), u1 = lane(a, x1 + c), u2 = lane(a, x2 + c), u3 = lane(a, x3 + c);
            s00 += u0 * v0;
            s01 += u0 * v1;
            s10 += u1 * v0;
            s11 += u1 * v1;
            s20 += u2 * v0;
            s21 += u2 * v1;
            s30 += u3 * v0;
            s31 += u3 * v1;
        }
        out.put(i, j, s00);
        out.put(i, j + 1, s01);
        out.put(i + 1, j, s10);
        out.put(i + 1, j + 1, s11);
        out.put(i + 2, j, s20);
        out.put(i + 2, j + 1, s21);
        out.put(i + 3, j, s30);
        out.put(i + 3, j + 1, s31);
    }

    /** One activation row against four weight rows: the decode (M = 1) shape, bound by reading W. */
    private static void block1x4(MemorySegment a, int i, MemorySegment w, int j, int k, Int8Output out) {
        long x0 = (long) i * k;
        long w0 = (long) j * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        IntVector z = IntVector.zero(I);
        IntVector a0 = z, a1 = z, a2 = z, a3 = z;
        int c = 0;
        for (; c + STEP <= k; c += STEP) {
            ShortVector xa = widen(a, x0 + c), xb = widen(a, x0 + c + HALF);
            a0 = accumulate(a0, xa.mul(widen(w, w0 + c)).add(xb.mul(widen(w, w0 + c + HALF))));
            a1 = accumulate(a1, xa.mul(widen(w, w1 + c)).add(xb.mul(widen(w, w1 + c + HALF))));
            a2 = accumulate(a2, xa.mul(widen(w, w2 + c)).add(xb.mul(widen(w, w2 + c + HALF))));
            a3 = accumulate(a3, xa.mul(widen(w, w3 + c)).add(xb.mul(widen(w, w3 + c + HALF))));
        }
        int s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
        for (; c < k; c++) {
            int u = lane(a, x0 + c);
            s0 += u * lane(w, w0 + c);
            s1 += u * lane(w, w1 + c);
            s2 += u * lane(w, w2 + c);
            s3 += u * lane(w, w3 + c);
        }
        out.put(i, j, s0);
        out.put(i, j + 1, s1);
        out.put(i, j + 2, s2);
        out.put(i, j + 3, s3);
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
