package com.seedsq.engine.format.gguf;

import com.seedsq.engine.format.ModelFormatException;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The vocabulary a GGUF file carries under {@code tokenizer.ggml.*}: enough to build a sentencepiece-style
 * ({@code model = "llama"}: tokens + scores + token types) or BPE ({@code "gpt2"}: tokens + merges) tokenizer.
 *
 * @param model      {@code tokenizer.ggml.model}, e.g. "llama", "gpt2"; null when absent
 * @param scores     per-token scores, or null when absent (BPE vocabularies have none)
 * @param tokenTypes per-token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte), or null
 * @param merges     BPE merges, or an empty list
 * @param bos        BOS id, or -1
 * @param eos        EOS id, or -1
 * @param unk        unknown-token id, or -1
 * @param pad        padding id, or -1
 */
public record GgufTokenizerData(String model, List<String> tokens, float[] scores, int[] tokenTypes,
                                List<String> merges, int bos, int eos, int unk, int pad) {

    public static final String PREFIX = "tokenizer.ggml.";

    /** Reads the tokenizer keys, or empty when the file has no {@code tokenizer.ggml.tokens}. */
    public static Optional<GgufTokenizerData> from(Map<String, Object> md, Path file) {
        Object tokensValue = md.get(PREFIX + "tokens");
        if (tokensValue == null) {
            return Optional.empty();
        }
        List<String> tokens = stringList(md, "tokens", file);
        float[] scores = null;
        if (md.get(PREFIX + "scores") instanceof List<?> s) {
            scores = new float[s.size()];
            for (int i = 0; i < scores.length; i++) {
                if (!(s.get(i) instanceof Number n)) {
                    throw bad(file, "scores", "element " + i + " is not a number");
                }
                scores[i] = n.floatValue();
            }
            requireLength(file, "scores", scores.length, tokens.size());
        }
        int[] types = null;
        if (md.get(PREFIX + "token_type") instanceof List<?> t) {
            types = new int[t.size()];
            for (int i = 0; i < types.length; i++) {
                if (!(t.get(i) instanceof Number n)) {
                    throw bad(file, "token_type", "element " + i + " is not a number");
                }
                types[i] = n.intValue();
            }
            requireLength(file, "token_type", types.length, tokens.size());
        }
        List<String> merges = md.containsKey(PREFIX + "merges") ? stringList(md, "merges", file) : List.of();
        String model = md.get(PREFIX + "model") instanceof String m ? m : null;
        return Optional.of(new GgufTokenizerData(model, tokens, scores, types, merges,
                id(md, "bos_token_id", tokens.size(), file), id(md, "eos_token_id", tokens.size(), file),
                id(md, "unknown_token_id", tokens.size(), file), id(md, "padding_token_id", tokens.size(), file)));
    }

    private static List<String> stringList(Map<String, Object> md, String key, Path file) {
        if (!(md.get(PREFIX + key) instanceof List<?> list)) {
            throw bad(file, key, "is not an array");
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String)) {
                throw bad(file, key, "element " + i + " is not a string");
            }
        }
        @SuppressWarnings("unchecked")
        List<String> strings = (List<String>) list;
        return strings;
    }

    private static int id(Map<String, Object> md, String key, int vocab, Path file) {
        Object v = md.get(PREFIX + key);
        if (v == null) {
            return -1;
        }
        if (!(v instanceof Number n) || n.longValue() < 0 || n.longValue() >= vocab) {
            throw bad(file, key, "= " + v + " is not a token id in [0, " + vocab + ")");
        }
        return n.intValue();
    }

    private static void requireLength(Path file, String key, int got, int vocab) {
        if (got != vocab) {
            throw bad(file, key, "has " + got + " entries but there are " + vocab + " tokens");
        }
    }

    private static ModelFormatException bad(Path file, String key, String problem) {
        return new ModelFormatException(file, null, PREFIX + key + " " + problem);
    }
}
