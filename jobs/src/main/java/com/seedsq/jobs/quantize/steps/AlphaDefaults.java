package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.smoothquant.QuantConfig;

import java.util.Locale;
import java.util.Map;

/**
 * The migration strength α used when a job does not set one: the values the SmoothQuant paper and its reference
 * code use per family. llama2.c models are LLaMA-2-style checkpoints, so they take the Llama-2 value. Keys are
 * the engine's family names ({@code com.seedsq.engine.model.Families}); {@link QuantConfig#AUTO} means α = auto.
 */
final class AlphaDefaults {

    private static final Map<String, Double> BY_FAMILY = Map.ofEntries(
            Map.entry("opt", 0.5), Map.entry("bloom", 0.5), Map.entry("falcon", 0.6), Map.entry("mistral", 0.8),
            Map.entry("mixtral", 0.8), Map.entry("llama", 0.85), Map.entry("llama2c", 0.85),
            Map.entry("gguf-llama", 0.85), Map.entry("qwen2", 0.85),
            // not in the paper: GPT-2 and GPT-NeoX take OPT's value (same pre-LN LayerNorm design)
            Map.entry("gpt2", 0.5), Map.entry("gpt_neox", 0.5),
            // not in the paper, measured on BERT-base (engine README's variant table): a fixed α at all four
            // post-LN sites is worse than naive W8A8 at O2/O3 (it migrates the FFN outliers into fc2's columns),
            // while α = auto, which may also leave a site unsmoothed, recovers FP accuracy at O1 and O3
            Map.entry("bert", QuantConfig.AUTO));

    private AlphaDefaults() {
    }

    static double forFamily(String family) {
        return BY_FAMILY.getOrDefault(family.toLowerCase(Locale.ROOT), 0.5);
    }
}
