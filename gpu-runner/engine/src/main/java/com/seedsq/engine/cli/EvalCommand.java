package com.seedsq.engine.cli;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.dataset.MlmSequence;
import com.seedsq.engine.dataset.MlmSequences;
import com.seedsq.engine.eval.Perplexity;
import com.seedsq.engine.eval.PerplexityResult;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.AlphaSearch;
import com.seedsq.engine.smoothquant.EvalSpec;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.SiteSelection;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.smoothquant.Variant;
import com.seedsq.engine.smoothquant.VariantResult;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code sq eval}: one variant of one model on one metric. {@code perplexity} (decoders) follows the reference's
 * windows; {@code mlm} (BERT) the masked-LM protocol: the first {@code --sequences} framed 126-token blocks of the
 * WordPiece stream, 15% masked with {@code Random(1234)}. Quantized variants calibrate first: decoders on the last
 * {@code --calib-tokens} tokens, masked LMs on the last {@code --calib-sequences} full blocks of {@code --calib}
 * (default: the evaluation text; then evaluation and calibration must not overlap).
 */
final class EvalCommand {

    static final String HELP = """
            sq eval MODEL [--tokenizer F] --text FILE [--metric perplexity|mlm] [--json]
                    perplexity: [--seq-len 256 (or the model's max)] [--max-tokens N] [--split SEP]
                                (--split '<|endoftext|>': each document on its own, as for TinyStories)
                    mlm:        [--sequences 128]   (the first N [CLS]+126+[SEP] blocks, 15% masked, Random(1234))
                    variants:   [--variant fp32|fp16|naive|o1|o2|o3] [--alpha A|auto (0.5)] [--weights tensor|channel]
                                [--sites foldable|all|none|attn_in,... (default: foldable, or all where none fold)]
                                [--calib FILE (default --text)] [--calib-tokens N (decoders, default 64 windows)]
                                [--calib-sequences N (masked LM, default 128 last blocks)]
                                [--int8-head (the LM head in W8A8 too, per-token dynamic; default FP)]
            """;

    private static final Set<String> OPTIONS = Set.of("tokenizer", "json", "text", "metric", "seq-len", "max-tokens",
            "split", "sequences", "variant", "alpha", "weights", "sites", "calib", "calib-tokens", "calib-sequences",
            "int8-head");

    private EvalCommand() {
    }

    /** The result as a JSON-ready map; progress goes to {@code err}. */
    static Map<String, Object> run(Args a, Model model, Path tokenizer, PrintStream err) {
        a.allowOnly(OPTIONS);
        String metric = a.option("metric", model.family().causal() ? "perplexity" : "mlm");
        Variant variant = parseVariant(a.option("variant", "fp32"));
        if (a.flag("int8-head") && !variant.quantized()) {
            throw new UsageException("eval: --int8-head quantizes the LM head of an INT8 variant (naive, o1, o2, o3), "
                    + "not of " + variant.id());
        }
        return switch (metric) {
            case "perplexity" -> perplexity(a, model, tokenizer, variant, err);
            case "mlm" -> mlm(a, model, tokenizer, variant, err);
            default -> throw new UsageException("eval: unknown --metric " + metric + " (known: perplexity, mlm)");
        };
    }

