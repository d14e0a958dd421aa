package com.seedsq.engine.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The build check: the committed fatbin must have been built from the CUDA sources in the tree. */
class CudaSourceHashTest {

    static final Path SOURCES = Path.of("src/main/cuda");

    @Test
    void committedFatbinWasBuiltFromTheseSources() throws Exception {
        assertTrue(Files.isDirectory(SOURCES), "CUDA sources not found at " + SOURCES.toAbsolutePath());
        String actual = CudaFatbin.sourceHash(SOURCES);
        String committed = CudaFatbin.committedSourceHash();
        assertEquals(committed, actual, "The CUDA sources in gpu-runner/engine/src/main/cuda changed since "
                + "src/main/resources/cuda/sq_kernels.fatbin was built: run scripts/build-cuda.sh (needs nvcc) and "
                + "commit src/main/resources/cuda/sq_kernels.fatbin and sq_kernels.sha256.");
    }

    @Test
    void hashIsSha256OfTheFilesInNameOrder() throws Exception {
        Path dir = Files.createTempDirectory("cuda-hash");
        Files.writeString(dir.resolve("b.cu"), "world");
        Files.writeString(dir.resolve("a.cuh"), "hello ");
        Files.createDirectory(dir.resolve("sub")); // not a regular file: ignored, as by the script
        // sha256("hello world")
        assertEquals("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", CudaFatbin.sourceHash(dir));
    }

    /** The host's tile table must equal the kernel's SQ_TILE_* macros (same order: BM, BN, WARPS_M, WARPS_N, STAGES, BK). */
    @Test
    void tileTableMatchesTheKernelSource() throws Exception {
        String src = Files.readString(SOURCES.resolve("sq_gemm.cuh")) + Files.readString(SOURCES.resolve("sq_gemv.cuh"));
        for (GemmTile t : GemmTile.values()) {
            Matcher m = Pattern.compile("#define SQ_TILE_" + t.suffix() + "\\s+(\\d+),\\s*(\\d+),\\s*(\\d+),\\s*(\\d+),\\s*(\\d+),\\s*(\\d+)")
                    .matcher(src);
            assertTrue(m.find(), "SQ_TILE_" + t.suffix() + " missing in sq_gemm.cuh");
            int[] v = new int[6];
            for (int i = 0; i < 6; i++) {
                v[i] = Integer.parseInt(m.group(i + 1));
            }
            assertEquals(t.bm(), v[0], t + " BM");
            assertEquals(t.bn(), v[1], t + " BN");
            assertEquals(t.warpsM(), v[2], t + " WARPS_M");
            assertEquals(t.warpsN(), v[3], t + " WARPS_N");
            assertEquals(t.stages(), v[4], t + " STAGES");
            assertEquals(t.kStageBytes(), v[5], t + " BK");
        }
        assertTrue(src.contains("#define SQ_BK_BYTES " + GemmTile.K_TILE_BYTES), "K tile bytes differ");
        assertTrue(src.contains("constexpr int ROW = BK + " + GemmTile.SMEM_ROW_PAD + ","), "shared row padding differs");
    }
}
