package com.seedsq.engine.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaGemmPlanTest {

    @Test
    void tilesFollowTheKernelGeometry() {
        for (GemmTile t : GemmTile.values()) {
            if (!t.tensorCores()) {
                assertEquals(0, t.sharedBytes(), "the GEMV uses no shared memory");
                assertTrue(t.threads() <= Launch.MAX_THREADS);
                continue;
            }
            assertEquals(0, t.warpTileM() % GemmTile.MMA_M, t + " warp tile M");
            assertEquals(0, t.warpTileN() % GemmTile.MMA_N, t + " warp tile N");
            assertTrue(t.threads() <= Launch.MAX_THREADS);
            // must fit the smallest opt-in shared memory of the targets (sm_86/sm_89: 99 KiB per block)
            assertTrue(t.fits(99 * 1024), t + " needs " + t.sharedBytes());
            // whole 16-byte chunks per row and stage, and K padding a whole number of chunks
            assertEquals(0, t.sharedRowBytes() % 16);
            assertEquals(0, t.kStageBytes() % GemmTile.K_TILE_BYTES);
        }
        assertEquals(2 * (128 + 128) * 144, GemmTile.LARGE.sharedBytes());
        assertEquals(3 * (64 + 64) * 144, GemmTile.MEDIUM.sharedBytes());

        assertEquals(256, GemmTile.LARGE.threads());
        assertEquals(64, GemmTile.LARGE.accumulatorsPerThread()); // 4 x 4 MMA tiles x 4
        assertEquals(4, GemmTile.SMALL.accumulatorsPerThread());
    }

    @Test
    void sharedRowsAreConflictFreeForLdmatrix() {
        // the 8 row addresses of one 8x8 ldmatrix read start in distinct 4-bank (16-byte) groups of the 32 banks
        for (GemmTile t : GemmTile.values()) {
            if (!t.tensorCores()) {
                continue;
            }
            boolean[] used = new boolean[8];
            for (int r = 0; r < 8; r++) {
                int group = (r * t.sharedRowBytes() / 16) % 8;
                assertFalse(used[group], t + ": rows collide on bank group " + group);
                used[group] = true;
            }
        }
    }

    @Test
    void kIsPaddedToOneStageOfBytes() {
        GemmPlan p8 = GemmPlan.of(5, 7, 100, GemmPrecision.INT8, GemmTile.SMALL);
        assertEquals(128, p8.kPadded());
        assertEquals(128, p8.kBytes());
        assertTrue(p8.padsK());
        GemmPlan p16 = GemmPlan.of(5, 7, 100, GemmPrecision.FP16, GemmTile.SMALL);
        assertEquals(128, p16.kPadded()); // multiple of 32 halves
        assertEquals(256, p16.kBytes());
        GemmPlan exact = GemmPlan.of(16, 4096, 4096, GemmPrecision.INT8, GemmTile.SMALL);
        assertFalse(exact.padsK());
        assertEquals(0.0, exact.paddingOverhead());
        assertEquals(11008, GemmPlan.of(1, 4096, 11008, GemmPrecision.INT8, 132).kPadded()); // 11008 = 172 * 64
        assertEquals(11008, GemmPlan.of(1, 4096, 11008, GemmPrecision.FP16, 132).kPadded());
    }

    @Test
    void gridCoversRaggedEdges() {
        GemmPlan p = GemmPlan.of(129, 4097, 64, GemmPrecision.INT8, GemmTile.LARGE);
        assertEquals(256, p.mPadded());
        assertEquals(4224, p.nPadded());
        assertEquals(33, p.gridX());
        assertEquals(2, p.gridY());
        Launch l = p.launch();
        assertEquals(33, l.gridX());
        assertEquals(2, l.gridY());
        assertEquals(256, l.blockX());
        assertEquals(GemmTile.LARGE.sharedBytes(), l.sharedBytes());
        assertTrue((long) l.gridX() * GemmTile.LARGE.bn() >= 4097 && (long) l.gridY() * GemmTile.LARGE.bm() >= 129);
    }

    @Test
    void tileChoiceFollowsMAndTheMachine() {
        assertEquals(GemmTile.GEMV, GemmPlan.chooseTile(1, 4096, 132));
        assertEquals(GemmTile.GEMV, GemmPlan.chooseTile(8, 4096, 132));
        assertEquals(GemmTile.SMALL, GemmPlan.chooseTile(9, 4096, 132));
        assertEquals(GemmTile.SMALL, GemmPlan.chooseTile(16, 4096, 132));
        assertEquals(GemmTile.MEDIUM, GemmPlan.chooseTile(17, 4096, 132));
        // LARGE (128x128) when it gives at least 90 % as many blocks as SMs, else MEDIUM (64x64)
        assertEquals(GemmTile.MEDIUM, GemmPlan.chooseTile(128, 4096, 132));  // LARGE: 32 blocks
        assertEquals(GemmTile.MEDIUM, GemmPlan.chooseTile(128, 11008, 132)); // 86 blocks
        assertEquals(GemmTile.LARGE, GemmPlan.chooseTile(512, 4096, 132));   // 128 blocks
        assertEquals(GemmTile.LARGE, GemmPlan.chooseTile(2048, 4096, 132));
        assertEquals(GemmTile.MEDIUM, GemmPlan.chooseTile(512, 4096, 200)); // a bigger GPU wants more blocks
    }

    @Test
    void kernelNames() {
        GemmPlan p = GemmPlan.of(2048, 4096, 4096, GemmPrecision.INT8, 132);
        assertEquals("sq_gemm_s8_f32_l", p.kernel(GemmOutput.FP32));
        assertEquals("sq_gemm_s8_i32_l", p.kernel(GemmOutput.INT32));
        GemmPlan h = GemmPlan.of(1, 4096, 4096, GemmPrecision.FP16, 132);
        assertEquals("sq_gemm_f16_f16_v", h.kernel(GemmOutput.FP16)); // M = 1: the GEMV
        assertThrows(IllegalArgumentException.class, () -> h.kernel(GemmOutput.INT32));
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.of(0, 1, 1, GemmPrecision.INT8, 108));
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.of(1, 1, -3, GemmPrecision.FP16, 108));
        // more row blocks than grid.y allows
        assertThrows(IllegalArgumentException.class,
                () -> GemmPlan.of(16 * 65_536, 8, 64, GemmPrecision.INT8, GemmTile.SMALL));
        assertThrows(IllegalArgumentException.class, () -> new GemmPlan(4, 4, 64, GemmPrecision.INT8, GemmTile.SMALL,
                32, 16, 32));
    }

    @Test
    void countsWork() {
        GemmPlan p = GemmPlan.of(512, 11008, 4096, GemmPrecision.INT8, 132);
        assertEquals(2.0 * 512 * 11008 * 4096, p.ops());
        assertEquals((512L + 11008) * 4096, p.operandBytes());
        assertTrue(p.toString().contains("512x11008x4096"));
    }
}
