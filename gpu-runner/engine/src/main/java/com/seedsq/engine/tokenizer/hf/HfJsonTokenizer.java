package com.seedsq.engine.tokenizer.hf;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (any model type: BPE, WordPiece, Unigram, WordLevel) behind the engine's
 * {@link Tokenizer}, running the reference Rust implementation through DJL.
 *
 * <p>DJL's native library ships inside its jar for linux-x86_64/aarch64, macOS arm64 and Windows x64 and is
 * extracted to the DJL cache directory on first use. Left to itself, DJL would try to <em>download</em> a CUDA
 * build on a machine with a GPU; this class pins {@code RUST_FLAVOR=cpu} and {@code ai.djl.offline=true} (unless
 * the user set them) so that it never touches the network.
 *
 * <p>BOS/EOS come from {@code tokenizer_config.json} next to the file when present, else from well-known names.
 */
public final class HfJsonTokenizer implements Tokenizer, AutoCloseable {

    private static final String[] BOS_NAMES = {"<s>", "<|begin_of_text|>", "<bos>", "[CLS]", "<|startoftext|>"};
    private static final String[] EOS_NAMES = {"</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>", "[SEP]"};

    private final HuggingFaceTokenizer native_;
    private final TokenizerJsonVocab vocab;
    private final int bos;
    private final int eos;

    private HfJsonTokenizer(HuggingFaceTokenizer native_, TokenizerJsonVocab vocab, int bos, int eos) {
        this.native_ = native_;
        this.vocab = vocab;
        this.bos = bos;
        this.eos = eos;
    }

    /** Loads {@code tokenizer.json} from a model directory, or the file itself. */
    public static HfJsonTokenizer load(Path dirOrFile) {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, null, "file is missing");
        }
        pinOfflineCpu();
        TokenizerJsonVocab vocab = TokenizerJsonVocab.read(file);
        int bos = vocab.firstOf(BOS_NAMES);
        int eos = vocab.firstOf(EOS_NAMES);
        Path config = file.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            Map<String, Object> c = HfCheckpoint.readJsonObject(config);
            bos = configured(c.get("bos_token"), vocab, bos);
            eos = configured(c.get("eos_token"), vocab, eos);
        }
        try {
            // No special tokens, no truncation: framing is the caller's business, and long evaluation texts must
            // come back whole.
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(file,
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new HfJsonTokenizer(t, vocab, bos, eos);
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file, null, "cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    /** A {@code bos_token}/{@code eos_token} entry: a string, or an object with {@code content}. */
    private static int configured(Object entry, TokenizerJsonVocab vocab, int fallback) {
        String s = entry instanceof String str ? str
                : entry instanceof Map<?, ?> m && m.get("content") instanceof String c ? c : null;
        int id = s == null ? -1 : vocab.id(s);
        return id >= 0 ? id : fallback;
    }

    private static void pinOfflineCpu() {
        if (System.getProperty("RUST_FLAVOR") == null && System.getenv("RUST_FLAVOR") == null) {
            System.setProperty("RUST_FLAVOR", "cpu");
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        Encoding e = native_.encode(text, false, false);
        long[] ids = e.getIds();
        int off = addBos && bos >= 0 ? 1 : 0;
        int[] out = new int[ids.length + off];
        if (off == 1) {
            out[0] = bos;
        }
        for (int i = 0; i < ids.length; i++) {
            out[i + off] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * The text {@code token} adds after {@code previous}: decode(previous, token) minus decode(previous), which
     * gets word-boundary spaces right for both sentencepiece (▁) and WordPiece (##) vocabularies.
     */
    @Override
    public String decode(int previous, int token) {
        if (previous < 0) {
            return native_.decode(new long[] {token}, false);
        }
        String before = native_.decode(new long[] {previous}, false);
        String both = native_.decode(new long[] {previous, token}, false);
        return both.startsWith(before) ? both.substring(before.length()) : native_.decode(new long[] {token}, false);
    }

    /** The id of a token string, or -1. */
    public int id(String token) {
        return vocab.id(token);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bos() {
        return bos;
    }

    @Override
    public int eos() {
        return eos;
    }

    @Override
    public void close() {
        native_.close();
    }
}
