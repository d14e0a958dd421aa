package com.seedsq.engine.tokenizer.hf;

import com.seedsq.engine.format.ModelFormatException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Token-to-id table of a Hugging Face {@code tokenizer.json}, read with Jackson because the native library exposes
 * no vocabulary API: {@code model.vocab} (an object for WordPiece/BPE/WordLevel, a list of [piece, score] for
 * Unigram) plus {@code added_tokens}.
 */
final class TokenizerJsonVocab {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Map<String, Integer> ids;
    private final int size;

    private TokenizerJsonVocab(Map<String, Integer> ids, int size) {
        this.ids = ids;
        this.size = size;
    }

    static TokenizerJsonVocab read(Path tokenizerJson) {
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
        } catch (JacksonException e) {
            throw new ModelFormatException(tokenizerJson, null, "invalid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode vocab = root.path("model").path("vocab");
        Map<String, Integer> ids = new HashMap<>();
        int max = -1;
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                ids.put(e.getKey(), e.getValue().asInt());
                max = Math.max(max, e.getValue().asInt());
            }
        } else if (vocab.isArray()) { // Unigram: [[piece, score], ...], id = position
            for (int i = 0; i < vocab.size(); i++) {
                ids.putIfAbsent(vocab.get(i).path(0).asString(), i);
            }
            max = vocab.size() - 1;
        } else {
            throw new ModelFormatException(tokenizerJson, null, "model.vocab is missing");
        }
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            ids.put(t.path("content").asString(), id);
            max = Math.max(max, id);
        }
        return new TokenizerJsonVocab(ids, max + 1);
    }

    int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    /** The first of {@code candidates} in the vocabulary, or -1. */
    int firstOf(String... candidates) {
        for (String c : candidates) {
            int id = id(c);
            if (id >= 0) {
                return id;
            }
        }
        return -1;
    }

    int size() {
        return size;
    }
}
