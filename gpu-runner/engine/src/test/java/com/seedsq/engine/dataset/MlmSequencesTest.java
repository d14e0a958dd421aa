package com.seedsq.engine.dataset;

import com.seedsq.engine.tokenizer.wordpiece.BertTestData;
import com.seedsq.engine.tokenizer.wordpiece.WordPieceTokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MlmSequencesTest {

    private static final MlmSequences.Specials BERT = new MlmSequences.Specials(0, 100, 101, 102, 103);

    @Test
    void framesBlocksAndNeverMasksSpecialTokens() {
        int[] stream = new int[300];
        for (int i = 0; i < stream.length; i++) {
            stream[i] = i % 7 == 0 ? 100 : 1000 + i; // some [UNK]s, which must never be masked
        }
        assertEquals(2, MlmSequences.blockCount(stream.length, 126));
        List<MlmSequence> seqs = MlmSequences.evaluation(stream, 2, BERT);
        for (MlmSequence s : seqs) {
            assertEquals(128, s.original().length);
            assertEquals(101, s.original()[0]);
            assertEquals(102, s.original()[127]);
            long candidates = java.util.Arrays.stream(s.original()).filter(id -> id >= 1000).count();
            assertEquals(Math.round(0.15 * candidates), s.maskPositions().length);
            for (int p : s.maskPositions()) {
                assertTrue(s.original()[p] >= 1000);
                assertEquals(103, s.masked()[p]);
            }
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(stream, 126, 252),
                java.util.Arrays.copyOfRange(seqs.get(1).original(), 1, 127));
        // One generator across sequences: sequence 1 masked alone differs from sequence 1 masked after sequence 0.
        MlmSequence alone = MlmSequences.mask(List.of(seqs.get(1).original()), BERT, new Random(1234), 0.15).getFirst();
        assertNotEquals(java.util.Arrays.toString(alone.maskPositions()), java.util.Arrays.toString(seqs.get(1).maskPositions()));
        assertThrows(IllegalArgumentException.class, () -> MlmSequences.evaluation(stream, 3, BERT));
        assertEquals(2, MlmSequences.calibration(stream, 2, BERT).size());
    }

    @Test
    void firstThreeWikitextSequencesMatchTheReference() throws IOException {
        WordPieceTokenizer t = WordPieceTokenizer.load(BertTestData.vocab());
        List<BertTestData.ReferenceSequence> ref = BertTestData.referenceFirst3();
        int[] ids = t.encode(Files.readString(BertTestData.shared("text/wikitext-2-raw-test.txt")), false);
        List<MlmSequence> seqs = MlmSequences.evaluation(ids, 3, MlmSequences.Specials.of(t));
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(ref.get(k).original(), seqs.get(k).original(), "original ids of sequence " + k);
            assertArrayEquals(ref.get(k).positions(), seqs.get(k).maskPositions(), "mask positions of sequence " + k);
            assertArrayEquals(ref.get(k).masked(), seqs.get(k).masked(), "masked ids of sequence " + k);
        }
    }
}
