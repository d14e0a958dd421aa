package com.seedsq.engine.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CudaLaunchTest {

    @Test
    void elementwiseRoundsUpToWholeBlocks() {
        assertEquals(1, Launch.elementwise(1).gridX());
        assertEquals(1, Launch.elementwise(256).gridX());
        assertEquals(2, Launch.elementwise(257).gridX());
        assertEquals(43_008, Launch.elementwise(4096L * 2688).gridX());
        assertThrows(IllegalArgumentException.class, () -> Launch.elementwise(0));
    }

    @Test
    void ropeHasOneThreadPerPair() {
        Launch l = Launch.rope(7, 32, 128);
        assertEquals((7 * 32 * 64 + 255) / 256, l.gridX());
        assertThrows(IllegalArgumentException.class, () -> Launch.rope(1, 1, 3));
    }

    @Test
    void attentionReservesScoresForTheLongestRow() {
        Launch l = Launch.attention(16, 32, 100);
        assertEquals(16, l.gridX());
        assertEquals(32, l.gridY());
        assertEquals(116 * 4, l.sharedBytes());
        assertEquals(Launch.ATTENTION_THREADS, l.blockX());
    }

    @Test
    void perRow() {
        Launch l = Launch.perRow(2048);
        assertEquals(2048, l.gridX());
        assertEquals(Launch.ROW_THREADS, l.blockX());
        assertEquals(2048L * 256, l.threads());
    }

    @Test
    void rejectsImpossibleGeometry() {
        assertThrows(IllegalArgumentException.class, () -> new Launch(1, 70_000, 1, 32, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Launch(1, 1, 1, 2048, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Launch(1, 1, 1, 48, 1, 1, 0)); // not whole warps
        assertThrows(IllegalArgumentException.class, () -> new Launch(0, 1, 1, 32, 1, 1, 0));
    }
}
