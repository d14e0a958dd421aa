package com.seedsq.api.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A llama2.c {@code tokenizer.bin} for {@link TinyLlama2c}'s 32-token vocabulary: the three specials, then space,
 * a–z, '.', and ','. Text for it must use only those characters (it has no byte-fallback tokens).
 */
public final class TinyTokenizer {

    public static final String ALPHABET = " abcdefghijklmnopqrstuvwxyz.,";

    private TinyTokenizer() {
    }

    public static Path write(Path file) throws IOException {
        String[] pieces = new String[TinyLlama2c.VOCAB];
        pieces[0] = "<unk>";
        pieces[1] = "\n<s>\n";
        pieces[2] = "\n</s>\n";
        for (int i = 0; i < ALPHABET.length(); i++) {
            pieces[3 + i] = String.valueOf(ALPHABET.charAt(i));
        }
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(8);
        for (int i = 0; i < pieces.length; i++) {
            byte[] bytes = pieces[i].getBytes(StandardCharsets.UTF_8);
            b.putFloat(-i).putInt(bytes.length).put(bytes);
        }
        Files.write(file, java.util.Arrays.copyOf(b.array(), b.position()));
        return file;
    }
}
