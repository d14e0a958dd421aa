package com.seedsq.engine.calib;

import com.seedsq.engine.format.safetensors.SafetensorsFile;
import com.seedsq.engine.format.safetensors.SafetensorsWriter;
import com.seedsq.engine.tensor.TensorData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What calibration measured: for every linear-input site, the per-input-channel abs-max of the activation over all
 * calibration tokens (BOS included). The per-tensor abs-max (O3 static scales before smoothing) is the max over
 * channels; after smoothing it is {@code max_j(absMax_j / s_j)}, which is why only the channel vector is stored.
 *
 * <p>Persisted as safetensors: one F32 tensor {@code L<layer>.<site>.absmax} per site, and string metadata
 * ({@code format=sq-activation-stats}, {@code key}, {@code tokens}, {@code sequences}, {@code seqLen}, ...), so a
 * re-run with another α or level loads it instead of calibrating again (see {@link StatsCache}).
 *
 * @param key       the cache key it was computed for (model + data + seqLen hash), or "" if none
 * @param tokens    calibration tokens seen, BOS included
 * @param sequences calibration windows run
 * @param seqLen    window length
 */
public record ActivationStats(String key, long tokens, int sequences, int seqLen, Map<SiteKey, float[]> absMax) {

    public static final String FORMAT = "sq-activation-stats";
    private static final String SUFFIX = ".absmax";

    public ActivationStats {
        absMax = Collections.unmodifiableMap(new TreeMap<>(absMax));
    }

    /** The per-channel abs-max of one site; throws if calibration did not see it. */
    public float[] channelAbsMax(SiteKey site) {
        float[] a = absMax.get(site);
        if (a == null) {
            throw new IllegalArgumentException("no calibration statistics for site " + site);
        }
        return a;
    }

    public float[] channelAbsMax(int layer, String site) {
        return channelAbsMax(new SiteKey(layer, site));
    }

    /** The per-tensor abs-max of one site (max over its channels). */
    public float tensorAbsMax(SiteKey site) {
        float m = 0f;
        for (float v : channelAbsMax(site)) {
            m = Math.max(m, v);
        }
        return m;
    }

    public ActivationStats withKey(String newKey) {
        return new ActivationStats(newKey, tokens, sequences, seqLen, absMax);
    }

    /** Writes the statistics as a safetensors file (atomically); returns the path. */
    public Path save(Path file, Map<String, String> extraMetadata) {
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", FORMAT)
                .metadata("key", key)
                .metadata("tokens", Long.toString(tokens))
                .metadata("sequences", Integer.toString(sequences))
                .metadata("seqLen", Integer.toString(seqLen))
                .metadata(extraMetadata);
        for (var e : absMax.entrySet()) {
            w.addF32(e.getKey() + SUFFIX, new long[]{e.getValue().length}, e.getValue());
        }
        try {
            w.write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write activation statistics to " + file, e);
        }
        return file;
    }

    public Path save(Path file) {
        return save(file, Map.of());
    }

    /** Reads a file written by {@link #save}. */
    public static ActivationStats load(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Object> md = f.metadata();
            if (!FORMAT.equals(md.get("format"))) {
                throw new IllegalArgumentException(file + ": not an activation-statistics file (format="
                        + md.get("format") + ")");
            }
            Map<SiteKey, float[]> a = new TreeMap<>();
            for (String name : f.names()) {
                if (name.endsWith(SUFFIX)) {
                    TensorData t = f.tensor(name);
                    a.put(SiteKey.parse(name.substring(0, name.length() - SUFFIX.length())), t.toFloatArray());
                }
            }
            return new ActivationStats(String.valueOf(md.getOrDefault("key", "")),
                    Long.parseLong(String.valueOf(md.get("tokens"))),
                    Integer.parseInt(String.valueOf(md.get("sequences"))),
                    Integer.parseInt(String.valueOf(md.get("seqLen"))), a);
        }
    }
}
