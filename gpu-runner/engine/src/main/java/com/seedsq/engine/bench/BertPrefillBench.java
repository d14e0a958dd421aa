package com.seedsq.engine.bench;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.dataset.MlmSequence;
import com.seedsq.engine.dataset.MlmSequences;
import com.seedsq.engine.forward.KvCache;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantLevel;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SiteSelection;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * End-to-end BERT prefill, one 128-token masked sequence through the encoder and the MLM head at its masked rows,
 * FP32 and W8A8 (α = 0.5, every site, per-channel weights; O1 and O3) in one process, best of several runs each,
 * with the INT8/FP32 speed ratio printed.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp ... com.seedsq.engine.bench.BertPrefillBench BERT_DIR TEXT [seconds]</pre>
 */
public final class BertPrefillBench {

    private BertPrefillBench() {
    }

    public static void main(String[] args) throws Exception {
        double budget = args.length > 2 ? Double.parseDouble(args[2]) : 10;
        try (Model model = Model.open(Path.of(args[0])); VectorKernels fp = new VectorKernels()) {
            WordPieceTokenizer tok = WordPieceTokenizer.fromDirectory(Path.of(args[0]));
            MlmSequences.Specials sp = MlmSequences.Specials.of(tok);
            int[] stream = tok.encode(Files.readString(Path.of(args[1])), false);
            MlmSequence seq = MlmSequences.evaluation(stream, 1, sp).getFirst();
            ActivationStats stats = SmoothQuant.calibrate(model,
                    MlmSequences.calibration(stream, 8, sp).toArray(int[][]::new), null, ProgressListener.NONE);
            var c = model.config();
            double linearGflop = 2.0 * seq.masked().length * c.layers()
                    * (4.0 * c.hiddenSize() * c.hiddenSize() + 2.0 * c.hiddenSize() * c.intermediateSize()) / 1e9;
            System.out.printf("BERT prefill: %d tokens, %d masked rows through the head; %d threads; %.1f GFLOP in "
                    + "the block linears%nFP32 matmul: %s%n", seq.masked().length, seq.maskPositions().length,
                    fp.threads(), linearGflop, fp.matmulPath());
            double fp32 = time(Transformer.of(model, fp), seq, budget);
            report("fp32", fp32, fp32, linearGflop);
            for (QuantLevel level : List.of(QuantLevel.O1, QuantLevel.O3)) {
                QuantConfig qc = new QuantConfig(level, 0.5, Granularity.CHANNEL, SiteSelection.ALL,
                        QuantConfig.Execution.INT8);
                try (QuantizedModel qm = SmoothQuant.quantize(model, stats, qc, ProgressListener.NONE)) {
                    double s = time(qm.transformer(fp), seq, budget);
                    report(level.name().toLowerCase() + " int8 (" + qm.kernelName() + ")", s, fp32, linearGflop);
                }
            }
        }
    }

    private static double time(Transformer t, MlmSequence seq, double budget) {
        KvCache cache = t.newCache(seq.masked().length);
        double best = Double.MAX_VALUE;
        long deadline = System.nanoTime() + (long) (budget * 1e9);
        for (int reps = 0; reps < 3 || System.nanoTime() < deadline; reps++) {
            cache.clear();
            long t0 = System.nanoTime();
            t.forward(cache, seq.masked(), seq.maskPositions());
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    private static void report(String what, double seconds, double fp32, double gflop) {
        System.out.printf("%-34s %8.1f ms = %6.0f tokens/s, %6.1f GFLOP/s in the block linears, %.2fx fp32%n", what,
                seconds * 1e3, 128 / seconds, gflop / seconds, fp32 / seconds);
    }
}
