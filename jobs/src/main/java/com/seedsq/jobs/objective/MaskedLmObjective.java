package com.seedsq.jobs.objective;

import com.seedsq.engine.dataset.MlmSequences;
import com.seedsq.engine.eval.MaskedLm;
import com.seedsq.engine.eval.MlmResult;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.spec.JobSpec;

/**
 * Encoders with a masked-LM head (BERT), the protocol in the README: the WordPiece stream cut into blocks of 126,
 * each framed as [CLS] block [SEP] (so the sequence length is 128 whatever the spec says); evaluation masks the first
 * {@code evaluation.sequences} blocks (one {@code Random(1234)}, 15 %) and reports top-1 accuracy and
 * pseudo-perplexity; calibration takes the last {@code calibration.samples} full blocks, unmasked.
 */
public final class MaskedLmObjective implements Objective {

    @Override
    public String metric() {
        return "mlm";
    }

    @Override
    public String unit() {
        return "sequence";
    }

    @Override
    public int[][] calibrationWindows(LoadedModel m, String text, JobSpec spec) {
        WordPieceTokenizer tok = wordPiece(m);
        return MlmSequences.calibration(tok.encode(text, false), spec.calibration().samples(),
                MlmSequences.Specials.of(tok)).toArray(int[][]::new);
    }

    @Override
    public int seqLen(LoadedModel m, JobSpec spec) {
        return MlmSequences.BLOCK + 2;
    }

    @Override
    public Score evaluate(LoadedModel m, Transformer t, String text, JobSpec spec, Progress progress) {
        WordPieceTokenizer tok = wordPiece(m);
        int[] stream = tok.encode(text, false);
        int n = Math.min(spec.evaluation().sequences(), MlmSequences.blockCount(stream.length, MlmSequences.BLOCK));
        MlmResult r = new MaskedLm(t).withProgress(progress::report)
                .evaluate(MlmSequences.evaluation(stream, n, MlmSequences.Specials.of(tok)));
        return new Score(metric(), r.accuracy(), r.count(), r.sequences(), seqLen(m, spec), r.pseudoPerplexity());
    }

    @Override
    public Problem checkSize(LoadedModel m, String text, JobSpec spec, boolean calibration, boolean evaluation) {
        int blocks = MlmSequences.blockCount(wordPiece(m).encode(text, false).length, MlmSequences.BLOCK);
        int calib = spec.calibration().samples(), eval = spec.evaluation().sequences();
        String size = blocks + " blocks of " + MlmSequences.BLOCK + " WordPieces";
        if (calibration && evaluation && calib + eval > blocks) {
            return new Problem("evaluation.sequences", "the dataset serves calibration and evaluation but has "
                    + size + ": " + calib + " for calibration (the last blocks) plus " + eval + " for evaluation (the "
                    + "first) would overlap. Lower calibration.samples or evaluation.sequences.");
        }
        if (calibration && blocks < calib) {
            return new Problem("calibration.samples", "the calibration dataset has " + size
                    + ", fewer than calibration.samples = " + calib);
        }
        if (evaluation && blocks < 1) {
            return new Problem("evaluation.datasetIds", "the evaluation dataset has fewer than "
                    + MlmSequences.BLOCK + " WordPieces, no block to score");
        }
        return null;
    }

    private static WordPieceTokenizer wordPiece(LoadedModel m) {
        if (!(m.tokenizer() instanceof WordPieceTokenizer w)) {
            throw new IllegalStateException("a masked LM needs a WordPiece vocabulary (vocab.txt), the model has "
                    + m.tokenizer().getClass().getSimpleName());
        }
        return w;
    }
}
