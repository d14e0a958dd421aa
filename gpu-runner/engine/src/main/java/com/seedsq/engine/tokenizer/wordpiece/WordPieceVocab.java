package com.seedsq.engine.tokenizer.wordpiece;

import com.seedsq.engine.format.ModelFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT {@code vocab.txt}: one token per line, the id being the line number (from 0). Tokens are stripped of
 * surrounding whitespace as Google's {@code load_vocab} does.
 */
public final class WordPieceVocab {

    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final Path file;

    public WordPieceVocab(List<String> tokens, Path file) {
        this.file = file;
        this.tokens = new String[tokens.size()];
        this.ids = HashMap.newHashMap(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i).strip();
            this.tokens[i] = t;
            ids.put(t, i); // a later duplicate wins, as in Google's load_vocab (an ordered dict filled in order)
        }
    }

    public static WordPieceVocab load(Path vocabTxt) {
        try {
            List<String> lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                throw new ModelFormatException(vocabTxt, null, "vocabulary is empty");
            }
            return new WordPieceVocab(lines, vocabTxt);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + vocabTxt, e);
        }
    }

    public int size() {
        return tokens.length;
    }

    /** The id of {@code token}, or -1. */
    public int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    /** The id of a token the tokenizer cannot work without; a clear error when the vocabulary lacks it. */
    public int requireId(String token) {
        int id = id(token);
        if (id < 0) {
            throw new ModelFormatException(file, null, "vocabulary lacks the special token " + token);
        }
        return id;
    }

    public String token(int id) {
        return tokens[id];
    }
}
