package com.seedsq.engine.format.gguf;

import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceVocab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static com.seedsq.engine.format.gguf.GgufTestWriter.le;
import static com.seedsq.engine.format.gguf.GgufTestWriter.string;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Stores stories260K's real vocabulary in a GGUF the way llama.cpp does, and checks the tokenizer built from it. */
class GgufSentencePieceTest {

    @TempDir
    Path dir;

    @Test
    void ggufVocabularyTokenizesLikeTheLlama2cFile() throws IOException {
        String shared = System.getProperty("sq.shared.dir");
        Path tok512 = shared == null ? null : Path.of(shared, "data/models/stories260K/tok512.bin");
        Path stories = shared == null ? null : Path.of(shared, "data/text/tinystories-sample.txt");
        assumeTrue(tok512 != null && Files.isRegularFile(tok512) && Files.isRegularFile(stories),
                "shared data missing (sq.shared.dir=" + shared + "): skipping");
        SentencePieceVocab v = SentencePieceVocab.load(tok512);

        ByteArrayOutputStream tokens = new ByteArrayOutputStream();
        ByteArrayOutputStream scores = new ByteArrayOutputStream();
        for (int i = 0; i < v.size(); i++) {
            // llama2.c pieces are raw bytes with plain spaces; GGUF pieces are UTF-8 with U+2581.
            String utf8 = new String(v.piece(i).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            tokens.writeBytes(string(utf8.replace(' ', '\u2581')));
            scores.writeBytes(le(4).putFloat(v.score(i)).array());
        }
        Path f = dir.resolve("stories.gguf");
        new GgufTestWriter().kvString("tokenizer.ggml.model", "llama")
                .kvArray("tokenizer.ggml.tokens", 8, v.size(), tokens.toByteArray())
                .kvArray("tokenizer.ggml.scores", 6, v.size(), scores.toByteArray())
                .kvU32("tokenizer.ggml.bos_token_id", 1).kvU32("tokenizer.ggml.eos_token_id", 2)
                .write(f);

        SentencePieceTokenizer reference = new SentencePieceTokenizer(v);
        try (GgufFile g = GgufFile.open(f)) {
            GgufTokenizerData data = g.tokenizerData().orElseThrow();
            assertEquals(512, data.tokens().size());
            assertEquals(1, data.bos());
            SentencePieceTokenizer fromGguf = GgufSentencePiece.tokenizer(data, f);
            String text = Files.readString(stories);
            int[] expected = reference.encode(text, true);
            assertArrayEquals(expected, fromGguf.encode(text, true));
            assertEquals(reference.decode(1, expected[1]), fromGguf.decode(1, expected[1]));
        }
    }
}
