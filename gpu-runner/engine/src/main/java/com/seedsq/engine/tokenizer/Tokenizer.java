package com.seedsq.engine.tokenizer;

/** Text to token ids and back. Implementations: sentencepiece-style vocabularies, WordPiece, HF tokenizer.json. */
public interface Tokenizer {

    /** Encodes {@code text}; with {@code addBos}, the model's BOS (or [CLS]...[SEP] framing is left to the caller). */
    int[] encode(String text, boolean addBos);

    /** The text of one token, as it would appear after {@code previous} (sentencepiece strips a leading space after BOS). */
    String decode(int previous, int token);

    int vocabSize();

    /** Beginning-of-sequence id, or -1 if the vocabulary has none. */
    int bos();

    /** End-of-sequence id, or -1 if the vocabulary has none. */
    int eos();
}
