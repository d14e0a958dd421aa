package com.seedsq.engine.kernel;

import com.seedsq.engine.model.PositionKind;
import com.seedsq.engine.tensor.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class KernelsTest {

    static VectorKernels fast;
    static final ScalarKernels ref = new ScalarKernels();

    /** The Java Vector API kernels, pinned: oneDNN's sgemm path is compared in {@link OneDnnMatmulTest}. */
    @BeforeAll
    static void init() {
        fast = new VectorKernels(2, VectorKernels.Sgemm.JAVA);
    }

    @AfterAll
    static void done() {
        fast.close();
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    /** Stores {@code values} as {@code dtype}, rounding like the file formats do. */
    static Matrix matrix(DType dtype, int rows, int cols, float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols * dtype.bytes()]);
        var f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        var i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> seg.set(f32, i * 4L, values[i]);
                case F16 -> seg.set(i16, i * 2L, Float.floatToFloat16(values[i]));
                case BF16 -> seg.set(i16, i * 2L, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
                default -> throw new IllegalArgumentException();
            }
        }
        return new Matrix("w", dtype, rows, cols, seg);
    }

    /**
     * Shapes cover every path: m below/at/above the 4-row block, n not a multiple of the 2- and 4-row blocks or of
     * the 32-row tile, k below/at/not a multiple of the vector length. Tolerance: both sum the same products in a
     * different order, so they differ by ~k * eps * sum|x w|; we allow 1e-5 * (1 + sum|x w|) per output.
     */
    /**
     * SwiGLU, softmax and both GELUs must give the same floats before and after the JIT compiles them. The Vector API's lanewise
     * EXP is a Java fallback when interpreted and an SVML-style intrinsic once C2 compiles it, and the two differ in
     * the last bit; that made results depend on JIT timing (an export round trip compared exactly failed now and
     * then, and partitions on two runners could disagree). 200,000 calls get the kernels compiled by C2.
     */
    /**
     * The vector GELU (tanh form, own exp) against the double-precision Math.tanh definition, lanes and scalar tail
     * alike, over the range activations take and far beyond. Tolerance 2e-6 relative plus 1e-9 absolute: where
     * v < 0, gelu(v) ≈ v·e^(2u) and u, computed in float (relative 6e-8), moves e^(2u) by |2u|·6e-8 relative: 7e-7
     * at v = -3 (gelu -0.0037), 2e-6 at v = -7, where gelu is 4e-15; below v ≈ -8 the double definition's
     * 1 + tanh(u) cancels to exactly 0. Positive v and |v| < 1 are within a few float ulps (the exp polynomial's
     * 1.3e-7). Everything here is far below the float resolution of activations of order 1.
     */
    /**
     * The vector SwiGLU (own exp) against silu(g)·u in double, lanes and scalar tail alike, for gates from -90 to 90.
     * Tolerance 1e-6 relative plus 1e-30 absolute: e^(-g) is within ~1.3e-7 relative (the polynomial) plus a few
     * float roundings; at g ≤ -88 the clamped exponent gives g / 1.65e38, a number of order 1e-37 where the true value
     * is smaller still, hence the absolute term.
     */
    @Test
    void vectorSwigluMatchesTheDoubleDefinition() {
        try (VectorKernels k = new VectorKernels(1)) {
            float[] g = new float[20_003], u = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                g[i] = -90f + 180f * i / (g.length - 1);
                u[i] = 1f + (i % 7) * 0.25f;
            }
            g[0] = 0f;
            g[1] = -0f;
            g[2] = 1e-20f;
            float[] got = g.clone();
            k.swiglu(got, u, got.length);
            for (int i = 0; i < g.length; i++) {
                double want = g[i] / (1 + Math.exp(-(double) g[i])) * u[i];
                assertTrue(Math.abs(got[i] - want) <= 1e-6 * Math.abs(want) + 1e-30,
                        "swiglu(" + g[i] + ", " + u[i] + "): " + got[i] + " vs " + want);
            }
        }
    }

    @Test
    void vectorGeluTanhMatchesTheDoubleDefinition() {
        try (VectorKernels k = new VectorKernels(1)) {
            float[] x = new float[20_003];
            for (int i = 0; i < x.length; i++) {
                x[i] = -60f + 120f * i / (x.length - 1);
            }
            x[0] = 0f;
            x[1] = -0f;
            x[2] = 1e-20f;
            x[3] = 1e6f;
            x[4] = -1e6f;
            float[] want = x.clone(), got = x.clone();
            new ScalarKernels().geluTanh(want, want.length);
            k.geluTanh(got, got.length);
            for (int i = 0; i < x.length; i++) {
                double tol = 2e-6 * Math.abs(want[i]) + 1e-9;
                assertTrue(Math.abs((double) got[i] - want[i]) <= tol,
                        "gelu(" + x[i] + "): " + got[i] + " vs " + want[i]);
            }
        }
    }

    @Test
    void activationsDoNotChangeWhenTheJitCompilesThem() {
        try (VectorKernels k = new VectorKernels(1)) {
            Random r = new Random(17);
            float[] g = new float[67], u = new float[67], x = new float[67];
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) r.nextGaussian() * 4;
                u[i] = (float) r.nextGaussian();
                x[i] = (float) r.nextGaussian() * 6;
            }
            float[] firstSwiglu = g.clone(), firstSoftmax = x.clone(), firstGelu = x.clone(), firstTanh = x.clone();
            k.swiglu(firstSwiglu, u, g.length);
            k.softmax(firstSoftmax, 0, x.length);
            k.gelu(firstGelu, x.length);
            k.geluTanh(firstTanh, x.length);
            for (int call = 0; call < 200_000; call++) {
                float[] a = g.clone(), b = x.clone(), c = x.clone(), d = x.clone();
                k.swiglu(a, u, g.length);
                k.softmax(b, 0, x.length);
                k.gelu(c, x.length);
                k.geluTanh(d, x.length);
                if (!java.util.Arrays.equals(a, firstSwiglu) || !java.util.Arrays.equals(b, firstSoftmax)
                        || !java.util.Arrays.equals(c, firstGelu) || !java.util.Arrays.equals(d, firstTanh)) {
                    fail("call " + call + " computed other floats than the first call");
                }
            }
        }
    }

    @Test
    void matmulMatchesScalarReferenceForAllShapesAndDtypes() {
        Random rnd = new Random(11);
        int[] ms = {1, 3, 4, 7, 9};
        int[] ns = {1, 2, 5, 33, 70};
        int[] ks = {1, 7, 8, 17, 64, 172};
        for (DType dt : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            for (int m : ms) {
                for (int n : ns) {
                    for (int k : ks) {
                        float[] x = random(rnd, m * k);
                        Matrix w = matrix(dt, n, k, random(rnd, n * k));
                        float[] a = new float[m * n], b = new float[m * n];
                        fast.matmul(x, m, w, a);
                        ref.matmul(x, m, w, b);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double mag = 0;
                                for (int c = 0; c < k; c++) {
                                    mag += Math.abs(x[i * k + c] * w.get(j, c));
                                }
                                assertEquals(b[i * n + j], a[i * n + j], 1e-5 * (1 + mag),
                                        dt + " m=" + m + " n=" + n + " k=" + k + " at " + i + "," + j);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Both F16/BF16 tile widenings (the Vector API bit trick and the array path) equal Float.float16ToFloat / the
     * BF16 shift for all 65,536 codes.
     */
    @Test
    void vectorWideningIsExactForEveryCode() {
        MemorySegment codes = MemorySegment.ofArray(new short[65536]);
        for (int i = 0; i < 65536; i++) {
            codes.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) i);
        }
        for (int p = 0; p < 4; p++) {
            int path = p / 2;
            DType dt = p % 2 == 0 ? DType.F16 : DType.BF16;
            Matrix w = new Matrix("all", dt, 256, 256, codes);
            MemorySegment out = MemorySegment.ofArray(new float[65536]);
            if (path == 0) {
                VectorKernels.widen(w, 0, 256, out);
            } else {
                VectorKernels.widenViaArrays(w, 0, 256, out);
            }
            for (int i = 0; i < 65536; i++) {
                float expected = w.get(i / 256, i % 256);
                float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                // bit-exact (so -0, subnormals and Inf too); for NaN only NaN-ness: the scalar intrinsic quiets
                // signalling NaNs, the bit trick keeps the payload as is
                if (Float.isNaN(expected)) {
                    assertTrue(Float.isNaN(got), dt + " code 0x" + Integer.toHexString(i));
                    continue;
                }
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got),
                        dt + " code 0x" + Integer.toHexString(i) + ": " + expected + " vs " + got);
            }
        }
    }

    @Test
    void largeMatmulUsesThreadsAndStaysExact() {
        Random rnd = new Random(5);
        int m = 16, n = 300, k = 256; // over the parallel threshold, 10 tiles
        float[] x = random(rnd, m * k);
        Matrix w = matrix(DType.F32, n, k, random(rnd, n * k));
        float[] a = new float[m * n], b = new float[m * n];
        fast.matmul(x, m, w, a);
        ref.matmul(x, m, w, b);
        for (int i = 0; i < a.length; i++) {
            assertEquals(b[i], a[i], 1e-3, "at " + i); // |sum| ~ sqrt(256) = 16, 256 float ops: 1e-3 is ~30 ulps
        }
    }

    /**
     * The register-blocked gemmNN gives the scalar definition's bits (each element: FMAs in order of p, then alpha)
     * on ragged shapes around its 4-row x 4-vector tile, with offsets and leading dimensions wider than the operands,
     * and leaves everything outside C's m x n window untouched.
     */
    @Test
    void gemmNNMatchesTheScalarDefinitionBitForBit() {
        Random rnd = new Random(7);
        int[] sizes = {1, 3, 4, 5, 8, 15, 16, 17, 31, 64, 65, 100, 128};
        for (int trial = 0; trial < 300; trial++) {
            int m = sizes[rnd.nextInt(sizes.length)], n = sizes[rnd.nextInt(sizes.length)];
            int k = sizes[rnd.nextInt(sizes.length)];
            int lda = k + rnd.nextInt(5), ldb = n + rnd.nextInt(20), ldc = n + rnd.nextInt(7);
            int aOff = rnd.nextInt(9), bOff = rnd.nextInt(9), cOff = rnd.nextInt(9);
            float[] a = new float[aOff + m * lda], b = new float[bOff + k * ldb];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rnd.nextGaussian();
            }
            float alpha = rnd.nextBoolean() ? 1f : 0.125f;
            float[] want = new float[cOff + m * ldc + 3], got = new float[want.length];
            Arrays.fill(want, -7f);
            Arrays.fill(got, -7f);
            ref.gemmNN(a, aOff, lda, b, bOff, ldb, want, cOff, ldc, m, n, k, alpha);
            fast.gemmNN(a, aOff, lda, b, bOff, ldb, got, cOff, ldc, m, n, k, alpha);
            assertArrayEquals(want, got, "m=" + m + " n=" + n + " k=" + k);
            // the scalar definition against a double-precision sum, within the float rounding of k terms
            double worst = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        sum += (double) a[aOff + i * lda + p] * b[bOff + p * ldb + j];
                        mag += Math.abs((double) a[aOff + i * lda + p] * b[bOff + p * ldb + j]);
                    }
                    worst = Math.max(worst, Math.abs(alpha * sum - want[cOff + i * ldc + j]) / (alpha * mag));
                }
            }
            assertTrue(worst < 1e-6 * k, "m=" + m + " n=" + n + " k=" + k + ": " + worst);
        }
    }

    /**
     * The vector LayerNorm (double lanes, rows shared out) and softmax (vector exp) against the scalar definitions:
     * within 1e-6 relative plus 1e-7 absolute (a few float roundings: the sums run in another fixed order, and the
     * exp polynomial is within 1.3e-7), in place too (BERT normalises its residual stream in place).
     */
    @Test
    void vectorNormsAndSoftmaxMatchTheScalarDefinitions() {
        Random rnd = new Random(11);
        for (int dim : new int[]{1, 7, 8, 16, 33, 768, 1000}) {
            int m = 37;
            float[] x = new float[m * dim], w = new float[dim], b = new float[dim];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 3 + (i % dim == 5 ? 40 : 0)); // an outlier channel
            }
            for (int i = 0; i < dim; i++) {
                w[i] = (float) rnd.nextGaussian();
                b[i] = (float) rnd.nextGaussian();
            }
            float[] want = new float[x.length], got = x.clone();
            ref.layernorm(want, x, w, b, m, dim, 1e-12f);
            fast.layernorm(got, got, w, b, m, dim, 1e-12f);
            close(want, got, "layernorm dim=" + dim);
            ref.rmsnorm(want, x, w, m, dim, 1e-6f);
            fast.rmsnorm(got, x, w, m, dim, 1e-6f);
            assertArrayEquals(want, got, "rmsnorm dim=" + dim); // same per-row code, rows shared out
            float[] sw = x.clone(), sg = x.clone();
            for (int r = 0; r < m; r++) {
                ref.softmax(sw, r * dim, dim);
                fast.softmax(sg, r * dim, dim);
            }
            close(sw, sg, "softmax dim=" + dim);
        }
    }

    /**
     * Element-wise activations are shared out over the pool in fixed chunks: the same bits on one thread and on two,
     * for a length that spans several chunks and ends in a scalar tail. GELU (erf form) is also the default's code.
     */
    @Test
    void elementwiseActivationsDoNotDependOnTheThreadCount() {
        Random rnd = new Random(5);
        int n = 3 * (1 << 14) + 9;
        float[] x = random(rnd, n), up = random(rnd, n);
        for (int i = 0; i < n; i++) {
            x[i] *= 5;
        }
        try (VectorKernels one = new VectorKernels(1, VectorKernels.Sgemm.JAVA)) {
            float[] a = x.clone(), b = x.clone();
            one.geluTanh(a, n);
            fast.geluTanh(b, n);
            assertArrayEquals(a, b, "geluTanh");
            a = x.clone();
            b = x.clone();
            one.swiglu(a, up, n);
            fast.swiglu(b, up, n);
            assertArrayEquals(a, b, "swiglu");
            a = x.clone();
            b = x.clone();
            ref.gelu(a, n);
            fast.gelu(b, n);
            assertArrayEquals(a, b, "gelu");
        }
    }

    /** BERT's residual step: adding and normalising in one pass gives the bits of doing them one after the other. */
    @Test
    void addLayernormEqualsAddThenLayernorm() {
        Random rnd = new Random(6);
        for (int m : new int[]{1, 9, 128}) {
            int dim = 768;
            float[] x = random(rnd, m * dim), delta = random(rnd, m * dim), w = random(rnd, dim), b = random(rnd, dim);
            float[] want = x.clone(), got = x.clone();
            for (int i = 0; i < want.length; i++) {
                want[i] += delta[i];
            }
            fast.layernorm(want, want, w, b, m, dim, 1e-12f);
            fast.addLayernorm(got, delta, w, b, m, dim, 1e-12f);
            assertArrayEquals(want, got, "m=" + m);
            float[] scalar = x.clone();
            ref.addLayernorm(scalar, delta, w, b, m, dim, 1e-12f);
            close(scalar, got, "scalar addLayernorm m=" + m);
        }
    }

    private static void close(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= 1e-6 * Math.abs(want[i]) + 1e-7,
                    what + " [" + i + "]: " + want[i] + " vs " + got[i]);
        }
    }

    @Test
    void dotAndAxpy() {
        Random rnd = new Random(3);
        float[] a = random(rnd, 37), b = random(rnd, 40);
        assertEquals(ref.dot(a, 2, b, 3, 35), fast.dot(a, 2, b, 3, 35), 1e-4);
        float[] y1 = random(rnd, 40), y2 = y1.clone();
        ref.axpy(0.7f, a, 1, y1, 2, 33);
        fast.axpy(0.7f, a, 1, y2, 2, 33);
        assertArrayEquals(y1, y2, 1e-6f);
    }

    @Test
    void normsAndSoftmaxHaveKnownValues() {
        float[] x = {1, 2, 3, 4};
        float[] out = new float[4];
        ref.rmsnorm(out, x, new float[]{1, 1, 1, 2}, 1, 4, 0f);
        double rms = Math.sqrt((1 + 4 + 9 + 16) / 4.0);
        assertArrayEquals(new float[]{(float) (1 / rms), (float) (2 / rms), (float) (3 / rms), (float) (8 / rms)},
                out, 1e-6f);
        ref.layernorm(out, x, new float[]{1, 1, 1, 1}, new float[]{0, 0, 0, 1}, 1, 4, 0f);
        double sd = Math.sqrt(1.25);
        assertArrayEquals(new float[]{(float) (-1.5 / sd), (float) (-0.5 / sd), (float) (0.5 / sd),
                (float) (1.5 / sd + 1)}, out, 1e-6f);
        float[] s = {-3, -3, -3 + (float) Math.log(2)};
        ref.softmax(s, 0, 3);
        assertArrayEquals(new float[]{0.25f, 0.25f, 0.5f}, s, 1e-6f);
    }

    @Test
    void activations() {
        float[] g = {0, 1, -2}, u = {1, 2, 3};
        ref.swiglu(g, u, 3);
        assertArrayEquals(new float[]{0f, (float) (1 / (1 + Math.exp(-1)) * 2), (float) (-2 / (1 + Math.exp(2)) * 3)},
                g, 1e-6f);
        float[] e = {0, 1, -1, 3};
        ref.gelu(e, 4);
        // GELU(1) = 0.841344746..., GELU(-1) = -0.158655254..., GELU(3) = 2.995950...
        assertArrayEquals(new float[]{0f, 0.8413447f, -0.15865526f, 2.9959502f}, e, 1e-6f);
        float[] t = {1};
        ref.geluTanh(t, 1);
        assertEquals(0.8411920f, t[0], 1e-6f);
    }

    /**
     * The two RoPE layouts are the same rotation on permuted dimensions: interleaved pair (2i, 2i+1) is halves pair
     * (i, i + d/2). This is the identity the HF-to-llama2.c q/k row permutation relies on.
     */
    @Test
    void ropeLayoutsAgreeUpToPermutation() {
        Random rnd = new Random(9);
        int heads = 3, hd = 8, m = 5;
        float[] inter = random(rnd, m * heads * hd);
        float[] halves = new float[inter.length];
        for (int r = 0; r < m * heads; r++) {
            for (int i = 0; i < hd / 2; i++) {
                halves[r * hd + i] = inter[r * hd + 2 * i];
                halves[r * hd + i + hd / 2] = inter[r * hd + 2 * i + 1];
            }
        }
        ref.rope(inter, m, heads * hd, heads, hd, 7, 10000f, PositionKind.ROPE_INTERLEAVED);
        ref.rope(halves, m, heads * hd, heads, hd, 7, 10000f, PositionKind.ROPE_HALVES);
        for (int r = 0; r < m * heads; r++) {
            for (int i = 0; i < hd / 2; i++) {
                assertEquals(inter[r * hd + 2 * i], halves[r * hd + i], 1e-6f);
                assertEquals(inter[r * hd + 2 * i + 1], halves[r * hd + i + hd / 2], 1e-6f);
            }
        }
        // position 0 is the identity
        float[] x = random(rnd, hd), y = x.clone();
        ref.rope(y, 1, hd, 1, hd, 0, 10000f, PositionKind.ROPE_INTERLEAVED);
        assertArrayEquals(x, y, 0f);
    }
}
