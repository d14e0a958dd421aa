package com.seedsq.engine.cli;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.calib.StatsCache;
import com.seedsq.engine.export.Int8Export;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.AlphaSearch;
import com.seedsq.engine.smoothquant.EvalSpec;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SiteSelection;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.smoothquant.SmoothQuantReport;
import com.seedsq.engine.smoothquant.Variant;
import com.seedsq.engine.dataset.MlmSequences;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code sq quantize}: the SmoothQuant study and export in one command. Calibrates on the tail of the calibration
 * text, evaluates FP32, naive W8A8 and the chosen level on the head of the evaluation text (the same file may serve
 * both; the two slices never overlap), and with {@code --out} writes the INT8 model in the compressed-tensors layout
 * plus {@code report.json}. The same facade the service's job steps call.
 */
final class QuantizeCommand {

    static final String HELP = """
            sq quantize MODEL [--tokenizer F] --calib FILE [--alpha A|auto (default 0.5)] [--level O1|O2|O3|naive (O1)]
                    [--weights tensor|channel] [--sites foldable|all|none|attn_in,... (default: foldable, or all where
                    none fold)] [--eval FILE (default: the calibration file)] [--out DIR] [--json]
                    decoders (perplexity): [--calib-tokens N (default 64 windows)] [--seq-len 256] [--max-tokens 32640]
                    masked LMs (BERT, accuracy + pseudo-perplexity): [--calib-sequences 128] [--sequences 128]
            """;

    private QuantizeCommand() {
    }

    /** Returns the report; writes the export when {@code --out} is given. */
    /** @param tokenizer the tokenizer file, or null to use the one embedded in the checkpoint (GGUF) */
    static SmoothQuantReport run(Args a, Model model, Path tokenizer) {
        a.allowOnly(java.util.Set.of("tokenizer", "calib", "calib-tokens", "seq-len", "alpha", "level", "weights",
                "eval", "max-tokens", "out", "json", "sites", "calib-sequences", "sequences"));
        if (!model.family().causal()) {
            return runMaskedLm(a, model, tokenizer);
        }
        for (String o : List.of("calib-sequences", "sequences")) {
            if (a.option(o, null) != null) {
                throw new UsageException("quantize: --" + o + " is for masked LMs; decoders take --calib-tokens and "
                        + "--max-tokens");
            }
        }
        SentencePieceTokenizer tok = tokenizer != null ? SentencePieceTokenizer.load(tokenizer)
                : model.embeddedTokenizer().orElseThrow();
        String calibText = read(a.required("calib"));
        String evalText = a.option("eval", null) == null ? calibText : read(a.option("eval", null));
        int seqLen = a.intOption("seq-len", Math.min(256, model.config().maxSeq()));
        CalibrationSpec calib = a.option("calib-tokens", null) == null ? new CalibrationSpec(64, seqLen)
                : CalibrationSpec.ofTokens(Long.parseLong(a.option("calib-tokens", null)), seqLen);
        String alphaText = a.option("alpha", "0.5").toLowerCase(Locale.ROOT);
        double alpha = alphaText.equals("auto") ? QuantConfig.AUTO : parseAlpha(alphaText);
        QuantLevel level = parseLevel(a.option("level", "O1"));
        Granularity weights = parseWeights(a.option("weights", "tensor"));
        SiteSelection sites = EvalCommand.parseSites(a, model);
        var spec = new SmoothQuant.ReportSpec(new EvalSpec(seqLen, a.intOption("max-tokens", 32_640)), calib, alpha,
                weights, sites, variants(level), 4, QuantConfig.Execution.INT8);
        Path out = a.option("out", null) == null ? null : Path.of(a.option("out", null));
        Path cache = out == null ? null : out.resolveSibling(out.getFileName() + ".stats-cache");
        ProgressListener progress = ProgressListener.stderr();
        SmoothQuantReport report = SmoothQuant.report(model, tok, evalText, calibText, spec, cache, progress);
        if (out != null) {
            int[] ids = tok.encode(calibText, true);
            export(model, tokenizer, calib.windows(ids, tok.bos()), new QuantConfig(level, alpha, weights, sites,
                    QuantConfig.Execution.INT8), cache, out, progress);
        }
        return report;
    }

