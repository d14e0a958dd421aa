package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.quant.QuantizedMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every fast kernel against the scalar reference: integer results must be equal, not close, and the fused
 * dequantized floats bit-identical (all kernels evaluate the epilogue in the same order).
 */
class Int8GemmTest {

    private static final ScalarInt8Gemm REFERENCE = new ScalarInt8Gemm();
    private static final List<Int8Gemm> FAST = new ArrayList<>();

    @BeforeAll
    static void kernels() {
        FAST.add(new VectorInt8Gemm(2));
        NativeInt8Gemm.load(2).ifPresent(FAST::add);
    }

    @AfterAll
    static void close() {
        FAST.forEach(Int8Gemm::close);
    }

    @Test
    void nativeKernelLoadsWhereTheCpuAndTheBuildAllowIt() throws java.io.IOException {
        java.nio.file.Path cpuinfo = java.nio.file.Path.of("/proc/cpuinfo");
        assumeTrue(java.nio.file.Files.exists(cpuinfo)
                        && java.nio.file.Files.readString(cpuinfo).contains("avx512_vnni")
                        && NativeInt8Gemm.class.getResource(NativeInt8Gemm.RESOURCE) != null,
                "no AVX-512 VNNI CPU or no native library built here: only the Java kernel is tested");
        assertTrue(NativeInt8Gemm.load(1).isPresent(), () -> "native kernel not loaded: "
                + NativeInt8Gemm.unavailableReason());
        try (Int8Gemm best = Int8Kernels.best(1)) {
            assertEquals("native-avx512-vnni", best.name());
        }
    }

    @Test
    void scalarReferenceComputesATimesWTransposed() {
        QuantizedMatrix a = QuantizedMatrix.ofBytes(new byte[]{1, 2, 3, -4, 5, -6}, 2, 3, new float[]{0.5f},
                Granularity.TENSOR);
        Int8Weights w = Int8Weights.of(QuantizedMatrix.ofBytes(new byte[]{1, 0, -1, 2, 2, 2}, 2, 3,
                new float[]{1f, 2f}, Granularity.CHANNEL));
        int[] acc = new int[4];
        REFERENCE.multiplyInt32(a, w, acc);
        assertArrayEquals(new int[]{-2, 12, 2, -10}, acc);
        float[] out = new float[4];
        REFERENCE.multiply(a, w, new float[]{10f, 20f}, out);
        assertArrayEquals(new float[]{9f, 32f, 11f, 10f}, out);
    }

    @Test
    void randomShapesWithRaggedEdgesMatchExactly() {
        Random rnd = new Random(42);
        int[] ks = {1, 7, 31, 32, 33, 63, 64, 65, 95, 127, 128, 129, 200, 257};
        for (int trial = 0; trial < 120; trial++) {
            int m = trial % 6 == 0 ? 1 : 1 + rnd.nextInt(11);
            int n = 1 + rnd.nextInt(70);
            int k = ks[trial % ks.length];
            check(m, n, k, rnd, false);
        }
    }

    @Test
    void manyRowsWithRaggedEdgesMatchExactly() {
        // prefill-like row counts: full and partial 4x4 register blocks of the native kernel, and K below, at and
        // just past the 64-byte step and its 4-byte groups
        Random rnd = new Random(43);
        for (int m : new int[]{16, 19, 25}) {
            for (int n : new int[]{1, 31, 33, 47}) {
                for (int k : new int[]{1, 3, 4, 5, 63, 66, 129}) {
                    check(m, n, k, rnd, false);
                }
            }
        }
    }

    @Test
    void everyStripTailAndPanelEdgeOfTheNativeLayoutMatchesExactly() {
        // the native kernel tiles 8 rows x 48 columns (three 16-column vectors) over 4-byte K groups, and decodes
        // (M = 1) four groups at a time: every row tail 1..7 past 0, 1 and 2 full strips, columns just short of,
        // at and past a vector and a panel, and K tails of every residue mod 4 and mod 16
        Random rnd = new Random(44);
        int[] ns = {1, 15, 16, 17, 47, 48, 49, 95, 97};
        int[] ks = {1, 2, 3, 4, 5, 6, 13, 16, 17, 30, 67};
        int trial = 0;
        for (int m = 1; m <= 23; m++) {
            for (int n : ns) {
                check(m, n, ks[trial++ % ks.length], rnd, false);
            }
        }
    }

