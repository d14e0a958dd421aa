package com.seedsq.engine.tokenizer.sentencepiece;

import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SentencePieceTokenizerTest {

    /** llama2.c's encode, ported line by line (quadratic merge loop): the oracle for the fast implementation. */
    static int[] llama2cEncode(SentencePieceVocab v, String text, boolean bos) {
        List<Integer> tokens = new ArrayList<>();
        if (bos) {
            tokens.add(1);
        }
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0) {
            tokens.add(v.id(" "));
        }
        StringBuilder buf = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            if ((b[i] & 0xC0) != 0x80) {
                buf.setLength(0);
            }
            buf.append((char) (b[i] & 0xff));
            if (i + 1 < b.length && (b[i + 1] & 0xC0) == 0x80 && buf.length() < 4) {
                continue;
            }
            int id = v.id(buf.toString());
            if (id != -1) {
                tokens.add(id);
            } else {
                for (int j = 0; j < buf.length(); j++) {
                    tokens.add(buf.charAt(j) + 3);
                }
            }
            buf.setLength(0);
        }
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1, bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                int id = v.id(v.piece(tokens.get(i)) + v.piece(tokens.get(i + 1)));
                if (id != -1 && v.score(id) > bestScore) {
                    bestScore = v.score(id);
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) {
                break;
            }
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void matchesReferenceIdsForTinyStories() {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(SharedData.tokenizer());
        String text = SharedData.read(SharedData.require("text/tinystories-sample.txt"));
        int[] expected = SharedData.ids(SharedData.require("reference/stories260K/tinystories_ids.txt"));
        List<Integer> ours = new ArrayList<>();
        for (String story : text.split("<\\|endoftext\\|>")) {
            String s = story.strip();
            if (!s.isEmpty()) {
                for (int id : tok.encode(s, true)) {
                    ours.add(id);
                }
            }
        }
        assertEquals(1809, expected.length);
        assertArrayEquals(expected, ours.stream().mapToInt(Integer::intValue).toArray());
    }

    @Test
    void matchesReferenceIdsForWikiText() {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(SharedData.tokenizer());
        String text = SharedData.read(SharedData.require("text/wikitext-2-raw-test.txt"));
        int[] expected = SharedData.ids(SharedData.require("reference/stories260K/wiki_first1000_ids.txt"));
        int[] ours = tok.encode(text, true);
        assertEquals(815_070, ours.length);
        assertArrayEquals(expected, Arrays.copyOf(ours, expected.length));
        // decoding gives the text back (the dummy-prefix space is dropped after BOS)
        assertEquals(text, tok.decode(ours));
    }

    @Test
    void fastMergeEqualsQuadraticLlama2cLoop() {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(SharedData.tokenizer());
        Random rnd = new Random(42);
        String alphabet = "aeiou tnsrlhd.,!?\nThé€😀";
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(60);
            for (int i = 0; i < len; i++) {
                sb.appendCodePoint(alphabet.codePoints().toArray()[rnd.nextInt((int) alphabet.codePoints().count())]);
            }
            String s = sb.toString();
            assertArrayEquals(llama2cEncode(tok.vocab(), s, true), tok.encode(s, true), () -> "text: " + s);
        }
    }

    @Test
    void byteFallbackAndDecode() {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(SharedData.tokenizer());
        // "😀" (F0 9F 98 80) is not among the 512 pieces: it must come out as four byte tokens, id = byte + 3
        int[] ids = tok.encode("😀", false);
        assertArrayEquals(new int[]{tok.vocab().id(" "), 0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3}, ids);
        assertEquals("<0xF0>", tok.vocab().piece(0xF0 + 3));
        assertEquals("😀", tok.decode(tok.encode("😀", true)));
        // "€" is a piece of its own in tok512 (no fallback)
        assertEquals(2, tok.encode("€", false).length);
        assertEquals(0, tok.encode("", false).length);
        assertArrayEquals(new int[]{1}, tok.encode("", true));
        // decode drops the dummy-prefix space only right after BOS
        int once = tok.encode("Once", false)[0];
        assertTrue(tok.vocab().piece(once).startsWith(" "));
        assertEquals("Once", tok.decode(1, once));
        assertEquals(" Once", tok.decode(5, once));
    }

    @Test
    void tieBreaksLeftmostOnSyntheticVocab() {
        // pieces: <unk> <s> </s>, 256 byte pieces, then " ", "a", "aa" (score 1), "aaa" (score 0.5)
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int i = 0; i < 256; i++) {
            pieces.add("<0x%02X>".formatted(i));
        }
        pieces.addAll(List.of(" ", "a", "aa", "aaa", " a"));
        float[] scores = new float[pieces.size()];
        scores[pieces.indexOf("aa")] = 1f;
        scores[pieces.indexOf("aaa")] = 0.5f;
        scores[pieces.indexOf(" a")] = -1f;
        SentencePieceVocab v = new SentencePieceVocab(pieces, scores, 3);
        SentencePieceTokenizer tok = new SentencePieceTokenizer(v);
        int sp = pieces.indexOf(" "), a = pieces.indexOf("a"), aa = pieces.indexOf("aa"), aaa = pieces.indexOf("aaa");
        // " aaa": "aa" merges first at the leftmost pair (a a)a, then "aa"+"a" -> "aaa"; " "+"aaa" unknown
        assertArrayEquals(new int[]{sp, aaa}, tok.encode("aaa", false));
        // " aaaa": (aa)(aa) both at score 1, leftmost first; "aa"+"aa" is no piece
        assertArrayEquals(new int[]{sp, aa, aa}, tok.encode("aaaa", false));
        assertArrayEquals(llama2cEncode(v, "aaaaa b", true), tok.encode("aaaaa b", true));
        // " a" is a piece (score -1): the dummy prefix merges into it
        assertArrayEquals(new int[]{pieces.indexOf(" a")}, tok.encode("a", false));
    }
}
