package com.seedsq.engine.kernel;

import com.seedsq.engine.tensor.DType;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * CPU kernels on the JDK Vector API, multi-threaded over output rows.
 *
 * <p>matmul works on tiles of {@value #TILE_N} weight rows: a tile (at most a few hundred KB) stays in L2 while all
 * activation rows stream past it, and inside a tile a 4x2 register block (4 activation rows x 2 weight rows = 8
 * independent accumulators) keeps both FMA pipes busy while loading 6 vectors per 8 FMAs. F32 weights are read
 * straight from the (memory-mapped) segment; F16/BF16 tiles are widened once into a per-thread buffer and reused for
 * every activation row, so batched prefill pays the conversion once per tile, not once per token.
 *
 * <p>Batched products (M &ge; {@value OneDnnMatmul#MIN_ROWS} activation rows) go to oneDNN's sgemm instead when
 * {@code libdnnl.so.2} is installed ({@link OneDnnMatmul}; about twice as fast here at prefill shapes), unless
 * {@code -Dsq.sgemm=java} (or {@link Sgemm#JAVA}) says otherwise; see {@link Sgemm}.
 */
public final class VectorKernels extends ScalarKernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /**
     * Rotations by half, a quarter, ... of the lanes: {@link #sumLanes} adds a vector to its rotations, a fixed
     * pairwise order. {@code reduceLanes(ADD)} leaves the order unspecified and it does differ between the interpreter
     * and compiled code (a matmul changed its last bit after ~180 calls), so the same forward pass rounded differently
     * before and after JIT compilation; runners and exports need bit-identical results run to run.
     */
    private static final VectorShuffle<Float>[] ROTATIONS = rotations();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations() {
        int n = Integer.numberOfTrailingZeros(S.length());
        VectorShuffle<Float>[] r = new VectorShuffle[n];
        for (int i = 0; i < n; i++) {
            r[i] = VectorShuffle.iota(S, S.length() >> (i + 1), 1, true);
        }
        return r;
    }

    /** The sum of {@code v}'s lanes in a fixed order (see {@link #ROTATIONS}). */
    static float sumLanes(FloatVector v) {
        for (VectorShuffle<Float> rot : ROTATIONS) {
            v = v.add(v.rearrange(rot));
        }
        return v.lane(0);
    }
    private static final int L = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int TILE_N = 32;
    /** Below this many multiply-adds a matmul runs on the calling thread: handing out work costs ~10 µs. */
    private static final long PARALLEL_MIN_WORK = 1L << 16;

    private final WorkerPool pool;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffer for one widened F16/BF16 weight tile; freed by the GC (auto arena). */
    private static final class Scratch {
        MemorySegment segment = MemorySegment.NULL;

        MemorySegment ensure(int floats) {
            if (segment.byteSize() < (long) floats * Float.BYTES) {
                segment = java.lang.foreign.Arena.ofAuto().allocate((long) floats * Float.BYTES, 64);
            }
            return segment;
        }
    }

    /** 16-bit codes, as many lanes as {@link #S} has floats, and the ints they widen to. */
    private static final VectorSpecies<Short> S16 = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> S32 = IntVector.SPECIES_PREFERRED;

    /**
     * L F16 (or BF16) codes at byte {@code offset}, widened to floats in registers. F16 uses an exact bit trick:
     * exponent+mantissa shifted into float position is the value times 2^-112 for normal and subnormal inputs
     * alike, so one multiply by 2^112 finishes it; Inf/NaN (exponent 31) get the float exponent 255.
     */
    private static FloatVector load16(MemorySegment src, long offset, boolean f16) {
        IntVector codes = (IntVector) ShortVector.fromMemorySegment(S16, src, offset, LE)
                .convertShape(VectorOperators.S2I, S32, 0);
        if (!f16) {
            return codes.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        IntVector magnitude = codes.and(0x7fff);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector bits = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        bits = bits.blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00));
        return bits.or(codes.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** {@code out[o + j] = src[at + 4j] + bias[b + j]} for {@code j < len}: a native product row plus its bias. */
    static void addRow(MemorySegment src, long at, float[] bias, int b, float[] out, int o, int len) {
        int j = 0;
        for (int bound = S.loopBound(len); j < bound; j += L) {
            FloatVector.fromMemorySegment(S, src, at + (long) j * Float.BYTES, ByteOrder.nativeOrder())
                    .add(FloatVector.fromArray(S, bias, b + j)).intoArray(out, o + j);
        }
        for (; j < len; j++) {
            out[o + j] = src.get(ValueLayout.JAVA_FLOAT, at + (long) j * Float.BYTES) + bias[b + j];
        }
    }

    /** Rows [from, to) of an F16/BF16 matrix as float32 into {@code dst}. */
    static void widen(Matrix w, int from, int to, MemorySegment dst) {
        long first = (long) from * w.cols();
        int count = (to - from) * w.cols();
        MemorySegment src = w.data();
        boolean f16 = w.dtype() == DType.F16;
        int i = 0;
        int bound = count - count % L;
        for (; i < bound; i += L) {
            load16(src, (first + i) * 2, f16).intoMemorySegment(dst, (long) i * Float.BYTES, LE);
        }
        int row = from + i / w.cols(), col = i % w.cols();
        for (; i < count; i++) {
            dst.set(Matrix.F32_LE, (long) i * Float.BYTES, w.get(row, col));
            if (++col == w.cols()) {
                col = 0;
                row++;
            }
        }
    }

    /**
     * Widen F16/BF16 tiles through plain arrays ({@link Matrix#widenRows}: C2 turns the loop into vcvtph2ps) and a
     * bulk copy, instead of {@link #widen}'s Vector API bit trick. {@code -Dsq.f16.widen=vector|array} picks one
     * so the benchmark can compare both on the same machine.
     */
    static final boolean ARRAY_WIDEN = !"vector".equals(System.getProperty("sq.f16.widen", "array"));
    private static final ThreadLocal<float[]> WIDENED = ThreadLocal.withInitial(() -> new float[0]);

    static void widenViaArrays(Matrix w, int from, int to, MemorySegment dst) {
        int count = (to - from) * w.cols();
        float[] f = WIDENED.get();
        if (f.length < count) {
            f = new float[count];
            WIDENED.set(f);
        }
        w.widenRows(from, to, f);
        MemorySegment.copy(f, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE), 0, count);
    }

    /**
     * Which FP32 GEMM {@link #matmul} uses, from {@value #SGEMM_PROPERTY} ({@code java|onednn|auto}, default
     * {@code auto}). The two paths sum in different orders, so their results differ in the last bits; each is
     * bit-identical run to run on its own.
     */
    public enum Sgemm {
        /** The Vector API kernel for every product. */
        JAVA,
        /** oneDNN's sgemm for every product, decode (M = 1) included; the Java kernel if oneDNN is absent. */
        ONEDNN,
        /** oneDNN's sgemm for M &ge; {@value OneDnnMatmul#MIN_ROWS}, the Java kernel below (and without oneDNN). */
        AUTO;

        /** The mode {@value #SGEMM_PROPERTY} asks for. */
        public static Sgemm fromProperty() {
            String v = System.getProperty(SGEMM_PROPERTY, "auto");
            try {
                return valueOf(v.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-D" + SGEMM_PROPERTY + "=" + v + ": expected java, onednn or auto");
            }
        }
    }

    public static final String SGEMM_PROPERTY = "sq.sgemm";
    private static final System.Logger LOG = System.getLogger(VectorKernels.class.getName());
    /** Each distinct choice is logged once per JVM: a silent fallback would make a latency report unexplainable. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    /** The mode in effect: {@link Sgemm#JAVA} when oneDNN was asked for but is not installed. */
    private final Sgemm sgemm;
    /** Null in {@link Sgemm#JAVA} mode. */
    private final OneDnnMatmul oneDnn;

    /** {@code threads} threads, the FP32 GEMM from {@value #SGEMM_PROPERTY}. */
    public VectorKernels(int threads) {
        this(threads, Sgemm.fromProperty());
    }

    /** {@code threads} threads and the given FP32 GEMM (tests pin a path with it). */
    public VectorKernels(int threads, Sgemm sgemm) {
        this.pool = WorkerPool.shared(threads);
        OneDnnSgemm dnnl = sgemm == Sgemm.JAVA ? null : OneDnnSgemm.get().orElse(null);
        this.sgemm = dnnl == null ? Sgemm.JAVA : sgemm;
        this.oneDnn = dnnl == null ? null : new OneDnnMatmul(dnnl, pool);
        String why = OneDnnSgemm.unavailableReason();
        String choice = "FP32 matmul: " + matmulPath();
        if (sgemm != Sgemm.JAVA && dnnl == null) {
            choice += " (oneDNN sgemm unavailable: " + why + ")";
        }
        if (LOGGED.add(choice)) {
            LOG.log(sgemm == Sgemm.ONEDNN && dnnl == null ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                    choice + "; -D" + SGEMM_PROPERTY + "=java|onednn|auto");
        }
    }

    /** All available processors. */
    public VectorKernels() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** The FP32 GEMM mode in effect (JAVA when oneDNN was asked for but is not installed). */
    public Sgemm sgemm() {
        return sgemm;
    }

    /** Which GEMM serves which products, in words (benchmarks print it). */
    public String matmulPath() {
        String dnnl = sgemm == Sgemm.JAVA ? "" : "sgemm of " + OneDnnSgemm.get().orElseThrow().describe()
                + " on " + OneDnnMatmul.CHUNK_ROWS + "-row weight chunks, one chunk per call, " + pool.threads()
                + (pool.threads() == 1 ? " thread" : " threads");
        return switch (sgemm) {
            case JAVA -> "Java Vector API";
            case ONEDNN -> dnnl + ", for every M";
            case AUTO -> dnnl + ", for M >= " + OneDnnMatmul.MIN_ROWS + "; Java Vector API below";
        };
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public void parallelFor(int count, IntConsumer body) {
        pool.forEach(count, body);
    }

    /**
     * Norms share out blocks of rows (the same per-row code as the scalar default, so the same bits): BERT's 25
     * LayerNorms over 128 x 768 values took ~5 ms of a ~60 ms INT8 forward on one thread.
     */
    @Override
    public void layernorm(float[] out, float[] x, float[] weight, float[] bias, int m, int dim, float eps) {
        byRows(m, dim, (r0, r1) -> layernormRows(out, x, weight, bias, r0, r1, dim, eps));
    }

    /** Doubles as wide as the machine's vectors, and floats with as many lanes (half the bits). */
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FS = VectorSpecies.of(float.class,
            VectorShape.forBitSize(DS.vectorBitSize() / 2));

    /**
     * {@link Kernels#layernormRows} with the mean and variance summed in double lanes (then the lanes in index
     * order) instead of one running double: the same formula, summed in another fixed order, so within a rounding
     * of a double of the scalar result (KernelsTest) and bit-identical run to run. Normalising is element-wise and
     * rounds exactly as the scalar code does.
     */
    static void layernormRows(float[] out, float[] x, float[] weight, float[] bias, int r0, int r1, int dim,
                              float eps) {
        int n = DS.length(), bound = dim - dim % n;
        for (int r = r0; r < r1; r++) {
            int o = r * dim;
            DoubleVector acc = DoubleVector.zero(DS);
            int i = 0;
            for (; i < bound; i += n) {
                acc = acc.add(toDoubles(x, o + i));
            }
            double mean = sumInOrder(acc);
            for (; i < dim; i++) {
                mean += x[o + i];
            }
            mean /= dim;
            acc = DoubleVector.zero(DS);
            for (i = 0; i < bound; i += n) {
                DoubleVector d = toDoubles(x, o + i).sub(mean);
                acc = acc.add(d.mul(d));
            }
            double var = sumInOrder(acc);
            for (; i < dim; i++) {
                double d = x[o + i] - mean;
                var += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(var / dim + eps));
            for (i = 0; i < bound; i += n) {
                FloatVector v = ((FloatVector) toDoubles(x, o + i).sub(mean).convertShape(VectorOperators.D2F, FS, 0))
                        .mul(inv).mul(FloatVector.fromArray(FS, weight, i));
                (bias == null ? v : v.add(FloatVector.fromArray(FS, bias, i))).intoArray(out, o + i);
            }
            for (; i < dim; i++) {
                float v = (float) (x[o + i] - mean) * inv * weight[i];
                out[o + i] = bias == null ? v : v + bias[i];
            }
        }
    }

    private static DoubleVector toDoubles(float[] x, int at) {
        return (DoubleVector) FloatVector.fromArray(FS, x, at).convertShape(VectorOperators.F2D, DS, 0);
    }

    /** The lanes added in index order (reduceLanes leaves the order open; see {@link #ROTATIONS}). */
    private static double sumInOrder(DoubleVector v) {
        double s = 0;
        for (int i = 0; i < DS.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    @Override
    public void rmsnorm(float[] out, float[] x, float[] weight, int m, int dim, float eps) {
        byRows(m, dim, (r0, r1) -> Kernels.rmsnormRows(out, x, weight, r0, r1, dim, eps));
    }

    private static final int NORM_ROWS = 8;

    /**
     * The post-LN residual step on blocks of rows over the pool: the same float additions, then the same
     * {@link #layernormRows}, as adding and normalising one after the other, so the same bits.
     */
    @Override
    public void addLayernorm(float[] x, float[] delta, float[] weight, float[] bias, int m, int dim, float eps) {
        byRows(m, dim, (r0, r1) -> {
            for (int i = r0 * dim; i < r1 * dim; i++) {
                x[i] += delta[i];
            }
            layernormRows(x, x, weight, bias, r0, r1, dim, eps);
        });
    }

    /** Elements per work item of {@link #elementwise}: a multiple of every vector length, fixed whatever the pool. */
    private static final int ELEMENTWISE_CHUNK = 1 << 14;

    /** {@code [from, to)} of an element-wise operation. */
    private interface Range {
        void run(int from, int to);
    }

    /**
     * Element-wise work over {@code [0, n)}, in fixed chunks over the pool when there is enough of it. Each element's
     * result depends on that element only (the vector lanes and the scalar tail compute the same operations), so
     * the split cannot change a bit. BERT-base's GELU (128 x 3072 values a layer) took ~3 ms a forward on one thread.
     */
    private void elementwise(int n, Range body) {
        if (n < 2 * ELEMENTWISE_CHUNK) {
            body.run(0, n);
            return;
        }
        pool.forEach((n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK,
                c -> body.run(c * ELEMENTWISE_CHUNK, Math.min(n, (c + 1) * ELEMENTWISE_CHUNK)));
    }

    private void byRows(int m, int dim, java.util.function.BiConsumer<Integer, Integer> rows) {
        if ((long) m * dim < PARALLEL_MIN_WORK) {
            rows.accept(0, m);
            return;
        }
        pool.forEach((m + NORM_ROWS - 1) / NORM_ROWS, b -> rows.accept(b * NORM_ROWS, Math.min(m, (b + 1) * NORM_ROWS)));
    }

    /** On oneDNN the bias is added as each chunk is copied out (see {@link Kernels#linear}). */
    @Override
    public void linear(float[] x, int m, Matrix w, float[] bias, float[] out) {
        int n = w.rows(), k = w.cols();
        if (onOneDnn(m, n, k)) {
            oneDnn.matmul(x, m, w, bias, out, (long) m * n * k >= PARALLEL_MIN_WORK);
        } else {
            super.linear(x, m, w, bias, out);
        }
    }

    /** On oneDNN, one copy of x and one batch of chunks for all of them (see {@link Kernels#linears}). */
    @Override
    public void linears(float[] x, int m, Matrix[] ws, float[][] biases, float[][] outs) {
        long work = 0;
        boolean batch = ws.length > 0;
        for (Matrix w : ws) {
            batch &= w.cols() == ws[0].cols() && onOneDnn(m, w.rows(), w.cols());
            work += (long) m * w.rows() * w.cols();
        }
        if (batch) {
            oneDnn.matmul(x, m, ws, biases, outs, work >= PARALLEL_MIN_WORK);
        } else {
            super.linears(x, m, ws, biases, outs);
        }
    }

    private boolean onOneDnn(int m, int n, int k) {
        return oneDnn != null && m > 0 && n > 0 && k > 0 && (sgemm == Sgemm.ONEDNN || m >= OneDnnMatmul.MIN_ROWS);
    }

    @Override
    public void matmul(float[] x, int m, Matrix w, float[] out) {
        int n = w.rows(), k = w.cols();
        if (onOneDnn(m, n, k)) {
            oneDnn.matmul(x, m, w, null, out, (long) m * n * k >= PARALLEL_MIN_WORK);
            return;
        }
        int tiles = (n + TILE_N - 1) / TILE_N;
        IntConsumer tile = t -> {
            int n0 = t * TILE_N, n1 = Math.min(n, n0 + TILE_N);
            if (w.dtype() == DType.F32) {
                tile(x, m, k, w.data(), (long) n0 * k * Float.BYTES, n0, n1, out, n);
            } else {
                // widen the tile once into an off-heap scratch (L2-resident), which the block kernels then read
                // through the same native-segment path as mapped F32 weights
                MemorySegment tileF32 = scratch.get().ensure(TILE_N * k);
                if (ARRAY_WIDEN) {
                    widenViaArrays(w, n0, n1, tileF32);
                } else {
                    widen(w, n0, n1, tileF32);
                }
                tile(x, m, k, tileF32, 0, n0, n1, out, n);
            }
        };
        if ((long) m * n * k < PARALLEL_MIN_WORK) {
            for (int t = 0; t < tiles; t++) {
                tile.accept(t);
            }
        } else {
            pool.forEach(tiles, tile);
        }
    }

    /** Output columns [n0, n1) for all m rows; weight row n0 starts at byte {@code wBase} of {@code w}. */
    private static void tile(float[] x, int m, int k, MemorySegment w, long wBase, int n0, int n1, float[] out, int n) {
        long rowBytes = (long) k * Float.BYTES;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int j = n0;
            for (; j + 2 <= n1; j += 2) {
                block4x2(x, i * k, k, w, wBase + (j - n0) * rowBytes, rowBytes, out, i * n + j, n);
            }
            for (; j < n1; j++) {
                for (int r = 0; r < 4; r++) {
                    out[(i + r) * n + j] = dot(x, (i + r) * k, w, wBase + (j - n0) * rowBytes, k);
                }
            }
        }
        for (; i < m; i++) {
            int j = n0;
            for (; j + 4 <= n1; j += 4) {
                block1x4(x, i * k, k, w, wBase + (j - n0) * rowBytes, rowBytes, out, i * n + j);
            }
            for (; j < n1; j++) {
                out[i * n + j] = dot(x, i * k, w, wBase + (j - n0) * rowBytes, k);
            }
        }
    }

    private static void block4x2(float[] x, int xo, int k, MemorySegment w, long wo, long rowBytes,
                                 float[] out, int oo, int n) {
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S), a10 = FloatVector.zero(S),
                a11 = FloatVector.zero(S), a20 = FloatVector.zero(S), a21 = FloatVector.zero(S),
                a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
        int c = 0;
        int bound = S.loopBound(k);
        for (; c < bound; c += L) {
            FloatVector w0 = FloatVector.fromMemorySegment(S, w, wo + c * 4L, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(S, w, wo + rowBytes + c * 4L, LE);
            FloatVector x0 = FloatVector.fromArray(S, x, xo + c);
            a00 = x0.fma(w0, a00);
            a01 = x0.fma(w1, a01);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + k + c);
            a10 = x1.fma(w0, a10);
            a11 = x1.fma(w1, a11);
            FloatVector x2 = FloatVector.fromArray(S, x, xo + 2 * k + c);
            a20 = x2.fma(w0, a20);
            a21 = x2.fma(w1, a21);
            FloatVector x3 = FloatVector.fromArray(S, x, xo + 3 * k + c);
            a30 = x3.fma(w0, a30);
            a31 = x3.fma(w1, a31);
        }
        float s00 = sumLanes(a00), s01 = sumLanes(a01),
                s10 = sumLanes(a10), s11 = sumLanes(a11),
                s20 = sumLanes(a20), s21 = sumLanes(a21),
                s30 = sumLanes(a30), s31 = sumLanes(a31);
        for (; c < k; c++) {
            float w0 = w.get(Matrix.F32_LE, wo + c * 4L), w1 = w.get(Matrix.F32_LE, wo + rowBytes + c * 4L);
            s00 += x[xo + c] * w0;
            s01 += x[xo + c] * w1;
            s10 += x[xo + k + c] * w0;
            s11 += x[xo + k + c] * w1;
            s20 += x[xo + 2 * k + c] * w0;
            s21 += x[xo + 2 * k + c] * w1;
            s30 += x[xo + 3 * k + c] * w0;
            s31 += x[xo + 3 * k + c] * w1;
        }
        out[oo] = s00;
        out[oo + 1] = s01;
        out[oo + n] = s10;
        out[oo + n + 1] = s11;
        out[oo + 2 * n] = s20;
        out[oo + 2 * n + 1] = s21;
        out[oo + 3 * n] = s30;
        out[oo + 3 * n + 1] = s31;
    }

    /** One activation row against four weight rows: the decode (m = 1) shape. */
    private static void block1x4(float[] x, int xo, int k, MemorySegment w, long wo, long rowBytes,
                                 float[] out, int oo) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S),
                a3 = FloatVector.zero(S);
        int c = 0;
        int bound = S.loopBound(k);
        for (; c < bound; c += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + c);
            a0 = xv.fma(FloatVector.fromMemorySegment(S, w, wo + c * 4L, LE), a0);
            a1 = xv.fma(FloatVector.fromMemorySegment(S, w, wo + rowBytes + c * 4L, LE), a1);
            a2 = xv.fma(FloatVector.fromMemorySegment(S, w, wo + 2 * rowBytes + c * 4L, LE), a2);
            a3 = xv.fma(FloatVector.fromMemorySegment(S, w, wo + 3 * rowBytes + c * 4L, LE), a3);
        }
        float s0 = sumLanes(a0), s1 = sumLanes(a1),
                s2 = sumLanes(a2), s3 = sumLanes(a3);
        for (; c < k; c++) {
            float xv = x[xo + c];
            s0 += xv * w.get(Matrix.F32_LE, wo + c * 4L);
            s1 += xv * w.get(Matrix.F32_LE, wo + rowBytes + c * 4L);
            s2 += xv * w.get(Matrix.F32_LE, wo + 2 * rowBytes + c * 4L);
            s3 += xv * w.get(Matrix.F32_LE, wo + 3 * rowBytes + c * 4L);
        }
        out[oo] = s0;
        out[oo + 1] = s1;
        out[oo + 2] = s2;
        out[oo + 3] = s3;
    }

    private static float dot(float[] x, int xo, MemorySegment w, long wo, int k) {
        FloatVector acc = FloatVector.zero(S);
        int c = 0;
        int bound = S.loopBound(k);
        for (; c < bound; c += L) {
            acc = FloatVector.fromArray(S, x, xo + c).fma(FloatVector.fromMemorySegment(S, w, wo + c * 4L, LE), acc);
        }
        float s = sumLanes(acc);
        for (; c < k; c++) {
            s += x[xo + c] * w.get(Matrix.F32_LE, wo + c * 4L);
        }
        return s;
    }

    /** Short rows (attention heads of 8 or 16 dims) would never enter a 16-lane loop, so they get 8-lane steps. */
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float s = sumLanes(acc);
        if (n - i >= 8 && S8.length() == 8) {
            FloatVector t = FloatVector.fromArray(S8, a, aOff + i).mul(FloatVector.fromArray(S8, b, bOff + i));
            for (int j = 0; j < 8; j++) {
                s += t.lane(j); // in lane order, for the reason given at ROTATIONS
            }
            i += 8;
        }
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /**
     * Register-blocked: 4 rows of A × 4 vectors of B's columns in 16 accumulators, so each B vector loaded serves 4
     * FMAs (the per-row axpy it replaces in attention loaded and stored a scores vector for every FMA); a masked
     * single-vector tile takes ragged columns and one row at a time the last m % 4 rows. Each element still sums
     * over p in order with FMAs, hence the same bits as {@link Kernels#gemmNN}.
     */
    @Override
    public void gemmNN(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                       int m, int n, int k, float alpha) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int j = 0;
            for (; j + 4 * L <= n; j += 4 * L) {
                gemm4x4(a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, k, alpha);
            }
            for (; j < n; j += L) {
                VectorMask<Float> mask = S.indexInRange(j, n);
                for (int r = 0; r < 4; r++) {
                    gemm1x1(a, aOff + (i + r) * lda, b, bOff + j, ldb, c, cOff + (i + r) * ldc + j, k, alpha, mask);
                }
            }
        }
        for (; i < m; i++) {
            for (int j = 0; j < n; j += L) {
                gemm1x1(a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j, k, alpha, S.indexInRange(j, n));
            }
        }
    }

    private static void gemm4x4(float[] a, int a0, int lda, float[] b, int b0, int ldb, float[] c, int c0, int ldc,
                                int k, float alpha) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S),
                c03 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S),
                c12 = FloatVector.zero(S), c13 = FloatVector.zero(S), c20 = FloatVector.zero(S),
                c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S),
                c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S),
                c33 = FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int bp = b0 + p * ldb;
            FloatVector b0v = FloatVector.fromArray(S, b, bp), b1v = FloatVector.fromArray(S, b, bp + L),
                    b2v = FloatVector.fromArray(S, b, bp + 2 * L), b3v = FloatVector.fromArray(S, b, bp + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            c02 = x.fma(b2v, c02);
            c03 = x.fma(b3v, c03);
            x = FloatVector.broadcast(S, a[a0 + lda + p]);
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            c12 = x.fma(b2v, c12);
            c13 = x.fma(b3v, c13);
            x = FloatVector.broadcast(S, a[a0 + 2 * lda + p]);
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            c22 = x.fma(b2v, c22);
            c23 = x.fma(b3v, c23);
            x = FloatVector.broadcast(S, a[a0 + 3 * lda + p]);
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            c32 = x.fma(b2v, c32);
            c33 = x.fma(b3v, c33);
        }
        // stored here, not in a helper taking the vectors: with a store4(v0..v3) helper the kernel ran at 30
        // GFLOP/s on one core instead of 200 (BERT's 16 x 128 x 64 scores), vectors boxed for the call
        c00.mul(alpha).intoArray(c, c0);
        c01.mul(alpha).intoArray(c, c0 + L);
        c02.mul(alpha).intoArray(c, c0 + 2 * L);
        c03.mul(alpha).intoArray(c, c0 + 3 * L);
        c10.mul(alpha).intoArray(c, c0 + ldc);
        c11.mul(alpha).intoArray(c, c0 + ldc + L);
        c12.mul(alpha).intoArray(c, c0 + ldc + 2 * L);
        c13.mul(alpha).intoArray(c, c0 + ldc + 3 * L);
        c20.mul(alpha).intoArray(c, c0 + 2 * ldc);
        c21.mul(alpha).intoArray(c, c0 + 2 * ldc + L);
        c22.mul(alpha).intoArray(c, c0 + 2 * ldc + 2 * L);
        c23.mul(alpha).intoArray(c, c0 + 2 * ldc + 3 * L);
        c30.mul(alpha).intoArray(c, c0 + 3 * ldc);
        c31.mul(alpha).intoArray(c, c0 + 3 * ldc + L);
        c32.mul(alpha).intoArray(c, c0 + 3 * ldc + 2 * L);
        c33.mul(alpha).intoArray(c, c0 + 3 * ldc + 3 * L);
    }

    private static void gemm1x1(float[] a, int a0, float[] b, int b0, int ldb, float[] c, int c0, int k, float alpha,
                                VectorMask<Float> mask) {
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            acc = FloatVector.broadcast(S, a[a0 + p]).fma(FloatVector.fromArray(S, b, b0 + p * ldb, mask), acc);
        }
        acc.mul(alpha).intoArray(c, c0, mask);
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.broadcast(S, a), FloatVector.fromArray(S, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        if (n - i >= 8 && S8.length() == 8) {
            FloatVector.fromArray(S8, x, xOff + i).fma(FloatVector.broadcast(S8, a),
                    FloatVector.fromArray(S8, y, yOff + i)).intoArray(y, yOff + i);
            i += 8;
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /**
     * silu(gate) * up, vectorised with our own deterministic {@link #exp(FloatVector)} (see geluTanh below). Not the
     * Vector API's lanewise EXP: that is a Java fallback until C2 compiles it and an SVML-style intrinsic afterwards,
     * and the two differ in the last bit, which made results depend on JIT timing (KernelsTest checks this). It was
     * Math.exp per element until a timed 1B prefill showed SwiGLU at 7 % of the time once the matmuls ran on oneDNN.
     */
    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        elementwise(n, (from, to) -> swigluRange(gate, up, from, to));
    }

    private static void swigluRange(float[] gate, float[] up, int from, int n) {
        int i = from;
        for (int bound = from + S.loopBound(n - from); i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (exp(-g) + 1f) * up[i];
        }
    }

    /*
     * GELU (tanh form) without Math.tanh: 0.5·v·(1 + tanh(u)) = v / (1 + e^(-2u)), u = √(2/π)·(v + 0.044715·v³), with
     * e^z from our own float routine built only of IEEE-exact operations (multiply, add, fma, divide, conversions,
     * exponent bits), so it is the same in the interpreter and in compiled code and in every lane and the scalar
     * tail (unlike the Vector API's lanewise TANH/EXP, see swiglu). e^z: z clamped to [-87, 88], n = round(z·log2 e)
     * (the 1.5·2^23 rounding trick), r = z − n·ln 2 in two parts, a degree-6 Taylor polynomial for e^r on
     * |r| ≤ ln2/2 (truncation error ≤ 1.3e-7 relative), times 2^n built from exponent bits. Against the double
     * Math.tanh definition the result is within a few float ulps (KernelsTest). BERT's FFN runs this over
     * 128 × 3072 values per layer, where Math.tanh cost as much as the INT8 matmuls.
     */
    private static final float GELU_K0 = 0.7978845608f, GELU_K1 = 0.0356774081f; // √(2/π), √(2/π)·0.044715
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12_582_912f; // 1.5 · 2^23
    private static final float[] EXP_POLY = {1f / 720, 1f / 120, 1f / 24, 1f / 6, 0.5f, 1f, 1f};
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());

    private static FloatVector exp(FloatVector z) {
        z = z.max(-87f).min(88f);
        FloatVector n = z.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), z);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, EXP_POLY[0]);
        for (int i = 1; i < EXP_POLY.length; i++) {
            p = p.fma(r, FloatVector.broadcast(S, EXP_POLY[i]));
        }
        IntVector bits = ((IntVector) n.convertShape(VectorOperators.F2I, SI, 0)).add(127)
                .lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order, for the tails. */
    static float exp(float z) {
        z = Math.min(Math.max(z, -87f), 88f);
        float n = z * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, -LN2_HI, z);
        r = Math.fma(n, -LN2_LO, r);
        float p = EXP_POLY[0];
        for (int i = 1; i < EXP_POLY.length; i++) {
            p = Math.fma(p, r, EXP_POLY[i]);
        }
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /** The exact (erf) GELU of {@link Kernels#gelu}, element for element the same code, over the pool. */
    @Override
    public void gelu(float[] x, int n) {
        elementwise(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                double v = x[i];
                x[i] = (float) (0.5 * v * (1 + Erf.erf(v / Math.sqrt(2))));
            }
        });
    }

    @Override
    public void geluTanh(float[] x, int n) {
        elementwise(n, (from, to) -> geluTanhRange(x, from, to));
    }

    private static void geluTanhRange(float[] x, int from, int n) {
        int i = from;
        for (int bound = from + S.loopBound(n - from); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector u = v.mul(v).fma(FloatVector.broadcast(S, GELU_K1), FloatVector.broadcast(S, GELU_K0))
                    .mul(v);
            v.div(exp(u.mul(-2f)).add(1f)).intoArray(x, i);
        }
        for (; i < n; i++) {
            float v = x[i];
            float u = Math.fma(v * v, GELU_K1, GELU_K0) * v;
            x[i] = v / (exp(u * -2f) + 1f);
        }
    }

    /**
     * Softmax with a vector max and scale; the exponentials are Math.exp (the Vector API's EXP changes with JIT
     * compilation, see {@link #swiglu}; attention rows are short next to the FFN, so the scalar exp costs little).
     */
    @Override
    public void softmax(float[] x, int off, int len) {
        int bound = S.loopBound(len);
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += L) {
            vmax = vmax.max(FloatVector.fromArray(S, x, off + i));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX); // exact in any order, unlike a sum
        for (; i < len; i++) {
            max = Math.max(max, x[off + i]);
        }
        // e^(x - max) on our deterministic vector exp (see exp(FloatVector)), summed in a fixed lane order: scalar
        // Math.exp here was most of BERT-base's remaining attention time (12 layers x 12 heads x 128 x 128 values)
        FloatVector vm = FloatVector.broadcast(S, max), vsum = FloatVector.zero(S);
        for (i = 0; i < bound; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, x, off + i).sub(vm));
            e.intoArray(x, off + i);
            vsum = vsum.add(e);
        }
        float sum = sumLanes(vsum);
        for (; i < len; i++) {
            float e = exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        }
        for (; i < len; i++) {
            x[off + i] *= inv;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