    /**
     * One A with several W (q, k, v): the batched call prepares A once and hands out all panels together; each
     * output must be bit-identical to the reference's own product, with per-tensor and per-channel weights, with and
     * without bias, on the pool (BERT's shape) and below its threshold.
     */
    @Test
    void batchedProductsOfOneInputEqualSeparateProducts() {
        Random rnd = new Random(46);
        for (int[] s : new int[][]{{128, 768, 768, 768, 768}, {19, 70, 49, 47, 97}, {3, 5, 1, 16, 17}}) {
            int m = s[0], k = s[1];
            QuantizedMatrix a = randomCodes(m, k, rnd, false, Byte.MIN_VALUE, Granularity.TOKEN);
            Int8Weights[] ws = new Int8Weights[3];
            float[][] biases = new float[3][], want = new float[3][];
            for (int i = 0; i < 3; i++) {
                int n = s[2 + i];
                ws[i] = Int8Weights.of(randomCodes(n, k, rnd, false, -127,
                        i == 1 ? Granularity.TENSOR : Granularity.CHANNEL));
                if (i != 2) {
                    biases[i] = new float[n];
                    for (int j = 0; j < n; j++) {
                        biases[i][j] = (float) rnd.nextGaussian();
                    }
                }
                want[i] = new float[m * n];
                REFERENCE.multiply(a, ws[i], biases[i], want[i]);
            }
            for (Int8Gemm g : FAST) {
                float[][] got = new float[3][];
                for (int i = 0; i < 3; i++) {
                    got[i] = new float[want[i].length];
                }
                g.multiply(a, ws, biases, got);
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(want[i], got[i], g.name() + " product " + i + " of m=" + m + " k=" + k);
                }
            }
        }
    }

    @Test
    void packedWeightsAreReusedAcrossCallsAndNeverConfused() {
        // the native kernel caches each Int8Weights' repacked copy: the same weights with new activations, and
        // several weight matrices of the same shape alternating, must each give their own product
        Random rnd = new Random(45);
        List<Int8Weights> ws = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ws.add(Int8Weights.of(randomCodes(50, 70, rnd, false, -127, Granularity.CHANNEL)));
        }
        for (int round = 0; round < 4; round++) {
            for (Int8Weights w : ws) {
                QuantizedMatrix a = randomCodes(1 + rnd.nextInt(12), 70, rnd, false, Byte.MIN_VALUE,
                        Granularity.TOKEN);
                int[] expected = new int[a.rows() * w.rows()];
                REFERENCE.multiplyInt32(a, w, expected);
                for (Int8Gemm g : FAST) {
                    int[] acc = new int[expected.length];
                    g.multiplyInt32(a, w, acc);
                    assertArrayEquals(expected, acc, g.name() + " round " + round);
                }
            }
        }
    }

    @Test
    void concurrentCallersOnOneKernelDoNotShareScratch() throws Exception {
        // one kernel per process is shared by every caller: the native one packs activations into a per-thread
        // buffer, so two threads multiplying different shapes at once must not see each other's rows
        Random rnd = new Random(46);
        Int8Weights w = Int8Weights.of(randomCodes(130, 300, rnd, false, -127, Granularity.CHANNEL));
        QuantizedMatrix[] as = {randomCodes(37, 300, rnd, false, Byte.MIN_VALUE, Granularity.TOKEN),
                randomCodes(5, 300, rnd, false, Byte.MIN_VALUE, Granularity.TOKEN)};
        int[][] expected = new int[2][];
        for (int t = 0; t < 2; t++) {
            expected[t] = new int[as[t].rows() * w.rows()];
            REFERENCE.multiplyInt32(as[t], w, expected[t]);
        }
        for (Int8Gemm g : FAST) {
            try (java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(2)) {
                List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int which = t;
                    fs.add(ex.submit(() -> {
                        for (int i = 0; i < 200; i++) {
                            int[] acc = new int[expected[which].length];
                            g.multiplyInt32(as[which], w, acc);
                            assertArrayEquals(expected[which], acc, g.name() + " thread " + which + " call " + i);
                        }
                    }));
                }
                for (java.util.concurrent.Future<?> f : fs) {
                    f.get();
                }
            }
        }
    }

    @Test
    void rejectsOutputsThatDoNotFitInsteadOfWritingPastThem() {
        Random rnd = new Random(3);
        QuantizedMatrix a = randomCodes(3, 70, rnd, false, -127, Granularity.TOKEN);
        Int8Weights w = Int8Weights.of(randomCodes(5, 70, rnd, false, -127, Granularity.CHANNEL));
        Int8Weights otherK = Int8Weights.of(randomCodes(5, 71, rnd, false, -127, Granularity.CHANNEL));
        List<Int8Gemm> all = new ArrayList<>(FAST);
        all.add(REFERENCE);
        for (Int8Gemm g : all) {
            assertThrows(IllegalArgumentException.class, () -> g.multiply(a, w, new Int8Output.Int32(new int[14], 5)),
                    g.name());
            assertThrows(IllegalArgumentException.class, () -> g.multiplyInt32(a, otherK, new int[15]), g.name());
            assertThrows(IllegalArgumentException.class, () -> g.multiply(a, w, new Int8Output.Dequantized(
                    new float[15], 5, new float[1], true, w.matrix().scales(), true, null)), g.name());
            assertThrows(IllegalArgumentException.class, () -> g.multiply(a, w, new float[4], new float[15]),
                    g.name());
        }
    }

    @Test
    void extremeCodesDoNotOverflowAnyIntermediate() {
        // |a·w| is largest at ±127 (and a = -128 is allowed for activations): the Java kernel's 16-bit pair sums
        // and the VNNI kernel's +128 shift are both at their limits here
        Random rnd = new Random(1);
        check(5, 9, 1031, rnd, true);
        check(1, 67, 4099, rnd, true);
        check(17, 35, 2051, rnd, true);
    }

    @Test
    void largeEnoughToRunOnThePoolAndDecodeShape() {
        Random rnd = new Random(9);
        check(9, 100, 300, rnd, false);
        check(40, 100, 301, rnd, false);
        check(1, 1000, 517, rnd, false);
    }

    @Test
    void agreesWithOneDnnWhereItIsInstalled() {
        // an independent implementation, to guard against a shared misunderstanding in ours and the reference
        OneDnnGemm dnnl = OneDnnGemm.load().orElse(null);
        assumeTrue(dnnl != null, "libdnnl.so.2 (oneDNN) not installed: skipping the cross-check");
        Random rnd = new Random(5);
        for (int[] s : new int[][]{{1, 33, 100}, {7, 65, 257}, {16, 128, 1024}}) {
            QuantizedMatrix a = randomCodes(s[0], s[2], rnd, false, -127, Granularity.TENSOR);
            Int8Weights w = Int8Weights.of(randomCodes(s[1], s[2], rnd, false, -127, Granularity.TENSOR));
            int[] expected = new int[s[0] * s[1]], theirs = new int[s[0] * s[1]];
            REFERENCE.multiplyInt32(a, w, expected);
            dnnl.multiplyInt32(a, w, theirs);
            assertArrayEquals(expected, theirs, "M=" + s[0] + " N=" + s[1] + " K=" + s[2]);
        }
    }

    private static void check(int m, int n, int k, Random rnd, boolean extreme) {
        QuantizedMatrix a = randomCodes(m, k, rnd, extreme, Byte.MIN_VALUE, rnd.nextBoolean() ? Granularity.TOKEN
                : Granularity.TENSOR);
        Int8Weights w = Int8Weights.of(randomCodes(n, k, rnd, extreme, -127, rnd.nextBoolean() ? Granularity.CHANNEL
                : Granularity.TENSOR));
        float[] bias = rnd.nextBoolean() ? null : randomFloats(n, rnd);
        int[] expected = new int[m * n];
        REFERENCE.multiplyInt32(a, w, expected);
        float[] expectedOut = new float[m * n];
        REFERENCE.multiply(a, w, bias, expectedOut);
        String shape = "M=" + m + " N=" + n + " K=" + k;
        for (Int8Gemm g : FAST) {
            int[] acc = new int[m * n];
            g.multiplyInt32(a, w, acc);
            assertArrayEquals(expected, acc, g.name() + " int32 " + shape);
            float[] out = new float[m * n];
            g.multiply(a, w, bias, out);
            assertArrayEquals(expectedOut, out, 0f, g.name() + " dequantized " + shape);
        }
    }

    private static QuantizedMatrix randomCodes(int rows, int cols, Random rnd, boolean extreme, int min,
                                               Granularity g) {
        byte[] codes = new byte[rows * cols];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) (extreme ? (rnd.nextBoolean() ? 127 : min) : min + rnd.nextInt(127 - min + 1));
        }
        return QuantizedMatrix.ofBytes(codes, rows, cols, randomFloats(g.perRow() ? rows : 1, rnd), g);
    }

    private static float[] randomFloats(int n, Random rnd) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) rnd.nextGaussian();
        }
        return f;
    }
}
