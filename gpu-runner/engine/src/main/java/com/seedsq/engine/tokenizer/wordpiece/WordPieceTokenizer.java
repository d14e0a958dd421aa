package com.seedsq.engine.tokenizer.wordpiece;

import com.seedsq.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * BERT's uncased WordPiece tokenizer: {@link BasicTokenizer}, then greedy longest-match-first sub-words with the
 * {@code ##} continuation prefix. A word longer than 100 code points, or one that cannot be covered by vocabulary
 * pieces, becomes a single {@code [UNK]}, as in Google's {@code WordpieceTokenizer}.
 *
 * <p>{@link #encode(String, boolean)} adds no special tokens except, with {@code addBos}, a leading {@code [CLS]};
 * BERT's {@code [CLS] ... [SEP]} framing of fixed-length blocks belongs to the dataset code.
 */
public final class WordPieceTokenizer implements Tokenizer {

    public static final int MAX_WORD_CHARS = 100;

    private final WordPieceVocab vocab;
    private final BasicTokenizer basic = new BasicTokenizer();
    private final int pad;
    private final int unk;
    private final int cls;
    private final int sep;
    private final int mask;

    public WordPieceTokenizer(WordPieceVocab vocab) {
        this.vocab = vocab;
        this.pad = vocab.requireId("[PAD]");
        this.unk = vocab.requireId("[UNK]");
        this.cls = vocab.requireId("[CLS]");
        this.sep = vocab.requireId("[SEP]");
        this.mask = vocab.requireId("[MASK]");
    }

    /** Loads {@code vocab.txt}. */
    public static WordPieceTokenizer load(Path vocabTxt) {
        return new WordPieceTokenizer(WordPieceVocab.load(vocabTxt));
    }

    /** Loads {@code vocab.txt} from a Hugging Face BERT directory. */
    public static WordPieceTokenizer fromDirectory(Path hfDir) {
        return load(hfDir.resolve("vocab.txt"));
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<String> words = basic.tokenize(text);
        int[] out = new int[words.size() + (addBos ? 1 : 0) + 16];
        int n = 0;
        if (addBos) {
            out[n++] = cls;
        }
        List<String> pieces = new ArrayList<>(8);
        for (String w : words) {
            pieces.clear();
            wordPieces(w, pieces);
            for (String p : pieces) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, out.length + (out.length >> 1) + 16);
                }
                out[n++] = p == null ? unk : vocab.id(p);
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The WordPiece strings of {@code text} ({@code [UNK]} for unknown words), for inspection and tests. */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        List<String> pieces = new ArrayList<>(8);
        for (String w : basic.tokenize(text)) {
            pieces.clear();
            wordPieces(w, pieces);
            for (String p : pieces) {
                out.add(p == null ? "[UNK]" : p);
            }
        }
        return out;
    }

    /** Appends the pieces of one word, or a single null for [UNK]. Works on code points, as Python's str does. */
    private void wordPieces(String word, List<String> out) {
        int[] cps = word.codePoints().toArray();
        if (cps.length > MAX_WORD_CHARS) {
            out.add(null);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < cps.length) {
            int end = cps.length;
            String found = null;
            while (start < end) {
                String sub = new String(cps, start, end - start);
                if (start > 0) {
                    sub = "##" + sub;
                }
                if (vocab.id(sub) >= 0) {
                    found = sub;
                    break;
                }
                end--;
            }
            if (found == null) {
                out.subList(mark, out.size()).clear();
                out.add(null);
                return;
            }
            out.add(found);
            start = end;
        }
    }

    /** The token string, without the {@code ##} prefix of a continuation, preceded by a space for a new word. */
    @Override
    public String decode(int previous, int token) {
        String t = vocab.token(token);
        if (t.startsWith("##")) {
            return t.substring(2);
        }
        return previous < 0 || previous == cls ? t : " " + t;
    }

    public String token(int id) {
        return vocab.token(id);
    }

    public WordPieceVocab vocab() {
        return vocab;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    /** BERT has no BOS; {@code [CLS]} plays its role at the start of a sequence. */
    @Override
    public int bos() {
        return cls;
    }

    /** {@code [SEP]}, which ends a BERT sequence. */
    @Override
    public int eos() {
        return sep;
    }

    public int pad() {
        return pad;
    }

    public int unk() {
        return unk;
    }

    public int cls() {
        return cls;
    }

    public int sep() {
        return sep;
    }

    public int mask() {
        return mask;
    }
}
