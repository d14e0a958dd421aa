package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The variant table for a llama2.c model on a text with the reference protocol (evaluation = head, calibration =
 * tail of the same text), printed as a table on stdout and as JSON to {@code --json FILE}.
 *
 * <pre>
 * java -cp ... com.seedsq.engine.smoothquant.SmoothQuantBench MODEL.bin TOKENIZER.bin TEXT.txt
 *      [--alpha 0.5|auto] [--weights tensor|channel] [--variants fp32,fp16,naive,o1,o2,o3] [--fake] [--cache DIR]
 *      [--eval-tokens 32640] [--calib-sequences 64] [--seq-len 256] [--json FILE]
 * </pre>
 */
public final class SmoothQuantBench {

    private SmoothQuantBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: SmoothQuantBench MODEL TOKENIZER TEXT [--alpha A] [--weights tensor|channel] "
                    + "[--variants a,b] [--fake] [--cache DIR] [--eval-tokens N] [--calib-sequences N] [--json F]");
            System.exit(2);
        }
        double alpha = 0.5;
        Granularity weights = Granularity.TENSOR;
        List<Variant> variants = List.of(Variant.values());
        QuantConfig.Execution exec = QuantConfig.Execution.INT8;
        Path cache = null, json = null;
        int seqLen = 256, calibSeq = 64;
        long evalTokens = 32_640;
        for (int i = 3; i < args.length; i++) {
            switch (args[i]) {
                case "--alpha" -> {
                    String a = args[++i];
                    alpha = a.equals("auto") ? QuantConfig.AUTO : Double.parseDouble(a);
                }
                case "--weights" -> weights = Granularity.valueOf(args[++i].toUpperCase(java.util.Locale.ROOT));
                case "--variants" -> {
                    List<Variant> v = new ArrayList<>();
                    for (String s : args[++i].split(",")) {
                        v.add(Variant.parse(s));
                    }
                    variants = v;
                }
                case "--fake" -> exec = QuantConfig.Execution.FAKE;
                case "--cache" -> cache = Path.of(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                case "--seq-len" -> seqLen = Integer.parseInt(args[++i]);
                case "--eval-tokens" -> evalTokens = Long.parseLong(args[++i]);
                case "--calib-sequences" -> calibSeq = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        SmoothQuant.ReportSpec spec = new SmoothQuant.ReportSpec(new EvalSpec(seqLen, evalTokens),
                new com.seedsq.engine.calib.CalibrationSpec(calibSeq, seqLen), alpha, weights, SiteSelection.FOLDABLE,
                variants, 4, exec);
        String text = Files.readString(Path.of(args[2]));
        long t0 = System.nanoTime();
        try (Model model = Model.open(Path.of(args[0]))) {
            SentencePieceTokenizer tok = SentencePieceTokenizer.load(Path.of(args[1]));
            SmoothQuantReport r = SmoothQuant.report(model, tok, text, text, spec, cache, ProgressListener.stderr());
            System.out.print(r.table());
            System.out.printf("calibration: %d sequences x %d, %d tokens; key %s; %.1f s in all%n",
                    r.calibSequences(), r.calibSeqLen(), r.calibTokens(), r.calibKey(),
                    (System.nanoTime() - t0) / 1e9);
            if (json != null) {
                Files.writeString(json, JsonMapper.builder().build().writerWithDefaultPrettyPrinter()
                        .writeValueAsString(r));
            }
        }
    }
}
