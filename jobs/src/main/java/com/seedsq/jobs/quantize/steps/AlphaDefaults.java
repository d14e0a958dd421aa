package com.seedsq.jobs.quantize.steps;

import java.util.Locale;
import java.util.Map;

/**
 * The migration strength α used when a job does not set one: the values the SmoothQuant paper and its reference
 * code use per family. llama2.c models are LLaMA-2-style checkpoints, so they take the Llama-2 value.
 */
final class AlphaDefaults {

    private static final Map<String, Double> BY_FAMILY = Map.of(
            "opt", 0.5, "bloom", 0.5, "falcon", 0.6, "mistral", 0.8, "mixtral", 0.8,
            "llama", 0.85, "llama2c", 0.85, "qwen2", 0.85);

    private AlphaDefaults() {
    }

    static double forFamily(String family) {
        return BY_FAMILY.getOrDefault(family.toLowerCase(Locale.ROOT), 0.5);
    }
}
