package com.seedsq.engine.format.gguf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceVocab;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the engine's sentencepiece tokenizer from a GGUF {@code llama} vocabulary. GGUF stores pieces as UTF-8 with
 * U+2581 (▁) for spaces, exactly as sentencepiece does; the llama2.c-style vocabulary the engine's tokenizer uses
 * has plain spaces and keeps pieces as raw bytes (Latin-1 strings), so each piece is converted accordingly. Scores
 * and the byte-fallback pieces {@code <0xXX>} carry over unchanged.
 */
public final class GgufSentencePiece {

    private GgufSentencePiece() {
    }

    public static SentencePieceTokenizer tokenizer(GgufTokenizerData data, Path file) {
        if (data.model() != null && !data.model().equals("llama")) {
            throw new ModelFormatException(file, null, "tokenizer.ggml.model is '" + data.model()
                    + "'; only sentencepiece ('llama') vocabularies are supported here");
        }
        if (data.scores() == null) {
            throw new ModelFormatException(file, null, "tokenizer.ggml.scores is missing; a sentencepiece vocabulary needs it");
        }
        List<String> pieces = new ArrayList<>(data.tokens().size());
        int maxLen = 0;
        for (String t : data.tokens()) {
            byte[] utf8 = t.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            maxLen = Math.max(maxLen, utf8.length);
            pieces.add(new String(utf8, StandardCharsets.ISO_8859_1));
        }
        return new SentencePieceTokenizer(new SentencePieceVocab(pieces, data.scores(), maxLen));
    }
}
