package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.testutil.SharedData;

import java.util.Map;
import java.util.TreeMap;

/** The reference's stories260K calibration statistics as {@link ActivationStats} (skips without shared data). */
final class ReferenceStats {

    static final String DIR = "reference/stories260K/";
    static final String[] SITES = {"attn_in", "wo_in", "ffn_in", "w2_in"};

    private ReferenceStats() {
    }

    static ActivationStats stories260K() {
        Map<SiteKey, float[]> m = new TreeMap<>();
        for (int l = 0; l < 5; l++) {
            for (String s : SITES) {
                m.put(new SiteKey(l, s), csvRow("calib_absmax_L" + l + "_" + s + ".csv"));
            }
        }
        return new ActivationStats("reference", 64 * 256, 64, 256, m);
    }

    static float[] csvRow(String name) {
        return SharedData.floatRows(SharedData.require(DIR + name))[0];
    }

    static float[][] csv(String name) {
        return SharedData.floatRows(SharedData.require(DIR + name));
    }
}
