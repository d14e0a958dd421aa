package com.seedsq.engine.kernel;

import org.junit.jupiter.api.Test;
import java.util.Random;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The matmul, RMSNorm and RoPE kernels give the same floats on every call, before and after the JIT compiles them.
 * With {@code reduceLanes(ADD)} in the matmul's block kernel this failed after ~180 calls (the interpreter and
 * compiled code sum the lanes in different orders); {@code VectorKernels.sumLanes} fixes the order. Both FP32 GEMM
 * paths are checked: the Java kernel (pinned, since M = 12 would otherwise go to oneDNN) and oneDNN's sgemm where
 * {@code libdnnl.so.2} is installed.
 */
class MatmulDeterminismTest {

    @Test
    void kernelsGiveTheSameFloatsBeforeAndAfterCompilation() {
        check(VectorKernels.Sgemm.JAVA);
    }

    @Test
    void oneDnnPathGivesTheSameFloatsOnEveryCall() {
        assumeTrue(OneDnnSgemm.get().isPresent(), "libdnnl.so.2 (oneDNN) not installed: skipping the oneDNN path ("
                + OneDnnSgemm.unavailableReason() + ")");
        check(VectorKernels.Sgemm.AUTO);
    }

    private static void check(VectorKernels.Sgemm path) {
        try (VectorKernels k = new VectorKernels(2, path)) {
            assertEquals(path, k.sgemm());
            Random r = new Random(1);
            int m = 12, kk = 64, n = 96;
            float[] x = new float[m * kk], wv = new float[n * kk], w2 = new float[64];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < wv.length; i++) wv[i] = (float) r.nextGaussian();
            for (int i = 0; i < 64; i++) w2[i] = 1f + (float) r.nextGaussian() * 0.1f;
            Matrix w = Matrix.ofFloats("w", n, kk, wv);
            float[] o1 = new float[m * n];
            k.matmul(x, m, w, o1);
            float[] n1 = new float[m * 64];
            k.rmsnorm(n1, x, w2, m, 64, 1e-5f);
            float[] r1 = x.clone();
            k.rope(r1, m, 64, 4, 16, 16, 3, 10000f, com.seedsq.engine.model.PositionKind.ROPE_INTERLEAVED);
            for (int i = 0; i < 40000; i++) {
                float[] o = new float[m * n];
                k.matmul(x, m, w, o);
                if (!java.util.Arrays.equals(o, o1)) fail("matmul differs at call " + i);
                float[] nn = new float[m * 64];
                k.rmsnorm(nn, x, w2, m, 64, 1e-5f);
                if (!java.util.Arrays.equals(nn, n1)) fail("rmsnorm differs at call " + i);
                float[] rr = x.clone();
                k.rope(rr, m, 64, 4, 16, 16, 3, 10000f, com.seedsq.engine.model.PositionKind.ROPE_INTERLEAVED);
                if (!java.util.Arrays.equals(rr, r1)) fail("rope differs at call " + i);
            }
        }
    }
}
