package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.jobs.model.LoadedModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Calibration cut into shards on several runners, merged, equals one pass over all windows, bit for bit: that is what
 * lets remote runners calibrate in parallel without changing a single byte of the result. On stories260K from
 * ../shared (skipped, saying so, where it is missing), with the scalar kernels the runners use by default.
 */
class CalibrationShardsTest {

    @TempDir
    Path tmp;

    @Test
    void mergedShardsEqualOneUnshardedPass() throws Exception {
        Path shared = Path.of(System.getProperty("sq.shared.dir", "../shared"), "data");
        Path bin = shared.resolve("models/stories260K/stories260K.bin");
        Path tok = shared.resolve("models/stories260K/tok512.bin");
        Path text = shared.resolve("text/tinystories-sample.txt");
        Assumptions.assumeTrue(Files.exists(bin) && Files.exists(tok) && Files.exists(text),
                "skipped: stories260K or tinystories-sample.txt missing under " + shared);
        Files.copy(bin, tmp.resolve("stories260K.bin"));
        Files.copy(tok, tmp.resolve("tok512.bin"));
        try (LoadedModel m = LoadedModel.open(tmp); ScalarKernels k = new ScalarKernels()) {
            int[] ids = m.tokenizer().encode(Files.readString(text), true);
            int[][] windows = new CalibrationSpec(7, 32).windows(ids, m.tokenizer().bos());
            ActivationStats whole = Calibrator.run(m.model(), m.model().weights(), k, windows, "key",
                    ProgressListener.NONE);
            List<ActivationStats> shards = new ArrayList<>();
            int[] cuts = {0, 2, 3, 7}; // uneven on purpose
            for (int s = 0; s + 1 < cuts.length; s++) {
                shards.add(Calibrator.run(m.model(), m.model().weights(), k,
                        Arrays.copyOfRange(windows, cuts[s], cuts[s + 1]), s == 0 ? "key" : "", ProgressListener.NONE));
            }
            ActivationStats merged = CalibrationShards.merge(shards);
            // Compare the files the job stores: same bytes, not merely close values.
            byte[] a = Files.readAllBytes(whole.save(tmp.resolve("whole.safetensors")));
            byte[] b = Files.readAllBytes(merged.save(tmp.resolve("merged.safetensors")));
            assertThat(merged.sequences()).isEqualTo(7);
            assertThat(merged.tokens()).isEqualTo(whole.tokens());
            assertThat(b).isEqualTo(a);
        }
    }
}
