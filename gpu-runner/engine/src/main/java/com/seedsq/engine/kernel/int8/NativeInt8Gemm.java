package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.kernel.WorkerPool;
import com.seedsq.engine.quant.QuantizedMatrix;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * The INT8 GEMM in C on AVX-512 VNNI ({@code vpdpbusd}, 64 multiply-adds per instruction), called through the FFM
 * API. The Vector API cannot emit VNNI, and without it INT8 runs no faster than FP32 on this kind of CPU.
 *
 * <p>The Maven build compiles {@code src/main/c/sq_int8_vnni.c} with gcc into the class path; {@link #load} returns
 * empty, with the reason in {@link #unavailableReason()}, when that library, the CPU feature or the OS is missing.
 * Downcalls are {@linkplain Linker.Option#critical critical} with heap access, so heap arrays (activations
 * quantized per call, outputs) go to C without a copy.
 */
public final class NativeInt8Gemm implements Int8Gemm {

    static final String RESOURCE = "/native/linux-x86_64/libsqint8.so";
    /** Set to {@code false} to force the Java kernel (comparisons, diagnosis). */
    public static final String ENABLED_PROPERTY = "sq.int8.native";

    private static final int TILE_N = 32;
    private static final long PARALLEL_MIN_WORK = 1L << 18;

    private final WorkerPool pool;

    private NativeInt8Gemm(int threads) {
        this.pool = new WorkerPool(threads);
    }

    /** The native kernel, or empty when it cannot run here. */
    public static Optional<NativeInt8Gemm> load(int threads) {
        return Library.TILE == null ? Optional.empty() : Optional.of(new NativeInt8Gemm(threads));
    }

    /** Why {@link #load} returns empty; null when it does not. */
    public static String unavailableReason() {
        return Library.REASON;
    }

    @Override
    public String name() {
        return "native-avx512-vnni";
    }

    @Override
    public void multiply(QuantizedMatrix a, Int8Weights w, Int8Output out) {
        out.check(a, w);
        int m = a.rows(), n = w.rows(), k = a.cols();
        Call call = switch (out) {
            case Int8Output.Int32 i -> new Call(a, w, MemorySegment.ofArray(i.acc()), MemorySegment.NULL,
                    MemorySegment.NULL, false, MemorySegment.NULL, false, MemorySegment.NULL);
            case Int8Output.Dequantized d -> new Call(a, w, MemorySegment.NULL, MemorySegment.ofArray(d.out()),
                    MemorySegment.ofArray(d.aScales()), d.aPerRow(), MemorySegment.ofArray(d.wScales()), d.wPerRow(),
                    d.bias() == null ? MemorySegment.NULL : MemorySegment.ofArray(d.bias()));
        };
        int tiles = (n + TILE_N - 1) / TILE_N;
        IntConsumer tile = t -> call.run(t * TILE_N, Math.min(n, (t + 1) * TILE_N));
        if ((long) m * n * k < PARALLEL_MIN_WORK) {
            for (int t = 0; t < tiles; t++) {
                tile.accept(t);
            }
        } else {
            pool.forEach(tiles, tile);
        }
    }

    /** The arguments of one product; {@link #run} computes the output columns of one tile. */
    private record Call(QuantizedMatrix a, Int8Weights w, MemorySegment acc, MemorySegment out,
                        MemorySegment aScales, boolean aPerRow, MemorySegment wScales, boolean wPerRow,
                        MemorySegment bias) {
        void run(int n0, int n1) {
            try {
                Library.TILE.invokeExact(a.codes(), w.matrix().codes(), MemorySegment.ofArray(w.rowSums()),
                        a.rows(), w.rows(), a.cols(), n0, n1, acc, out, aScales, aPerRow ? 1 : 0, wScales,
                        wPerRow ? 1 : 0, bias);
            } catch (Throwable e) {
                throw new IllegalStateException("native INT8 GEMM failed", e);
            }
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Finds and links the library once per JVM. */
    private static final class Library {
        static final MethodHandle TILE;
        static final String REASON;

        static {
            MethodHandle handle = null;
            String reason;
            try {
                reason = check();
                if (reason == null) {
                    handle = link(path());
                }
            } catch (IOException | URISyntaxException | RuntimeException e) {
                reason = "cannot load " + RESOURCE + ": " + e;
            }
            TILE = handle;
            REASON = handle == null ? reason : null;
        }

        /** Null when the platform can run the kernel, else why not. */
        private static String check() throws IOException {
            if (!Boolean.parseBoolean(System.getProperty(ENABLED_PROPERTY, "true"))) {
                return "disabled by -D" + ENABLED_PROPERTY + "=false";
            }
            String os = System.getProperty("os.name"), arch = System.getProperty("os.arch");
            if (!os.startsWith("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                return "built for linux-x86_64, this is " + os + "/" + arch;
            }
            Path cpuinfo = Path.of("/proc/cpuinfo");
            String flags = Files.exists(cpuinfo) ? Files.readString(cpuinfo) : "";
            for (String f : new String[]{"avx512f", "avx512bw", "avx512_vnni", "bmi2"}) {
                if (!flags.matches("(?s).*\\b" + f + "\\b.*")) {
                    return "CPU lacks " + f;
                }
            }
            if (NativeInt8Gemm.class.getResource(RESOURCE) == null) {
                return RESOURCE + " is not on the class path (gcc missing at build time?)";
            }
            return null;
        }

        /** The library as a file: as it is when the class path is a directory, else extracted from the jar. */
        private static Path path() throws IOException, URISyntaxException {
            URL url = NativeInt8Gemm.class.getResource(RESOURCE);
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            Path tmp = Files.createTempFile("libsqint8", ".so");
            tmp.toFile().deleteOnExit();
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        }

        private static MethodHandle link(Path lib) {
            Linker linker = Linker.nativeLinker();
            MemorySegment symbol = SymbolLookup.libraryLookup(lib, Arena.global()).find("sq_s8gemm_tile")
                    .orElseThrow(() -> new IllegalStateException("sq_s8gemm_tile not found in " + lib));
            ValueLayout p = ValueLayout.ADDRESS, i = ValueLayout.JAVA_INT;
            FunctionDescriptor fd = FunctionDescriptor.ofVoid(p, p, p, i, i, i, i, i, p, p, p, i, p, i, p);
            return linker.downcallHandle(symbol, fd, Linker.Option.critical(true));
        }
    }
}
