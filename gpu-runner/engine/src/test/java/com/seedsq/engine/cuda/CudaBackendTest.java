package com.seedsq.engine.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** On a machine without a CUDA driver (CI, this developer machine) the backend must fall back quietly. */
class CudaBackendTest {

    @Test
    void withoutADriverTryOpenIsEmptyAndLogsOneLine() {
        List<LogRecord> records = new ArrayList<>();
        Logger jul = Logger.getLogger(CudaBackend.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try {
            Optional<CudaBackend> first = CudaBackend.tryOpen();
            if (first.isPresent()) { // a GPU machine: nothing to fall back from
                first.get().close();
                assumeTrue(false, "a CUDA device is present");
            }
            Optional<CudaBackend> second = CudaBackend.tryOpen(); // the natives' class is now unusable: still empty
            assertFalse(second.isPresent());
            String reason = CudaBackend.unavailableReason();
            assertNotNull(reason);
            assertFalse(reason.contains("\n"), reason);
            assertEquals(1, records.size(), "exactly one log line, got " + records.size());
            String line = records.get(0).getMessage();
            assertTrue(line.startsWith("CUDA backend unavailable, using the CPU backend ("), line);
            assertFalse(line.contains("\n"), line);
        } finally {
            jul.removeHandler(h);
        }
    }

    @Test
    void firstLineKeepsOnlyTheHeadline() {
        assertEquals("no detail", CudaBackend.firstLine(null));
        assertEquals("no detail", CudaBackend.firstLine("  "));
        assertEquals("Error while loading native library", CudaBackend.firstLine("Error while loading native library\n"
                + "  at ..."));
    }

    @Test
    void reasonNamesTheMissingDriver() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n---(start of nested stack "
                + "traces)---\njava.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: "
                + "cannot open shared object file: No such file or directory";
        assertEquals("no NVIDIA driver, libcuda.so.1 not found; UnsatisfiedLinkError: Error while loading native "
                + "library \"JCudaDriver-12.6.0-linux-x86_64\"", CudaBackend.reason(new UnsatisfiedLinkError(jcuda)));
        assertEquals("IllegalStateException: no detail", CudaBackend.reason(new IllegalStateException()));
    }

    @Test
    void cStringsStopAtTheTerminator() {
        assertEquals("NVIDIA H100", CudaDevice.cString("NVIDIA H100\0garbage".getBytes()));
    }

    @Test
    void deviceInfoDescribesTheCard() {
        DeviceInfo i = new DeviceInfo(0, "NVIDIA H100 80GB HBM3", 9, 0, 85_520_809_984L, 132, 232_448, 13_000);
        assertEquals("9.0", i.computeCapability());
        assertEquals("13.0", i.driver());
        assertTrue(i.supported());
        assertEquals("GPU 0: NVIDIA H100 80GB HBM3, compute capability 9.0, 79.6 GiB, 132 SMs, CUDA driver 13.0",
                i.describe());
        assertFalse(new DeviceInfo(0, "T4", 7, 5, 1L << 34, 40, 65536, 12_040).supported());
    }

    @Test
    void padColumnsZeroFillsTheTail() {
        byte[] src = {1, 2, 3, 4, 5, 6};
        assertArrayEquals(new byte[]{1, 2, 3, 0, 4, 5, 6, 0}, CudaInt8Gemm.padColumns(src, 2, 3, 4));
        assertSame(src, CudaInt8Gemm.padColumns(src, 2, 3, 3));
    }
}
