package com.seedsq.engine.dataset;

import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The BERT masked-LM protocol shared with the reference implementation: the token stream is cut into consecutive
 * 126-id blocks framed as {@code [CLS] block [SEP]} (128 ids); the evaluation set is blocks 0.., the calibration
 * set the last full blocks; masking draws from one {@code java.util.Random(1234)} across all sequences in order,
 * so sequence k's mask depends on every earlier sequence. Reproducing the reference bit for bit needs exactly
 * these library calls ({@code Collections.shuffle} on a boxed list, {@code Math.round}), so do not "optimize" them.
 */
public final class MlmSequences {

    public static final int BLOCK = 126;
    public static final long SEED = 1234L;
    public static final double MASK_RATE = 0.15;

    /** The special ids the protocol needs. */
    public record Specials(int pad, int unk, int cls, int sep, int mask) {
        public static Specials of(WordPieceTokenizer t) {
            return new Specials(t.pad(), t.unk(), t.cls(), t.sep(), t.mask());
        }

        boolean isSpecial(int id) {
            return id == pad || id == unk || id == cls || id == sep || id == mask;
        }
    }

    private MlmSequences() {
    }

    /** Number of full blocks in a stream of {@code streamLength} ids (the tail is dropped). */
    public static int blockCount(int streamLength, int blockLen) {
        return streamLength / blockLen;
    }

    /** Block {@code b} of {@code stream} framed as {@code [CLS] block [SEP]}. */
    public static int[] framed(int[] stream, int b, int blockLen, Specials s) {
        int start = Math.multiplyExact(b, blockLen);
        if (b < 0 || start + blockLen > stream.length) {
            throw new IllegalArgumentException("block " + b + " of " + blockLen + " ids is past the stream of "
                    + stream.length + " ids (" + blockCount(stream.length, blockLen) + " full blocks)");
        }
        int[] seq = new int[blockLen + 2];
        seq[0] = s.cls();
        System.arraycopy(stream, start, seq, 1, blockLen);
        seq[blockLen + 1] = s.sep();
        return seq;
    }

    /** The first {@code count} framed blocks, masked as in the reference (seed 1234, rate 0.15). */
    public static List<MlmSequence> evaluation(int[] stream, int count, Specials s) {
        List<int[]> seqs = new ArrayList<>(count);
        for (int b = 0; b < count; b++) {
            seqs.add(framed(stream, b, BLOCK, s));
        }
        return mask(seqs, s, new Random(SEED), MASK_RATE);
    }

    /** The last {@code count} full framed blocks, unmasked: the BERT calibration set of the reference. */
    public static List<int[]> calibration(int[] stream, int count, Specials s) {
        int blocks = blockCount(stream.length, BLOCK);
        if (count > blocks) {
            throw new IllegalArgumentException("asked for " + count + " calibration blocks, the stream has " + blocks);
        }
        List<int[]> out = new ArrayList<>(count);
        for (int b = blocks - count; b < blocks; b++) {
            out.add(framed(stream, b, BLOCK, s));
        }
        return out;
    }

    /** Masks each sequence in order with one shared {@code rnd}. */
    public static List<MlmSequence> mask(List<int[]> sequences, Specials s, Random rnd, double rate) {
        List<MlmSequence> out = new ArrayList<>(sequences.size());
        for (int k = 0; k < sequences.size(); k++) {
            int[] ids = sequences.get(k);
            List<Integer> candidates = new ArrayList<>(ids.length);
            for (int i = 0; i < ids.length; i++) {
                if (!s.isSpecial(ids[i])) {
                    candidates.add(i);
                }
            }
            Collections.shuffle(candidates, rnd);
            int take = (int) Math.round(rate * candidates.size());
            int[] positions = new int[take];
            for (int j = 0; j < take; j++) {
                positions[j] = candidates.get(j);
            }
            Arrays.sort(positions);
            int[] masked = ids.clone();
            for (int p : positions) {
                masked[p] = s.mask();
            }
            out.add(new MlmSequence(k, ids.clone(), masked, positions));
        }
        return out;
    }
}
