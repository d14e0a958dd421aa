package com.seedsq.engine.calib;

import com.seedsq.engine.format.llama2c.Llama2cHeader;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.testutil.RandomLlama2c;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Calibration with the vector kernels gives the same statistics bit for bit every time in one JVM, before and after
 * the JIT compiles the kernels: remote runners rely on it for byte-identical artifacts whichever runner (and however
 * warm a JVM) ran a shard. 60 repetitions of 96 short windows make some 20,000 calls of each activation kernel,
 * past C2's compile threshold; with the Vector API's lanewise EXP this test failed.
 */
class CalibrationDeterminismTest {

    @TempDir
    Path tmp;

    @Test
    void repeatedCalibrationsAreBitIdentical() {
        Path f = tmp.resolve("rand.bin");
        RandomLlama2c.write(f, new Llama2cHeader(64, 96, 2, 4, 2, 64, 64, true), 11);
        int[][] windows = new int[96][];
        for (int w = 0; w < windows.length; w++) {
            windows[w] = new int[12];
            windows[w][0] = 1;
            for (int i = 1; i < 12; i++) {
                windows[w][i] = 3 + (w * 31 + i * 7) % 60;
            }
        }
        try (Model model = Model.open(f); VectorKernels k = new VectorKernels(2)) {
            ActivationStats first = Calibrator.run(model, k, windows, ProgressListener.NONE);
            for (int run = 1; run < 60; run++) {
                ActivationStats again = Calibrator.run(model, k, windows, ProgressListener.NONE);
                assertEquals(first.absMax().keySet(), again.absMax().keySet());
                for (var e : first.absMax().entrySet()) {
                    assertArrayEquals(e.getValue(), again.absMax().get(e.getKey()), "run " + run + " " + e.getKey());
                }
            }
        }
    }
}
