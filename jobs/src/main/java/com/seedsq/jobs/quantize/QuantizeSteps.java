package com.seedsq.jobs.quantize;

import java.util.List;

/**
 * The steps of the quantization job, in order, with the share of the job's time each typically takes: the weights
 * turn per-step fractions into the job's overall percent, from which the ETA follows.
 */
public enum QuantizeSteps {
    VALIDATE("validate", 2),
    CALIBRATE("calibrate", 25),
    SMOOTH("smooth", 3),
    QUANTIZE("quantize", 10),
    EVALUATE("evaluate", 40),
    BENCHMARK("benchmark", 17),
    PACKAGE("package", 3);

    private final String stepName;
    private final int weight;

    QuantizeSteps(String stepName, int weight) {
        this.stepName = stepName;
        this.weight = weight;
    }

    public String stepName() {
        return stepName;
    }

    /** Percent of the whole job done when this step is {@code fraction} done. */
    public double overallPercent(double fraction) {
        int before = 0;
        int total = 0;
        for (QuantizeSteps s : values()) {
            if (s.ordinal() < ordinal()) {
                before += s.weight;
            }
            total += s.weight;
        }
        return 100.0 * (before + weight * Math.clamp(fraction, 0, 1)) / total;
    }

    public static List<String> names() {
        return java.util.Arrays.stream(values()).map(QuantizeSteps::stepName).toList();
    }
}
