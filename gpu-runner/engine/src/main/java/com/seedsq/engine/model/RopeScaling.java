package com.seedsq.engine.model;

import java.util.Map;

/**
 * How a model rescales RoPE's inverse frequencies for a longer context: Hugging Face's {@code rope_type}. Only the
 * kinds that change nothing but the frequencies are supported; a config naming any other kind (yarn, dynamic,
 * longrope, ...) is refused when parsed, never run with plain RoPE.
 *
 * <ul>
 *   <li>{@code default}: {@code inv_freq[i] = theta^(-2i/d)}.</li>
 *   <li>{@code linear}: positions divided by {@code factor}, i.e. {@code inv_freq / factor}.</li>
 *   <li>{@code llama3} (Llama 3.1+): with {@code wavelen = 2 pi / inv_freq}, wavelengths above
 *       {@code original / low_freq_factor} are divided by {@code factor}, those below
 *       {@code original / high_freq_factor} kept, and those between interpolated with
 *       {@code smooth = (original / wavelen - low) / (high - low)}:
 *       {@code (1 - smooth) * inv_freq / factor + smooth * inv_freq} (transformers' {@code _compute_llama3_parameters}).</li>
 * </ul>
 *
 * @param factor               linear / llama3 scale factor (1 for default)
 * @param lowFreqFactor        llama3 only
 * @param highFreqFactor       llama3 only
 * @param originalMaxPositions llama3 only: {@code original_max_position_embeddings}
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {

    public enum Type {
        DEFAULT("default"), LINEAR("linear"), LLAMA3("llama3");

        private final String hfName;

        Type(String hfName) {
            this.hfName = hfName;
        }

        /** The {@code rope_type} transformers writes. */
        public String hfName() {
            return hfName;
        }
    }

    /** Plain RoPE. */
    public static final RopeScaling NONE = new RopeScaling(Type.DEFAULT, 1, 0, 0, 0);

    public RopeScaling {
        if (type == null) {
            throw new IllegalArgumentException("rope scaling type is null");
        }
        if (!(factor > 0) || type == Type.DEFAULT && factor != 1) {
            throw new IllegalArgumentException("rope scaling factor " + factor + " for rope_type " + type.hfName);
        }
        if (type == Type.LLAMA3 && (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)
                || originalMaxPositions <= 0)) {
            throw new IllegalArgumentException("rope_type llama3 needs 0 < low_freq_factor < high_freq_factor and "
                    + "original_max_position_embeddings > 0, got " + lowFreqFactor + ", " + highFreqFactor + ", "
                    + originalMaxPositions);
        }
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 0, 0);
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalMaxPositions) {
        return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }

    /** Plain RoPE: the frequencies are {@link #defaultInverseFrequencies}. */
    public boolean isDefault() {
        return type == Type.DEFAULT;
    }

    /**
     * Plain RoPE's inverse frequencies {@code theta^(-2i/dims)}, i = 0 .. dims/2 - 1, for RoPE over {@code dims}
     * dimensions of each head (the arithmetic the engine has always used: float exponent, double power).
     */
    public static float[] defaultInverseFrequencies(double theta, int dims) {
        if (dims < 0 || dims % 2 != 0) {
            throw new IllegalArgumentException("rotary dimensions " + dims + " must be even");
        }
        float[] f = new float[dims / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(theta, (2 * i) / (float) dims));
        }
        return f;
    }

    /** This scaling's inverse frequencies for base {@code theta} over {@code dims} rotary dimensions. */
    public float[] inverseFrequencies(double theta, int dims) {
        float[] f = defaultInverseFrequencies(theta, dims);
        switch (type) {
            case DEFAULT -> {
            }
            case LINEAR -> {
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) (f[i] / factor);
                }
            }
            case LLAMA3 -> {
                double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
                double highFreqWavelen = originalMaxPositions / highFreqFactor;
                for (int i = 0; i < f.length; i++) {
                    double inv = f[i], wavelen = 2 * Math.PI / inv;
                    if (wavelen > lowFreqWavelen) {
                        f[i] = (float) (inv / factor);
                    } else if (wavelen >= highFreqWavelen) {
                        double smooth = (originalMaxPositions / wavelen - lowFreqFactor)
                                / (highFreqFactor - lowFreqFactor);
                        f[i] = (float) ((1 - smooth) * inv / factor + smooth * inv);
                    } // else: high frequency, unchanged
                }
            }
        }
        return f;
    }

    // ------------------------------------------------------------------------------------------- HF configs

    /**
     * The RoPE parameters of an HF {@code config.json}, in either spelling: transformers 5's
     * {@code rope_parameters: {rope_theta, rope_type, factor, ...}} or the older top-level {@code rope_theta} and
     * {@code rope_scaling: {type | rope_type, factor, ...}} ({@code rope_parameters} wins when both are there).
     * Returns the map holding the scaling keys (empty when there is none).
     */
    static Map<String, Object> hfRopeParameters(Map<String, Object> cfg) {
        Object params = cfg.get("rope_parameters");
        if (params instanceof Map<?, ?> m) {
            if (!m.containsKey("rope_type") && !m.containsKey("rope_theta") && !m.isEmpty()
                    && m.values().stream().allMatch(v -> v instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("rope_parameters per layer type " + m.keySet()
                        + " are not supported");
            }
            return cast(m);
        }
        if (params != null) {
            throw new IllegalArgumentException("rope_parameters is not an object: " + params);
        }
        Object scaling = cfg.get("rope_scaling");
        if (scaling instanceof Map<?, ?> m) {
            return cast(m);
        }
        if (scaling != null) {
            throw new IllegalArgumentException("rope_scaling is not an object: " + scaling);
        }
        return Map.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /** RoPE's base θ from an HF config: {@code rope_parameters.rope_theta}, else {@code rope_theta}, else {@code fallback}. */
    public static double hfTheta(Map<String, Object> cfg, double fallback) {
        if (hfRopeParameters(cfg).get("rope_theta") instanceof Number n) {
            return n.doubleValue();
        }
        return cfg.get("rope_theta") instanceof Number n ? n.doubleValue() : fallback;
    }

    /**
     * The scaling an HF config asks for ({@code rope_parameters} or {@code rope_scaling}; {@code rope_type}, or the
     * older {@code type}). Absent, null or {@code default}: {@link #NONE}.
     *
     * @throws IllegalArgumentException for a rope_type other than default, linear and llama3, naming it, or for
     *                                  missing or bad parameters
     */
    public static RopeScaling fromHf(Map<String, Object> cfg) {
        Map<String, Object> p = hfRopeParameters(cfg);
        String where = cfg.get("rope_parameters") instanceof Map<?, ?> ? "rope_parameters" : "rope_scaling";
        Object t = p.get("rope_type") != null ? p.get("rope_type") : p.get("type");
        String type = t == null ? "default" : String.valueOf(t);
        return switch (type) {
            case "default" -> NONE;
            case "linear" -> linear(number(p, "factor", where));
            case "llama3" -> llama3(number(p, "factor", where), number(p, "low_freq_factor", where),
                    number(p, "high_freq_factor", where),
                    (int) number(p, "original_max_position_embeddings", where));
            default -> throw new IllegalArgumentException("RoPE scaling rope_type '" + type + "' (" + where
                    + ") is not supported (known: default, linear, llama3); refusing rather than running plain RoPE");
        };
    }

    private static double number(Map<String, Object> p, String key, String where) {
        if (p.get(key) instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(where + " of rope_type " + (p.get("rope_type") != null
                ? p.get("rope_type") : p.get("type")) + " lacks numeric '" + key + "'");
    }

    @Override
    public String toString() {
        return switch (type) {
            case DEFAULT -> "default";
            case LINEAR -> "linear(factor " + factor + ")";
            case LLAMA3 -> "llama3(factor " + factor + ", low " + lowFreqFactor + ", high " + highFreqFactor
                    + ", original " + originalMaxPositions + ")";
        };
    }
}
