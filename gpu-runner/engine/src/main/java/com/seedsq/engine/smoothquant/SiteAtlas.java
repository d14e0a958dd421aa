package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.SiteKey;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The outlier atlas entry of one linear-input site: how peaked its per-channel abs-max is before and after smoothing
 * ({@code max / median}; a few for a benign activation, tens to hundreds with outlier channels) and which channels
 * stick out.
 */
public record SiteAtlas(String site, int layer, String name, int channels, boolean smoothed, Summary before,
                        Summary after, List<Channel> topBefore) {

    /** max, median and max/median of a per-channel abs-max vector ({@code ratio} null when the median is 0). */
    public record Summary(float max, float median, Double ratio) {
        static Summary of(float[] a) {
            float[] s = a.clone();
            Arrays.sort(s);
            float med = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2f;
            float max = s[s.length - 1];
            return new Summary(max, med, med == 0 ? null : max / (double) med);
        }
    }

    public record Channel(int index, float absMax) {
    }

    /** @param s the site's smoothing factors, or null if not smoothed */
    public static SiteAtlas of(SiteKey key, float[] absMax, float[] s, int top) {
        float[] after = absMax;
        if (s != null) {
            after = new float[absMax.length];
            for (int j = 0; j < after.length; j++) {
                after[j] = absMax[j] / s[j];
            }
        }
        List<Channel> t = new ArrayList<>();
        IntStream.range(0, absMax.length).boxed()
                .sorted(Comparator.comparingDouble((Integer j) -> absMax[j]).reversed())
                .limit(top).forEach(j -> t.add(new Channel(j, absMax[j])));
        return new SiteAtlas(key.toString(), key.layer(), key.site(), absMax.length, s != null, Summary.of(absMax),
                Summary.of(after), t);
    }
}
