package com.seedsq.engine.kernel;

import com.seedsq.engine.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The oneDNN sgemm path of {@link VectorKernels#matmul} ({@link OneDnnMatmul}) against the Java Vector API path, and
 * its determinism. Tests that need {@code libdnnl.so.2} skip with a message when it is not installed; the switch and
 * the fallback are checked either way.
 *
 * <p>Tolerance: both paths compute the same float32 dot products in different summation orders. The rounding error
 * of a float32 dot product is bounded by ~K·u·Σ|x·w| (u = 2^-24) and is typically ~√K·u·Σ|x·w|, so the two may
 * differ by that much; we allow {@code |a - b| <= 1e-5 · √K · (1 + Σ_c |x_c · w_c|)} per output element
 * (1e-5 relative, about 170 u, times √K). F16/BF16 weights are widened exactly by both paths, so the same bound
 * applies to them.
 */
class OneDnnMatmulTest {

    private static void assumeOneDnn() {
        assumeTrue(OneDnnSgemm.get().isPresent(), "libdnnl.so.2 (oneDNN) not installed, skipping: "
                + OneDnnSgemm.unavailableReason());
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    /** Largest {@code |a - b| / (1e-5 · √K · (1 + Σ|x·w|))} over the product; fails above 1. */
    private static double compare(float[] x, int m, Matrix w, float[] a, float[] b, String what) {
        int n = w.rows(), k = w.cols();
        double worst = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double mag = 0;
                for (int c = 0; c < k; c++) {
                    mag += Math.abs((double) x[i * k + c] * w.get(j, c));
                }
                double allowed = 1e-5 * Math.sqrt(k) * (1 + mag);
                double d = Math.abs((double) a[i * n + j] - b[i * n + j]);
                if (!(d <= allowed)) {
                    fail(what + " at " + i + "," + j + ": " + a[i * n + j] + " vs " + b[i * n + j] + ", allowed "
                            + allowed);
                }
                worst = Math.max(worst, d / allowed);
            }
        }
        return worst;
    }

    /**
     * Ragged shapes around everything that could go wrong: M below, at and above the auto threshold; N around the
     * 128-row chunk (1, 5, 127, 128, 129, 300 = two full chunks and a 44-row tail); K odd, short and long; every
     * weight dtype; weights in a heap byte array, a heap float array and native memory at an odd offset.
     */
    @Test
    void agreesWithTheJavaPathOnRaggedShapes() {
        assumeOneDnn();
        Random rnd = new Random(21);
        double worst = 0;
        int products = 0;
        try (VectorKernels dnnl = new VectorKernels(2, VectorKernels.Sgemm.ONEDNN);
             VectorKernels java = new VectorKernels(2, VectorKernels.Sgemm.JAVA);
             Arena arena = Arena.ofShared()) { // shared: the kernels' threads read the weights
            for (DType dt : new DType[]{DType.F32, DType.F16, DType.BF16}) {
                for (int m : new int[]{1, 3, 4, 5, 13, 64, 129}) {
                    for (int n : new int[]{1, 5, 127, 128, 129, 300}) {
                        for (int k : new int[]{1, 7, 64, 333}) {
                            float[] x = random(rnd, m * k);
                            Matrix w = KernelsTest.matrix(dt, n, k, random(rnd, n * k));
                            if (products % 3 == 1 && dt == DType.F32) {
                                w = Matrix.ofFloats("w", n, k, w.toFloatArray());
                            } else if (products % 3 == 2) { // native, 4 bytes past a 64-byte boundary
                                MemorySegment seg = arena.allocate(w.data().byteSize() + 4, 64).asSlice(4);
                                seg.copyFrom(w.data());
                                w = new Matrix("w", dt, n, k, seg);
                            }
                            float[] a = new float[m * n], b = new float[m * n];
                            dnnl.matmul(x, m, w, a);
                            java.matmul(x, m, w, b);
                            worst = Math.max(worst, compare(x, m, w, a, b, dt + " m=" + m + " n=" + n + " k=" + k));
                            // the bias added while copying out is the same float sum as adding it afterwards
                            float[] bias = random(rnd, n), fused = new float[m * n];
                            dnnl.linear(x, m, w, bias, fused);
                            Kernels.addBias(a, m, bias);
                            assertArrayEquals(a, fused, "bias, " + dt + " m=" + m + " n=" + n + " k=" + k);
                            products++;
                        }
                    }
                }
            }
        }
        System.out.printf("oneDNN vs Java matmul: %d products, largest difference %.3f of the tolerance%n", products,
                worst);
    }

    /**
     * Several linears over one input ({@link Kernels#linears}: q, k, v) go out as one batch of chunks with one copy of
     * x: each output must be bit-identical to its own {@link Kernels#linear} call, with and without biases, for
     * ragged widths (a grouped-query k/v narrower than q) and below the parallel threshold too.
     */
    @Test
    void batchedLinearsEqualSeparateCalls() {
        assumeOneDnn();
        Random rnd = new Random(23);
        try (VectorKernels dnnl = new VectorKernels(2, VectorKernels.Sgemm.ONEDNN)) {
            for (int[] s : new int[][]{{128, 768, 768, 768}, {5, 300, 129, 129}, {4, 1, 7, 33}}) {
                int m = s[0], k = s[1];
                float[] x = random(rnd, m * k);
                Matrix[] ws = new Matrix[3];
                float[][] biases = new float[3][], outs = new float[3][];
                for (int i = 0; i < 3; i++) {
                    int n = i == 0 ? s[1] : s[i + 1];
                    ws[i] = KernelsTest.matrix(DType.F32, n, k, random(rnd, n * k));
                    biases[i] = i == 1 ? null : random(rnd, n);
                    outs[i] = new float[m * n];
                }
                dnnl.linears(x, m, ws, biases, outs);
                for (int i = 0; i < 3; i++) {
                    float[] want = new float[outs[i].length];
                    dnnl.linear(x, m, ws[i], biases[i], want);
                    assertArrayEquals(want, outs[i], "linear " + i + " of m=" + m + " k=" + k);
                }
            }
        }
    }

    /** Prefill-sized shapes (BERT-base and the 1B LLaMA's linears at a few tokens), F32 and F16. */
    @Test
    void agreesWithTheJavaPathOnModelShapes() {
        assumeOneDnn();
        Random rnd = new Random(22);
        try (VectorKernels dnnl = new VectorKernels(2, VectorKernels.Sgemm.ONEDNN);
             VectorKernels java = new VectorKernels(2, VectorKernels.Sgemm.JAVA)) {
            for (DType dt : new DType[]{DType.F32, DType.F16}) {
                for (int[] s : new int[][]{{19, 768, 3072}, {8, 256, 2048}, {6, 2048, 5632}}) {
                    int m = s[0], n = s[1], k = s[2];
                    float[] x = random(rnd, m * k);
                    Matrix w = KernelsTest.matrix(dt, n, k, random(rnd, n * k));
                    float[] a = new float[m * n], b = new float[m * n];
                    dnnl.matmul(x, m, w, a);
                    java.matmul(x, m, w, b);
                    compare(x, m, w, a, b, dt + " m=" + m + " n=" + n + " k=" + k);
                }
            }
        }
    }

    /**
     * Bit-identical results call after call and whatever the pool's thread count (the 128-row chunk grid is fixed
     * and every chunk is a single-threaded oneDNN call), including chunks handed to different threads each time.
     */
    @Test
    void bitIdenticalAcrossCallsAndThreadCounts() {
        assumeOneDnn();
        Random rnd = new Random(23);
        int m = 37, n = 700, k = 300;
        float[] x = random(rnd, m * k);
        for (DType dt : new DType[]{DType.F32, DType.BF16}) {
            Matrix w = KernelsTest.matrix(dt, n, k, random(rnd, n * k));
            float[] first = null;
            for (int threads : new int[]{1, 2, 3, 2}) {
                try (VectorKernels kk = new VectorKernels(threads, VectorKernels.Sgemm.AUTO)) {
                    for (int call = 0; call < 50; call++) {
                        float[] out = new float[m * n];
                        kk.matmul(x, m, w, out);
                        if (first == null) {
                            first = out;
                        } else if (!Arrays.equals(first, out)) {
                            fail(dt + ": " + threads + " threads, call " + call + " differs from the first result");
                        }
                    }
                }
            }
        }
    }

    /**
     * One single-threaded sgemm gives the same bits whatever the alignment of its operands: heap arrays move with
     * the GC and mapped weights sit at any 4-byte offset, so the result must not depend on where they are.
     */
    @Test
    void singleThreadedSgemmIgnoresOperandAlignment() {
        assumeOneDnn();
        OneDnnSgemm sgemm = OneDnnSgemm.get().orElseThrow();
        Random rnd = new Random(24);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : new int[][]{{4, 128, 2048}, {13, 100, 777}, {128, 128, 768}}) {
                int m = s[0], n = s[1], k = s[2];
                float[] x = random(rnd, m * k), w = random(rnd, n * k);
                float[] ref = new float[m * n];
                sgemm.matmul(x, m, MemorySegment.ofArray(w), n, k, ref, 1);
                for (int offset = 1; offset < 16; offset += 3) {
                    MemorySegment a = copy(arena, x, offset), b = copy(arena, w, 15 - offset);
                    MemorySegment c = arena.allocate((long) (m * n + 16) * Float.BYTES, 64)
                            .asSlice((long) (offset % 5) * Float.BYTES);
                    sgemm.gemm(m, n, k, a, k, b, k, c, n, 1);
                    assertArrayEquals(ref, c.asSlice(0, (long) m * n * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT),
                            "m=" + m + " n=" + n + " k=" + k + ", operands offset by " + offset + " floats");
                }
            }
        }
    }

    private static MemorySegment copy(Arena arena, float[] v, int offsetFloats) {
        MemorySegment s = arena.allocate((long) (v.length + 16) * Float.BYTES, 64)
                .asSlice((long) offsetFloats * Float.BYTES, (long) v.length * Float.BYTES);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    /** auto: below {@link OneDnnMatmul#MIN_ROWS} rows the Java kernel's bits, from it on oneDNN's. */
    @Test
    void autoSplitsAtTheThreshold() {
        assumeOneDnn();
        Random rnd = new Random(25);
        int n = 200, k = 96;
        Matrix w = Matrix.ofFloats("w", n, k, random(rnd, n * k));
        try (VectorKernels auto = new VectorKernels(2, VectorKernels.Sgemm.AUTO);
             VectorKernels java = new VectorKernels(2, VectorKernels.Sgemm.JAVA);
             VectorKernels dnnl = new VectorKernels(2, VectorKernels.Sgemm.ONEDNN)) {
            for (int m = 1; m <= OneDnnMatmul.MIN_ROWS + 2; m++) {
                float[] x = random(rnd, m * k);
                float[] a = new float[m * n], j = new float[m * n], d = new float[m * n];
                auto.matmul(x, m, w, a);
                java.matmul(x, m, w, j);
                dnnl.matmul(x, m, w, d);
                assertArrayEquals(m < OneDnnMatmul.MIN_ROWS ? j : d, a, "m=" + m);
            }
        }
    }

    /** The switch: its three values, a clear error for anything else, and Java when oneDNN is absent. */
    @Test
    void switchAndFallback() {
        String before = System.getProperty(VectorKernels.SGEMM_PROPERTY);
        try {
            System.setProperty(VectorKernels.SGEMM_PROPERTY, "Java");
            assertEquals(VectorKernels.Sgemm.JAVA, VectorKernels.Sgemm.fromProperty());
            System.setProperty(VectorKernels.SGEMM_PROPERTY, "onednn");
            assertEquals(VectorKernels.Sgemm.ONEDNN, VectorKernels.Sgemm.fromProperty());
            System.clearProperty(VectorKernels.SGEMM_PROPERTY);
            assertEquals(VectorKernels.Sgemm.AUTO, VectorKernels.Sgemm.fromProperty());
            System.setProperty(VectorKernels.SGEMM_PROPERTY, "mkl");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    VectorKernels.Sgemm::fromProperty);
            assertTrue(e.getMessage().contains("sq.sgemm=mkl"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(VectorKernels.SGEMM_PROPERTY);
            } else {
                System.setProperty(VectorKernels.SGEMM_PROPERTY, before);
            }
        }
        boolean present = OneDnnSgemm.get().isPresent();
        for (VectorKernels.Sgemm mode : VectorKernels.Sgemm.values()) {
            try (VectorKernels k = new VectorKernels(1, mode)) {
                assertEquals(present ? mode : VectorKernels.Sgemm.JAVA, k.sgemm());
                float[] out = new float[8 * 3];
                k.matmul(new float[8 * 2], 8, Matrix.ofFloats("w", 3, 2, new float[]{1, 2, 3, 4, 5, 6}), out);
                assertArrayEquals(new float[24], out);
            }
        }
    }

    /**
     * The binding takes native memory only: heap arrays would need a critical downcall, which must not last as long
     * as a GEMM (see {@link OneDnnSgemm}). A heap operand is refused with a message, never passed to C.
     */
    @Test
    void refusesHeapOperands() {
        assumeOneDnn();
        OneDnnSgemm sgemm = OneDnnSgemm.get().orElseThrow();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment heap = MemorySegment.ofArray(new float[4]), off = arena.allocate(16, 64);
            for (MemorySegment[] abc : new MemorySegment[][]{{heap, off, off}, {off, heap, off}, {off, off, heap}}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> sgemm.gemm(2, 2, 1, abc[0], 1, abc[1], 1, abc[2], 2, 1));
                assertTrue(e.getMessage().contains("native memory"), e.getMessage());
            }
            float[] out = new float[4];
            sgemm.matmul(new float[]{1, 2}, 2, MemorySegment.ofArray(new float[]{3, 4}), 2, 1, out, 1);
            assertArrayEquals(new float[]{3, 4, 6, 8}, out); // the convenience copies through native memory
        }
    }
}
