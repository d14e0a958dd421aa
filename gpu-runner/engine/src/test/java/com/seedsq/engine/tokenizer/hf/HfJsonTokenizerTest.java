package com.seedsq.engine.tokenizer.hf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.tokenizer.wordpiece.BertTestData;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Runs a BERT {@code tokenizer.json} (generated here from the real vocab.txt, as {@code transformers} writes it)
 * through DJL and checks it against our pure-Java WordPiece: two independent implementations must agree.
 */
class HfJsonTokenizerTest {

    @TempDir
    Path dir;

    @Test
    void bertTokenizerJsonAgreesWithOurWordPiece() throws IOException {
        Path vocabTxt = BertTestData.vocab();
        Path json = writeBertTokenizerJson(vocabTxt, dir);
        WordPieceTokenizer ours = WordPieceTokenizer.load(vocabTxt);
        try (HfJsonTokenizer hf = HfJsonTokenizer.load(dir)) {
            assertEquals(30522, hf.vocabSize());
            assertEquals(101, hf.bos());
            assertEquals(102, hf.eos());
            assertEquals(103, hf.id("[MASK]"));
            String sample = "Café naïve RÉSUMÉ: \u4e2d\u6587 don't $5+3=8 \u00abquoted\u00bb \u2014 " + "x".repeat(120);
            assertArrayEquals(ours.encode(sample, false), hf.encode(sample, false));
            assertArrayEquals(ours.encode(sample, true), hf.encode(sample, true));

            String wiki = Files.readString(BertTestData.shared("text/wikitext-2-raw-test.txt"));
            String head = wiki.substring(0, 100_000); // the whole file takes DJL ~10 s here; ours is checked on all of it
            assertArrayEquals(ours.encode(head, false), hf.encode(head, false));

            int[] ids = hf.encode("unaffable", false);
            StringBuilder text = new StringBuilder();
            int prev = -1;
            for (int id : ids) {
                text.append(hf.decode(prev, id));
                prev = id;
            }
            assertEquals("unaffable", text.toString());
        }
        assertEquals(json, dir.resolve("tokenizer.json"));
    }

    @Test
    void missingFileIsAFormatError() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfJsonTokenizer.load(dir));
        assertEquals("tokenizer.json: file is missing", e.getMessage());
    }

    /** The tokenizer.json that transformers' BertTokenizerFast (uncased) saves, built from vocab.txt. */
    static Path writeBertTokenizerJson(Path vocabTxt, Path dir) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(vocabTxt);
        for (int i = 0; i < lines.size(); i++) {
            vocab.put(lines.get(i).strip(), i);
        }
        List<Map<String, Object>> added = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]").stream()
                .map(t -> Map.<String, Object>of("id", vocab.get(t), "content", t, "single_word", false, "lstrip", false,
                        "rstrip", false, "normalized", false, "special", true))
                .toList();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", added);
        root.put("normalizer", Map.of("type", "BertNormalizer", "clean_text", true, "handle_chinese_chars", true,
                "lowercase", true));
        root.put("pre_tokenizer", Map.of("type", "BertPreTokenizer"));
        root.put("decoder", Map.of("type", "WordPiece", "prefix", "##", "cleanup", true));
        root.put("model", Map.of("type", "WordPiece", "unk_token", "[UNK]", "continuing_subword_prefix", "##",
                "max_input_chars_per_word", 100, "vocab", vocab));
        Path out = dir.resolve("tokenizer.json");
        Files.writeString(out, JsonMapper.builder().build().writeValueAsString(root));
        return out;
    }
}
