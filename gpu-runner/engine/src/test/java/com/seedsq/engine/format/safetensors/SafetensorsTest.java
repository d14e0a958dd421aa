package com.seedsq.engine.format.safetensors;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsEveryDTypeAndMetadata() throws IOException {
        Path f = dir.resolve("m.safetensors");
        float[] w = {1.5f, -2.25f, 3f, 0f, 1e-8f, -0f};
        short[] half = {Float.floatToFloat16(0.5f), Float.floatToFloat16(-65504f)};
        long written = new SafetensorsWriter()
                .metadata("format", "pt")
                .addF32("w", new long[] {2, 3}, w)
                .add("h", DType.F16, new long[] {2}, sink -> {
                    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                    b.putShort(half[0]).putShort(half[1]);
                    sink.writeBytes(b.array(), 0, 4);
                })
                .add("bf", DType.BF16, new long[] {1}, sink -> sink.writeBytes(new byte[] {(byte) 0x80, 0x3f}, 0, 2))
                .addI8("q", new long[] {3}, new byte[] {-127, 0, 127})
                .addI32("i", new long[] {2}, new int[] {Integer.MIN_VALUE, 42})
                .addF32("scalar", new long[] {}, new float[] {7f})
                .write(f);
        assertEquals(Files.size(f), written);
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "data buffer must start 8-byte aligned");

        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertEquals(java.util.List.of("w", "h", "bf", "q", "i", "scalar"), java.util.List.copyOf(st.names()));
            TensorData t = st.tensor("w");
            assertEquals(DType.F32, t.dtype());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertArrayEquals(w, t.toFloatArray());
            assertArrayEquals(new float[] {0.5f, -65504f}, st.tensor("h").toFloatArray());
            assertArrayEquals(new float[] {1f}, st.tensor("bf").toFloatArray());
            assertArrayEquals(new float[] {-127f, 0f, 127f}, st.tensor("q").toFloatArray());
            assertEquals(Integer.MIN_VALUE, (int) st.tensor("i").getFloat(0));
            assertEquals(42f, st.tensor("i").getFloat(1));
            assertArrayEquals(new long[] {}, st.tensor("scalar").shape());
            assertEquals(7f, st.tensor("scalar").getFloat(0));
        }
    }

    @Test
    void copiesTensorsFromAnotherFileWithoutChange() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        float[] big = new float[700_000]; // crosses the 1 MiB write buffer several times
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f;
        }
        new SafetensorsWriter().addF32("big", new long[] {700, 1000}, big).write(a);
        try (SafetensorsFile src = SafetensorsFile.open(a)) {
            new SafetensorsWriter().add(src.tensor("big")).write(b);
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void writerRejectsProducerThatWritesTheWrongSizeAndLeavesNoFile() {
        Path f = dir.resolve("bad.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().addF32("w", new long[] {4}, new float[3]);
        IOException e = assertThrows(IOException.class, () -> w.write(f));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("16 bytes") && e.getMessage().contains("12"),
                e.getMessage());
        assertFalse(Files.exists(f));
    }

    @Test
    void truncatedFileIsReportedWithTheTensorThatRunsPastTheEnd() throws IOException {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().addF32("a", new long[] {2}, new float[2]).addF32("b", new long[] {4}, new float[4]).write(f);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 3);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
        assertEquals("b", e.tensor());
        assertTrue(e.getMessage().contains("past the end"), e.getMessage());
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, 1000);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("header length 1000 runs past the end"), e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path f = dir.resolve("tiny.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void unknownDType() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, -1);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
        assertEquals("a", e.tensor());
        assertTrue(e.getMessage().contains("unsupported dtype 'F64'"), e.getMessage());
    }

    /** A BOOL mask buffer (GPT-NeoX's attention.bias) is validated and left out; the weights beside it load. */
    @Test
    void boolBuffersAreSkipped() throws IOException {
        Path f = raw("{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, -1);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(java.util.Set.of("w"), st.names());
        }
        Path bad = raw("{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[0,3]}}", 3, -1);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(bad));
        assertEquals("mask", e.tensor());
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, -1);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
        assertEquals("a", e.tensor());
        assertTrue(e.getMessage().contains("[0, 16] run past the end of the data buffer (8 bytes"), e.getMessage());
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, -1);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
        assertEquals("b", e.tensor());
        assertTrue(e.getMessage().contains("overlap tensor 'a'"), e.getMessage());
    }

    @Test
    void offsetsThatDoNotMatchDTypeTimesShape() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, -1);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("hold 8 bytes but BF16[3] needs 6"), e.getMessage());
    }

    @Test
    void holesAndTrailingBytesAreRejected() throws IOException {
        Path hole = raw("{\"a\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4, -1);
        assertTrue(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(hole))
                .getMessage().contains("hole of 2 bytes"));
        Path trailing = raw("{\"a\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 5, -1);
        assertTrue(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(trailing))
                .getMessage().contains("3 trailing bytes"));
    }

    @Test
    void malformedJsonAndDuplicateKeys() throws IOException {
        Path bad = raw("{\"a\":{\"dtype\":", 0, -1);
        assertTrue(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(bad))
                .getMessage().contains("not valid JSON"));
        Path dup = raw("{\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, -1);
        assertTrue(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(dup))
                .getMessage().contains("not valid JSON"));
        Path negative = raw("{\"a\":{\"dtype\":\"I8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1, -1);
        assertTrue(assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(negative))
                .getMessage().contains("'shape' element 0 must be a non-negative integer"));
    }

    @Test
    void missingTensorNamesTheTensorAndFile() throws IOException {
        Path f = dir.resolve("m.safetensors");
        new SafetensorsWriter().addF32("a", new long[] {1}, new float[1]).write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> st.tensor("nope"));
            assertEquals("m.safetensors: tensor 'nope': no such tensor in this file", e.getMessage());
        }
    }

    /** A hand-made file: length prefix (or {@code claimedLength} when >= 0), JSON, then {@code dataBytes} zeros. */
    private Path raw(String json, int dataBytes, long claimedLength) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(claimedLength >= 0 ? claimedLength : h.length).put(h);
        Path f = Files.createTempFile(dir, "raw", ".safetensors");
        Files.write(f, b.array());
        return f;
    }
}