    /**
     * BERT: evaluation on the first {@code --sequences} framed blocks of the evaluation text, calibration on the last
     * {@code --calib-sequences} full blocks of the calibration text; rows carry masked-LM accuracy and
     * pseudo-perplexity.
     */
    private static SmoothQuantReport runMaskedLm(Args a, Model model, Path tokenizer) {
        for (String o : List.of("calib-tokens", "seq-len", "max-tokens")) {
            if (a.option(o, null) != null) {
                throw new UsageException("quantize: --" + o + " is for decoders; masked LMs take --calib-sequences "
                        + "and --sequences");
            }
        }
        WordPieceTokenizer tok = WordPieceTokenizer.load(tokenizer);
        MlmSequences.Specials specials = MlmSequences.Specials.of(tok);
        String calibText = read(a.required("calib"));
        String evalFile = a.option("eval", null);
        int[] calibStream = tok.encode(calibText, false);
        int[] evalStream = evalFile == null ? calibStream : tok.encode(read(evalFile), false);
        int n = a.intOption("sequences", 128), c = a.intOption("calib-sequences", 128);
        int evalBlocks = MlmSequences.blockCount(evalStream.length, MlmSequences.BLOCK);
        int calibBlocks = MlmSequences.blockCount(calibStream.length, MlmSequences.BLOCK);
        if (n < 1 || n > evalBlocks || c < 1 || c > calibBlocks) {
            throw new UsageException("quantize: --sequences must be in [1, " + evalBlocks + "] and --calib-sequences in "
                    + "[1, " + calibBlocks + "], got " + n + " and " + c);
        }
        if (evalFile == null && n > calibBlocks - c) {
            throw new UsageException("quantize: evaluation (blocks 0.." + (n - 1) + ") and calibration (the last " + c
                    + " of " + calibBlocks + " blocks) overlap; use fewer sequences or --eval FILE");
        }
        String alphaText = a.option("alpha", "0.5").toLowerCase(Locale.ROOT);
        double alpha = alphaText.equals("auto") ? QuantConfig.AUTO : parseAlpha(alphaText);
        QuantLevel level = parseLevel(a.option("level", "O1"));
        Granularity weights = parseWeights(a.option("weights", "tensor"));
        SiteSelection sites = EvalCommand.parseSites(a, model);
        List<int[]> calibration = MlmSequences.calibration(calibStream, c, specials);
        var spec = new SmoothQuant.ReportSpec(new EvalSpec(MlmSequences.BLOCK + 2, 0),
                new CalibrationSpec(c, MlmSequences.BLOCK + 2), alpha, weights, sites, variants(level), 4,
                QuantConfig.Execution.INT8);
        Path out = a.option("out", null) == null ? null : Path.of(a.option("out", null));
        Path cache = out == null ? null : out.resolveSibling(out.getFileName() + ".stats-cache");
        ProgressListener progress = ProgressListener.stderr();
        SmoothQuantReport report = SmoothQuant.reportMlm(model, MlmSequences.evaluation(evalStream, n, specials),
                calibration, spec, cache, progress);
        if (out != null) {
            export(model, tokenizer, calibration.toArray(int[][]::new), new QuantConfig(level, alpha, weights, sites,
                    QuantConfig.Execution.INT8), cache, out, progress);
        }
        return report;
    }

    private static List<Variant> variants(QuantLevel level) {
        List<Variant> variants = new ArrayList<>(List.of(Variant.FP32, Variant.NAIVE));
        if (level != QuantLevel.NAIVE) {
            variants.add(Variant.valueOf(level.name()));
        }
        return variants;
    }

    private static void export(Model model, Path tokenizer, int[][] windows, QuantConfig config, Path cache, Path out,
                               ProgressListener progress) {
        // Cached by the report run above, so this is a lookup, not a second calibration.
        ActivationStats stats = SmoothQuant.calibrate(model, windows, new StatsCache(cache), progress);
        AlphaSearch.Sample sample = config.autoAlpha()
                ? SmoothQuant.sampleActivations(model, windows, SmoothQuant.autoSampleRows(model)) : null;
        try (QuantizedModel qm = SmoothQuant.quantize(model, stats, sample, config, progress)) {
            // an embedded vocabulary (GGUF) has no file to copy; the export then carries none
            Int8Export.write(qm, out, tokenizer == null ? List.of() : List.of(tokenizer), stats);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double parseAlpha(String s) {
        try {
            double v = Double.parseDouble(s);
            if (!(v >= 0 && v <= 1)) {
                throw new UsageException("--alpha must lie in [0, 1] or be 'auto', got " + s);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException("--alpha must be a number in [0, 1] or 'auto', got '" + s + "'");
        }
    }

    private static QuantLevel parseLevel(String s) {
        try {
            return QuantLevel.parse(s);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--level must be O1, O2, O3 or naive, got '" + s + "'");
        }
    }

    static Granularity parseWeights(String s) {
        try {
            Granularity g = Granularity.valueOf(s.trim().toUpperCase(Locale.ROOT));
            if (g != Granularity.TOKEN) {
                return g;
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw new UsageException("--weights must be tensor or channel, got '" + s + "'");
    }

    static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new UsageException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
