package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.dataset.MlmSequence;
import com.seedsq.engine.dataset.MlmSequences;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The masked-LM variant table of a BERT directory on one text: FP32, FP16 weights and naive W8A8 once, then every
 * level × weight granularity × α, each row printed as soon as it is measured. Evaluation = the first
 * {@code --sequences} framed blocks, calibration = the last {@code --calib-sequences} (never overlapping);
 * calibration statistics are computed once (cached in {@code --cache DIR}, default a temp directory).
 *
 * <pre>
 * java -cp ... com.seedsq.engine.smoothquant.MlmVariantTable BERT_DIR TEXT [--sequences 128] [--calib-sequences 128]
 *      [--levels o1,o2,o3] [--weights tensor,channel] [--alphas 0.5,auto] [--sites all] [--fp fp32,fp16,naive]
 *      [--no-fp] [--cache DIR]
 *      [--json FILE]
 * </pre>
 */
public final class MlmVariantTable {

    private MlmVariantTable() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: MlmVariantTable BERT_DIR TEXT [--sequences N] [--calib-sequences N] "
                    + "[--levels o1,o2,o3] [--weights tensor,channel] [--alphas 0.5,auto] [--sites all|a,b] "
                    + "[--fp fp32,fp16,naive] [--no-fp] [--cache DIR] [--json FILE]");
            System.exit(2);
        }
        int n = 128, c = 128;
        List<String> levels = List.of("o1", "o2", "o3"), weights = List.of("tensor", "channel");
        List<String> alphas = List.of("0.5", "auto");
        String sitesText = "all";
        List<String> fpVariants = List.of("fp32", "fp16", "naive");
        Path cache = null, json = null;
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--sequences" -> n = Integer.parseInt(args[++i]);
                case "--calib-sequences" -> c = Integer.parseInt(args[++i]);
                case "--levels" -> levels = List.of(args[++i].split(","));
                case "--weights" -> weights = List.of(args[++i].split(","));
                case "--alphas" -> alphas = List.of(args[++i].split(","));
                case "--sites" -> sitesText = args[++i];
                case "--no-fp" -> fpVariants = List.of();
                case "--fp" -> fpVariants = List.of(args[++i].split(","));
                case "--cache" -> cache = Path.of(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (cache == null) {
            cache = Files.createTempDirectory("sq-mlm-stats");
        }
        long t0 = System.nanoTime();
        try (Model model = Model.open(Path.of(args[0]))) {
            WordPieceTokenizer tok = WordPieceTokenizer.fromDirectory(Path.of(args[0]));
            MlmSequences.Specials sp = MlmSequences.Specials.of(tok);
            int[] stream = tok.encode(Files.readString(Path.of(args[1])), false);
            int blocks = MlmSequences.blockCount(stream.length, MlmSequences.BLOCK);
            if (n > blocks - c) {
                throw new IllegalArgumentException("evaluation blocks 0.." + (n - 1) + " overlap the last " + c
                        + " of " + blocks + " blocks");
            }
            List<MlmSequence> eval = MlmSequences.evaluation(stream, n, sp);
            List<int[]> calib = MlmSequences.calibration(stream, c, sp);
            SiteSelection sites = SiteSelection.parse(sitesText, model.family());
            System.out.printf("%s: %d WordPieces, %d blocks; eval blocks 0..%d, calibration blocks %d..%d; sites %s%n",
                    args[0], stream.length, blocks, n - 1, blocks - c, blocks - 1, sites);
            System.out.printf("%-7s %-6s %-8s %-7s %9s %11s %7s %8s%n", "variant", "alpha", "weights", "acts",
                    "accuracy", "pseudo-ppl", "masked", "seconds");
            List<VariantResult> all = new ArrayList<>();
            List<Variant> first = new ArrayList<>();
            fpVariants.forEach(v -> first.add(Variant.parse(v)));
            boolean printedFirst = false;
            for (String w : weights) {
                for (String a : alphas) {
                    List<Variant> vs = new ArrayList<>(printedFirst ? List.of() : first);
                    levels.forEach(l -> vs.add(Variant.parse(l)));
                    printedFirst = true;
                    double alpha = a.equals("auto") ? QuantConfig.AUTO : Double.parseDouble(a);
                    var spec = new SmoothQuant.ReportSpec(new EvalSpec(MlmSequences.BLOCK + 2, 0),
                            new CalibrationSpec(c, MlmSequences.BLOCK + 2), alpha,
                            Granularity.valueOf(w.toUpperCase(Locale.ROOT)), sites, vs, 0,
                            QuantConfig.Execution.INT8);
                    ProgressListener progress = ProgressListener.printing(System.err, "table");
                    SmoothQuantReport r = SmoothQuant.reportMlm(model, eval, calib, spec, cache, (f, msg) -> {
                        if (msg.contains("accuracy")) {
                            progress.progress(f, msg);
                        }
                    });
                    for (VariantResult v : r.variants()) {
                        System.out.printf("%-7s %-6s %-8s %-7s %9.4f %11.4f %7d %8.1f%s%n", v.variant(),
                                v.alpha() == null ? "-" : v.alpha(), v.weights() == null ? "-" : v.weights(),
                                v.activations() == null ? "-" : v.activations(), v.accuracy(), v.perplexity(),
                                v.tokens(), v.seconds(), v.alphas() == null || !"auto".equals(v.alpha()) ? ""
                                        : "  alphas " + v.alphas());
                        all.add(v);
                    }
                    if (json != null) {
                        Files.writeString(json, JsonMapper.builder().build().writerWithDefaultPrettyPrinter()
                                .writeValueAsString(all));
                    }
                }
            }
            System.out.printf("%.1f s in all%n", (System.nanoTime() - t0) / 1e9);
        }
    }
}
