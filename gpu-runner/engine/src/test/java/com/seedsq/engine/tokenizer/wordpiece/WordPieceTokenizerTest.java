package com.seedsq.engine.tokenizer.wordpiece;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class WordPieceTokenizerTest {

    private static WordPieceTokenizer tiny() {
        return new WordPieceTokenizer(new WordPieceVocab(List.of(
                "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "runn", "##ing", "run", ",", "a",
                "##a", "cafe", "\u4e2d", "\u6587"), null));
    }

    @Test
    void basicTokenizerLowercasesStripsAccentsAndSplitsPunctuation() {
        BasicTokenizer b = new BasicTokenizer();
        assertEquals(List.of("hello", "!", "how", "are", "u", "?"), b.tokenize(" \tHeLLo!how  \n Are yoU?  ".replace("yoU", "U")));
        assertEquals(List.of("cafe", "naive", "resume"), b.tokenize("Café naïve RÉSUMÉ"));
        assertEquals(List.of("a", "$", "b", "+", "c", "^", "d", "`", "e", "|", "f"), b.tokenize("a$b+c^d`e|f"));
        assertEquals(List.of("\u4e2d", "\u6587", "x"), b.tokenize("\u4e2d\u6587x"));
        assertEquals(List.of("ab", "c"), b.tokenize("a\u0000b\u200b\ufffd\u0007 c")); // NUL, ZWSP (Cf), FFFD, BEL dropped
        assertEquals(List.of("a", "b"), b.tokenize("a\u00a0b"));                          // NBSP is whitespace (Zs)
        assertEquals(List.of("a", "\u00ab", "b", "\u2014", "c"), b.tokenize("a\u00abb\u2014c")); // Unicode Pi, Pd
        assertEquals(List.of("\u2202"), b.tokenize("\u2202"));                            // Sm is not punctuation
    }

    @Test
    void wordPieceIsGreedyLongestMatchAndUnknownWholeWord() {
        WordPieceTokenizer t = tiny();
        assertEquals(List.of("un", "##aff", "##able", ",", "runn", "##ing", "[UNK]", "cafe"),
                t.tokenize("unaffable, running unknown Café"));
        assertArrayEquals(new int[] {2, 10, 11}, t.encode("run,", true));
        assertEquals(List.of("a", "##a", "##a"), t.tokenize("aaa"));
        assertEquals(List.of("[UNK]"), t.tokenize("a".repeat(101)));
        assertEquals(100, t.tokenize("a".repeat(100)).size()); // a + 99 × ##a: exactly 100 chars is still a word
        assertEquals(List.of("\u4e2d", "\u6587"), t.tokenize("\u4e2d\u6587"));
        assertEquals(" runn", t.decode(12, 8));
        assertEquals("ing", t.decode(8, 9));
        assertEquals("run", t.decode(-1, 10));
    }

    @Test
    void bertVocabularySpecialIds() {
        WordPieceTokenizer t = WordPieceTokenizer.load(BertTestData.vocab());
        assertEquals(30522, t.vocabSize());
        assertEquals(0, t.pad());
        assertEquals(100, t.unk());
        assertEquals(101, t.cls());
        assertEquals(102, t.sep());
        assertEquals(103, t.mask());
        assertEquals(List.of("the", "quick", "brown", "fox", "jumped", "over", "the", "lazy", "dog", "'", "s", "tail", "."),
                t.tokenize("The quick brown fox jumped over the lazy dog's tail."));
    }

    @Test
    void wikitextHasTheReferenceTokenCountAndFirstBlocks() throws IOException {
        WordPieceTokenizer t = WordPieceTokenizer.load(BertTestData.vocab());
        String text = Files.readString(BertTestData.shared("text/wikitext-2-raw-test.txt"));
        List<BertTestData.ReferenceSequence> ref = BertTestData.referenceFirst3();
        long t0 = System.nanoTime();
        int[] ids = t.encode(text, false);
        System.out.printf("WikiText-2 test: %d WordPiece tokens in %.2f s%n", ids.length, (System.nanoTime() - t0) / 1e9);
        assertEquals(273_178, ids.length);
        assertEquals(3, ref.size());
        for (int k = 0; k < 3; k++) {
            int[] framed = new int[128];
            framed[0] = t.cls();
            System.arraycopy(ids, k * 126, framed, 1, 126);
            framed[127] = t.sep();
            assertArrayEquals(ref.get(k).original(), framed, "sequence " + k);
            assertEquals(ref.get(k).wordpieces(), Arrays.stream(framed).mapToObj(t::token).toList());
        }
    }
}
