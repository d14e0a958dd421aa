package com.seedsq.engine.smoothquant;

/** What the report evaluates: the FP references and the quantized levels. */
public enum Variant {
    FP32(null), FP16(null), NAIVE(QuantLevel.NAIVE), O1(QuantLevel.O1), O2(QuantLevel.O2), O3(QuantLevel.O3);

    private final QuantLevel level;

    Variant(QuantLevel level) {
        this.level = level;
    }

    /** The quantization level, or null for the FP variants. */
    public QuantLevel level() {
        return level;
    }

    public boolean quantized() {
        return level != null;
    }

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Variant parse(String s) {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
    }
}
