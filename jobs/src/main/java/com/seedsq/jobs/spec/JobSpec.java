package com.seedsq.jobs.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a user asks of a quantization job. Defaults are filled in by {@link #withDefaults()}, so the stored spec says
 * exactly what ran. Field names are the JSON the API accepts.
 *
 * @param modelId     the uploaded model
 * @param calibration calibration text and its size: {@code samples} windows of {@code seqLen} tokens (masked LMs:
 *                    {@code samples} blocks of [CLS] + 126 WordPieces + [SEP], the protocol's fixed length)
 * @param alpha       the migration strength, a number in [0, 1] or {@code auto} (searched per layer); null for the
 *                    model family's default (OPT/BLOOM 0.5, LLaMA 0.8, ...)
 * @param level       activation quantization: O1 per-token dynamic, O2 per-tensor dynamic, O3 per-tensor static
 * @param weights     weight scales: {@code tensor} (the paper) or {@code channel}
 * @param evaluation  evaluation texts (may be the calibration dataset: then evaluation takes the head of the token
 *                    stream and calibration the tail, never overlapping)
 * @param benchmark   the latency grid
 * @param backend     {@code cpu}, {@code cuda} or {@code auto}
 * @param webhookUrl  called on completion and failure, or null
 */
public record JobSpec(String modelId, Calibration calibration, String alpha, String level, String weights,
                      Evaluation evaluation, Benchmark benchmark, String backend, String webhookUrl) {

    public record Calibration(String datasetId, Integer samples, Integer seqLen) {
    }

    /**
     * @param maxTokens decoders: perplexity over the first maxTokens tokens of each text
     * @param sequences masked LMs (BERT): accuracy over the first sequences blocks of 126 WordPieces
     */
    public record Evaluation(List<String> datasetIds, Integer maxTokens, Integer sequences) {
    }

    public record Benchmark(List<Integer> batchSizes, List<Integer> seqLens, Integer decodeTokens) {
    }

    public static final List<String> LEVELS = List.of("O1", "O2", "O3");

    /** The spec with every omitted knob set to its default. */
    public JobSpec withDefaults() {
        Calibration c = calibration == null ? new Calibration(null, null, null) : calibration;
        c = new Calibration(c.datasetId(), c.samples() == null ? 64 : c.samples(),
                c.seqLen() == null ? 256 : c.seqLen());
        Evaluation e = evaluation == null || evaluation.datasetIds() == null
                ? new Evaluation(c.datasetId() == null ? List.of() : List.of(c.datasetId()),
                evaluation == null ? null : evaluation.maxTokens(), evaluation == null ? null : evaluation.sequences())
                : evaluation;
        e = new Evaluation(e.datasetIds(), e.maxTokens() == null ? 32_640 : e.maxTokens(),
                e.sequences() == null ? 128 : e.sequences());
        Benchmark b = benchmark == null ? new Benchmark(null, null, null) : benchmark;
        b = new Benchmark(b.batchSizes() == null ? List.of(1) : b.batchSizes(),
                b.seqLens() == null ? List.of(128) : b.seqLens(), b.decodeTokens() == null ? 16 : b.decodeTokens());
        return new JobSpec(modelId, c, alpha == null || alpha.isBlank() ? null : alpha.toLowerCase(Locale.ROOT),
                level == null ? "O1" : level.toUpperCase(Locale.ROOT),
                weights == null ? "channel" : weights.toLowerCase(Locale.ROOT), e, b,
                backend == null ? "auto" : backend.toLowerCase(Locale.ROOT), webhookUrl);
    }

    /** The same spec with another calibration sequence length (masked LMs run the protocol's fixed length). */
    public JobSpec withCalibrationSeqLen(int seqLen) {
        return new JobSpec(modelId, new Calibration(calibration.datasetId(), calibration.samples(), seqLen), alpha,
                level, weights, evaluation, benchmark, backend, webhookUrl);
    }

    /**
     * Checks a spec that {@link #withDefaults()} completed, on its own terms (the model and datasets are checked
     * against the catalog by the caller).
     *
     * @return field path → problem, empty when valid
     */
    public Map<String, String> problems() {
        Map<String, String> p = new LinkedHashMap<>();
        if (modelId == null || modelId.isBlank()) {
            p.put("modelId", "required");
        }
        if (calibration.datasetId() == null || calibration.datasetId().isBlank()) {
            p.put("calibration.datasetId", "required");
        }
        if (calibration.samples() < 1 || calibration.samples() > 4096) {
            p.put("calibration.samples", "must be between 1 and 4096, was " + calibration.samples());
        }
        if (calibration.seqLen() < 2 || calibration.seqLen() > 32_768) {
            p.put("calibration.seqLen", "must be between 2 and 32768, was " + calibration.seqLen());
        }
        if (alpha != null && !"auto".equals(alpha)) {
            try {
                double a = Double.parseDouble(alpha);
                if (!(a >= 0 && a <= 1)) {
                    p.put("alpha", "must be in [0, 1] or 'auto', was " + alpha);
                }
            } catch (NumberFormatException e) {
                p.put("alpha", "must be a number in [0, 1] or 'auto', was '" + alpha + "'");
            }
        }
        if (!LEVELS.contains(level)) {
            p.put("level", "must be one of " + LEVELS + ", was '" + level + "'");
        }
        if (!List.of("tensor", "channel").contains(weights)) {
            p.put("weights", "must be 'tensor' or 'channel', was '" + weights + "'");
        }
        if (evaluation.datasetIds().isEmpty()) {
            p.put("evaluation.datasetIds", "at least one evaluation dataset is required");
        }
        if (evaluation.maxTokens() < 1) {
            p.put("evaluation.maxTokens", "must be positive, was " + evaluation.maxTokens());
        }
        if (evaluation.sequences() < 1 || evaluation.sequences() > 100_000) {
            p.put("evaluation.sequences", "must be between 1 and 100000, was " + evaluation.sequences());
        }
        checkGrid(p, "benchmark.batchSizes", benchmark.batchSizes(), 1, 256);
        checkGrid(p, "benchmark.seqLens", benchmark.seqLens(), 1, 32_768);
        if (benchmark.decodeTokens() < 0 || benchmark.decodeTokens() > 1024) {
            p.put("benchmark.decodeTokens", "must be between 0 and 1024, was " + benchmark.decodeTokens());
        }
        if (!List.of("cpu", "cuda", "auto").contains(backend)) {
            p.put("backend", "must be 'cpu', 'cuda' or 'auto', was '" + backend + "'");
        }
        return p;
    }

    private static void checkGrid(Map<String, String> p, String field, List<Integer> values, int min, int max) {
        if (values.isEmpty() || values.size() > 16) {
            p.put(field, "needs 1 to 16 values");
            return;
        }
        List<Integer> bad = new ArrayList<>();
        for (Integer v : values) {
            if (v == null || v < min || v > max) {
                bad.add(v);
            }
        }
        if (!bad.isEmpty()) {
            p.put(field, "values must be between " + min + " and " + max + ", got " + bad);
        }
    }
}
