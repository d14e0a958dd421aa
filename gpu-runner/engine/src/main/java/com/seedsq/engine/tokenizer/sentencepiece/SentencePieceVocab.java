package com.seedsq.engine.tokenizer.sentencepiece;

import com.seedsq.engine.format.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A llama2.c tokenizer file ({@code tokenizer.bin}, {@code tok512.bin}): int32 {@code max_token_length}, then per
 * token a float32 merge score, an int32 byte length and the piece's bytes. The file does not store the token count;
 * it is read to the end.
 *
 * <p>Pieces are raw bytes (not necessarily whole UTF-8 characters), so they are kept as Latin-1 strings: one char per
 * byte, which makes lookups byte-exact like llama2.c's {@code strcmp}.
 */
public final class SentencePieceVocab {

    private final String[] pieces;     // Latin-1: char i = byte i
    private final float[] scores;
    private final int maxTokenLength;
    private final Map<String, Integer> ids;

    public SentencePieceVocab(List<String> pieces, float[] scores, int maxTokenLength) {
        this.pieces = pieces.toArray(String[]::new);
        this.scores = scores.clone();
        this.maxTokenLength = maxTokenLength;
        this.ids = new HashMap<>(this.pieces.length * 2);
        for (int i = 0; i < this.pieces.length; i++) {
            ids.putIfAbsent(this.pieces[i], i); // duplicate pieces: the lowest id wins
        }
    }

    public static SentencePieceVocab load(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelFormatException(file, null, "cannot read tokenizer: " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) {
            throw new ModelFormatException(file, null, "tokenizer file too short for its header: " + all.length
                    + " bytes");
        }
        int maxLen = b.getInt();
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (b.hasRemaining()) {
            int id = pieces.size();
            if (b.remaining() < 8) {
                throw new ModelFormatException(file, "token " + id, "truncated entry: needs 8 header bytes, "
                        + b.remaining() + " left");
            }
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) {
                throw new ModelFormatException(file, "token " + id, "piece length " + len + " but only "
                        + b.remaining() + " bytes left");
            }
            byte[] piece = new byte[len];
            b.get(piece);
            pieces.add(new String(piece, StandardCharsets.ISO_8859_1));
            scores.add(score);
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new SentencePieceVocab(pieces, s, maxLen);
    }

    public int size() {
        return pieces.length;
    }

    /** The piece's bytes as a Latin-1 string. */
    public String piece(int id) {
        return pieces[id];
    }

    public byte[] pieceBytes(int id) {
        return pieces[id].getBytes(StandardCharsets.ISO_8859_1);
    }

    public float score(int id) {
        return scores[id];
    }

    public int maxTokenLength() {
        return maxTokenLength;
    }

    /** The id of a Latin-1 piece, or -1. */
    public int id(String latin1Piece) {
        Integer id = ids.get(latin1Piece);
        return id == null ? -1 : id;
    }
}
