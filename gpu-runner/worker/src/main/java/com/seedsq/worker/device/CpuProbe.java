package com.seedsq.worker.device;

import jdk.incubator.vector.FloatVector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The CPU backend is always there; what matters to a job is how many cores and how wide the SIMD units are. */
final class CpuProbe {

    private CpuProbe() {
    }

    static ComputeBackend probe() {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("cores", Runtime.getRuntime().availableProcessors());
        detail.put("vectorBits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        detail.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        return new ComputeBackend("cpu", cpuModel(), detail);
    }

    /** The model name from /proc/cpuinfo on Linux; elsewhere the JVM's architecture string. */
    private static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try (var lines = Files.lines(cpuinfo)) {
                return lines.filter(l -> l.startsWith("model name"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim())
                        .findFirst()
                        .orElse(System.getProperty("os.arch"));
            } catch (IOException | RuntimeException e) {
                // Fall through: the name is informative only.
            }
        }
        return System.getProperty("os.arch");
    }
}