    private static Map<String, Object> perplexity(Args a, Model model, Path tokenizer, Variant variant,
                                                  PrintStream err) {
        if (!model.family().causal()) {
            throw new UsageException("eval: " + model.family().name() + " is an encoder; use --metric mlm");
        }
        if (a.option("sequences", null) != null) {
            throw new UsageException("eval: --sequences is for --metric mlm (perplexity takes --max-tokens)");
        }
        String text = QuantizeCommand.read(a.required("text"));
        int maxTokens = a.intOption("max-tokens", 0);
        int seqLen = a.intOption("seq-len", Math.min(256, model.config().maxSeq()));
        if (seqLen < 2 || seqLen > model.config().maxSeq()) {
            throw new UsageException("--seq-len must be in [2, " + model.config().maxSeq() + "], got " + seqLen);
        }
        SentencePieceTokenizer tok = tokenizer != null ? SentencePieceTokenizer.load(tokenizer)
                : model.embeddedTokenizer().orElseThrow();
        long t0 = System.nanoTime();
        String split = a.option("split", null);
        Map<String, Object> m = new LinkedHashMap<>();
        if (split != null) {
            if (variant != Variant.FP32) {
                throw new UsageException("eval: --split evaluates FP32 only; drop --variant");
            }
            // documents evaluated separately, each [BOS] + its own tokens (the TinyStories protocol)
            List<int[]> docs = new ArrayList<>();
            long streamTokens = 0;
            for (String doc : text.split(java.util.regex.Pattern.quote(split))) {
                if (!doc.strip().isEmpty()) {
                    int[] ids = tok.encode(doc.strip(), true);
                    docs.add(ids);
                    streamTokens += ids.length - 1;
                }
            }
            if (docs.isEmpty()) {
                throw new UsageException(a.required("text") + ": the text has no tokens to score");
            }
            err.println("sq: " + docs.size() + " documents, " + streamTokens + " tokens");
            try (VectorKernels kernels = new VectorKernels()) {
                PerplexityResult r = new Perplexity(Transformer.of(model, kernels), tok.bos())
                        .evaluateSequences(docs, seqLen);
                putPerplexity(m, r.perplexity(), r.count(), r.nll(), r.windows(), seqLen, streamTokens, t0);
            }
            return m;
        }
        int[] ids = tok.encode(text, true);
        if (ids.length < 2) {
            throw new UsageException(a.required("text") + ": the text has no tokens to score");
        }
        long streamTokens = ids.length - 1;
        err.println("sq: " + streamTokens + " tokens; evaluating "
                + (maxTokens > 0 ? Math.min(maxTokens, streamTokens) : streamTokens) + " in windows of " + seqLen);
        EvalSpec eval = new EvalSpec(seqLen, maxTokens);
        ProgressListener progress = ProgressListener.printing(err, "sq");
        VariantResult r;
        if (!variant.quantized()) {
            try (VectorKernels kernels = new VectorKernels()) {
                r = SmoothQuant.evaluateFp(model, ids, tok.bos(), eval, variant, kernels, progress);
            }
        } else {
            if (a.option("calib-sequences", null) != null) {
                throw new UsageException("eval: decoders calibrate on --calib-tokens N (--calib-sequences is for "
                        + "masked LMs)");
            }
            String calibFile = a.option("calib", null);
            int[] calibIds = calibFile == null ? ids : tok.encode(QuantizeCommand.read(calibFile), true);
            CalibrationSpec calib = a.option("calib-tokens", null) == null ? new CalibrationSpec(64, seqLen)
                    : CalibrationSpec.ofTokens(a.intOption("calib-tokens", 0), seqLen);
            if (calibIds == ids) {
                long evalEnd = maxTokens > 0 ? Math.min(maxTokens, streamTokens) : streamTokens;
                if (evalEnd > calib.firstStreamToken(ids)) {
                    throw new UsageException("eval: evaluation (first " + evalEnd + " tokens) and calibration (last "
                            + calib.tokens() + ") overlap in " + streamTokens + " tokens; use --max-tokens, "
                            + "--calib-tokens or a separate --calib file");
                }
            }
            int[][] windows = calib.windows(calibIds, tok.bos());
            r = quantized(a, model, variant, windows, err,
                    (config, stats, sample) -> SmoothQuant.evaluate(model, ids, tok.bos(), eval, variant, config,
                            stats, sample, progress));
        }
        putPerplexity(m, r.perplexity(), r.tokens(), r.nll(), r.windows(), seqLen, streamTokens, t0);
        putVariant(m, r, a);
        return m;
    }

