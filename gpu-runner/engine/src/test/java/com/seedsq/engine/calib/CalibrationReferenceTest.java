package com.seedsq.engine.calib;

import com.seedsq.engine.model.Model;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.testutil.SharedData;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * stories260K calibration against the independent implementation: the last 64 x 255 tokens of WikiText-2 as 64
 * windows of [BOS] + 255, per-channel abs-max of every linear input. Skipped without ../shared/data.
 */
class CalibrationReferenceTest {

    static final String[] SITES = {"attn_in", "wo_in", "ffn_in", "w2_in"};

    @Test
    void absMaxOfEverySiteMatchesTheReference() {
        String text = SharedData.read(SharedData.require("text/wikitext-2-raw-test.txt"));
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(SharedData.tokenizer());
        try (Model model = Model.open(SharedData.model())) {
            List<Double> fractions = new ArrayList<>();
            ActivationStats stats = SmoothQuant.calibrate(model, tok, text, CalibrationSpec.reference(),
                    (f, m) -> fractions.add(f));
            assertEquals(64 * 256, stats.tokens(), "BOS is a calibration token too");
            assertEquals(64, stats.sequences());
            assertEquals(20, stats.absMax().size());
            assertEquals(1.0, fractions.getLast());
            double worst = 0;
            for (int l = 0; l < 5; l++) {
                for (String site : SITES) {
                    float[] expected = SharedData.floatRows(SharedData.require(
                            "reference/stories260K/calib_absmax_L" + l + "_" + site + ".csv"))[0];
                    float[] got = stats.channelAbsMax(l, site);
                    assertEquals(expected.length, got.length, "L" + l + " " + site);
                    for (int j = 0; j < got.length; j++) {
                        double rel = Math.abs(got[j] - expected[j]) / Math.abs(expected[j]);
                        worst = Math.max(worst, rel);
                        // the reference prints 6 significant digits (≤ 5e-6 relative), so 1e-5 is the print limit
                        assertTrue(rel <= 1e-5, "L" + l + " " + site + " channel " + j + ": " + got[j] + " vs "
                                + expected[j]);
                    }
                }
            }
            System.out.println("stories260K calibration abs-max: worst relative difference " + worst);
        }
    }
}
