package com.seedsq.engine.cuda;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaFatbinTest {

    @Test
    void fatbinCarriesSassForAmpereAdaHopperAndPtxForNewer() {
        List<CudaFatbin.Entry> entries = CudaFatbin.entries(CudaFatbin.load());
        Set<Integer> sass = new TreeSet<>(), ptx = new TreeSet<>();
        for (CudaFatbin.Entry e : entries) {
            (e.kind() == CudaFatbin.Kind.ELF ? sass : ptx).add(e.arch());
            assertTrue(e.payloadBytes() > 0, e + " is empty");
        }
        assertEquals(Set.of(80, 86, 89, 90), sass, "SASS architectures in " + entries);
        assertEquals(Set.of(80), ptx, "PTX architectures in " + entries);
    }

    @Test
    void everyKernelTheHostLaunchesIsInTheFatbin() {
        String image = new String(CudaFatbin.load(), StandardCharsets.ISO_8859_1);
        for (String name : CudaKernels.KERNEL_NAMES) {
            // every cubin names each kernel's code section ".text.<name>" (the PTX entry is compressed, not searched)
            String section = ".text." + name + "\0";
            int count = 0;
            for (int at = image.indexOf(section); at >= 0; at = image.indexOf(section, at + 1)) {
                count++;
            }
            // (each cubin also has ".rel.text.<name>"-like sections, so at least one hit per architecture)
            assertTrue(count >= 4, name + " should be in the SASS of all 4 architectures (found " + count
                    + " sections): rerun scripts/build-cuda.sh");
        }
        assertEquals(45, CudaKernels.KERNEL_NAMES.size()); // 7 quantization, 4 tiles x 5 GEMMs, 18 forward helpers
    }

    @Test
    void committedHashLooksLikeSha256() {
        assertTrue(CudaFatbin.committedSourceHash().matches("[0-9a-f]{64}"));
    }

    @Test
    void rejectsWhatIsNotAFatbin() {
        assertThrows(IllegalArgumentException.class, () -> CudaFatbin.entries(new byte[32]));
    }
}