    private static Map<String, Object> mlm(Args a, Model model, Path tokenizer, Variant variant, PrintStream err) {
        if (model.family().causal()) {
            throw new UsageException("eval: --metric mlm needs a masked LM (BERT); " + model.family().name()
                    + " is a decoder");
        }
        for (String o : List.of("seq-len", "max-tokens", "split")) {
            if (a.option(o, null) != null) {
                throw new UsageException("eval: --" + o + " is for --metric perplexity (mlm takes --sequences)");
            }
        }
        WordPieceTokenizer tok = WordPieceTokenizer.load(tokenizer);
        MlmSequences.Specials specials = MlmSequences.Specials.of(tok);
        int[] stream = tok.encode(QuantizeCommand.read(a.required("text")), false);
        int blocks = MlmSequences.blockCount(stream.length, MlmSequences.BLOCK);
        int n = a.intOption("sequences", 128);
        if (n < 1 || n > blocks) {
            throw new UsageException("--sequences must be in [1, " + blocks + "] (the text has " + stream.length
                    + " WordPieces = " + blocks + " full blocks of " + MlmSequences.BLOCK + "), got " + n);
        }
        long t0 = System.nanoTime();
        List<MlmSequence> eval = MlmSequences.evaluation(stream, n, specials);
        err.println("sq: " + stream.length + " WordPieces, " + blocks + " blocks; evaluating the first " + n + " ("
                + eval.stream().mapToInt(s -> s.maskPositions().length).sum() + " masked positions)");
        ProgressListener progress = ProgressListener.printing(err, "sq");
        VariantResult r;
        int calibSequences = 0;
        if (!variant.quantized()) {
            r = SmoothQuant.evaluateMlm(model, eval, variant, null, null, null, progress);
        } else {
            if (a.option("calib-tokens", null) != null) {
                throw new UsageException("eval: masked LMs calibrate on --calib-sequences N full blocks "
                        + "(--calib-tokens is for decoders)");
            }
            String calibFile = a.option("calib", null);
            int[] calibStream = calibFile == null ? stream : tok.encode(QuantizeCommand.read(calibFile), false);
            calibSequences = a.intOption("calib-sequences", 128);
            int calibBlocks = MlmSequences.blockCount(calibStream.length, MlmSequences.BLOCK);
            if (calibSequences < 1 || calibSequences > calibBlocks) {
                throw new UsageException("--calib-sequences must be in [1, " + calibBlocks + "], got "
                        + calibSequences);
            }
            if (calibFile == null && n > blocks - calibSequences) {
                throw new UsageException("eval: evaluation (blocks 0.." + (n - 1) + ") and calibration (the last "
                        + calibSequences + " of " + blocks + " blocks) overlap; use fewer sequences or --calib FILE");
            }
            int[][] windows = MlmSequences.calibration(calibStream, calibSequences, specials).toArray(int[][]::new);
            r = quantized(a, model, variant, windows, err,
                    (config, stats, sample) -> SmoothQuant.evaluateMlm(model, eval, variant, config, stats, sample,
                            progress));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", "mlm");
        m.put("value", r.accuracy());
        m.put("count", r.tokens());
        m.put("accuracy", r.accuracy());
        m.put("pseudoPerplexity", r.perplexity());
        m.put("nll", r.nll());
        m.put("sequences", r.windows());
        m.put("streamTokens", stream.length);
        if (calibSequences > 0) {
            m.put("calibSequences", calibSequences);
        }
        m.put("seconds", (System.nanoTime() - t0) / 1e9);
        putVariant(m, r, a);
        return m;
    }

    @FunctionalInterface
    private interface QuantizedEval {
        VariantResult run(QuantConfig config, ActivationStats stats, AlphaSearch.Sample sample);
    }

    /** Calibrates on {@code windows}, samples activations for α = auto, then runs {@code eval}. */
    private static VariantResult quantized(Args a, Model model, Variant variant, int[][] windows, PrintStream err,
                                           QuantizedEval eval) {
        String alphaText = a.option("alpha", "0.5").toLowerCase(Locale.ROOT);
        double alpha = alphaText.equals("auto") ? QuantConfig.AUTO : QuantizeCommand.parseAlpha(alphaText);
        Granularity weights = QuantizeCommand.parseWeights(a.option("weights", "tensor"));
        SiteSelection sites = parseSites(a, model);
        QuantConfig config = new QuantConfig(variant.level(), alpha, weights, sites, QuantConfig.Execution.INT8)
                .withInt8Head(a.flag("int8-head"));
        ActivationStats stats = SmoothQuant.calibrate(model, windows, null,
                ProgressListener.printing(err, "sq calib"));
        AlphaSearch.Sample sample = config.autoAlpha()
                ? SmoothQuant.sampleActivations(model, windows, SmoothQuant.autoSampleRows(model)) : null;
        return eval.run(config, stats, sample);
    }

    static SiteSelection parseSites(Args a, Model model) {
        String s = a.option("sites", null);
        try {
            return s == null ? SiteSelection.defaultFor(model.family()) : SiteSelection.parse(s, model.family());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
    }

    static Variant parseVariant(String s) {
        try {
            return Variant.parse(s);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--variant must be fp32, fp16, naive, o1, o2 or o3, got '" + s + "'");
        }
    }

    private static void putPerplexity(Map<String, Object> m, double ppl, long count, double nll, int windows,
                                      int seqLen, long streamTokens, long t0) {
        m.put("metric", "perplexity");
        m.put("value", ppl);
        m.put("count", count);
        m.put("nll", nll);
        m.put("windows", windows);
        m.put("seqLen", seqLen);
        m.put("streamTokens", streamTokens);
        m.put("seconds", (System.nanoTime() - t0) / 1e9);
    }

    private static void putVariant(Map<String, Object> m, VariantResult r, Args a) {
        m.put("variant", r.variant());
        m.put("kernel", r.kernel());
        if (r.weights() != null || a.flag("int8-head")) {
            m.put("head", a.flag("int8-head") ? "int8" : "fp");
        }
        if (r.weights() != null) {
            m.put("alpha", r.alpha());
            m.put("weights", r.weights());
            m.put("activations", r.activations());
            m.put("alphas", r.alphas());
        }
    }

}
