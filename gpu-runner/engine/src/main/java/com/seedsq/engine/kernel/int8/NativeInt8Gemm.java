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
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.function.IntConsumer;

/**
 * The INT8 GEMM in C on AVX-512 VNNI ({@code vpdpbusd}, 64 multiply-adds per instruction), called through the FFM
 * API. The Vector API cannot emit VNNI, and without it INT8 runs no faster than FP32 on this kind of CPU.
 *
 * <p>The kernel ({@code src/main/c/sq_int8_vnni.c}, whose header explains the layout and why) works on repacked
 * operands. The weights are repacked once per {@link Int8Weights} into panels of 48 columns × 4-byte K groups and
 * kept here, weakly keyed by the weights: they go when the model goes, and all of them on {@link #close}. The packed
 * copy costs as much memory again as the codes (N·K bytes). Weights must not change after their first product here,
 * since the copy would not follow. The activations are shifted to unsigned and interleaved once per call into the
 * calling thread's scratch buffer, so concurrent callers may share one kernel.
 *
 * <p>The Maven build compiles the C file with gcc into the class path; {@link #load} returns empty, with the reason
 * in {@link #unavailableReason()}, when that library, the CPU feature or the OS is missing.
 *
 * <p>The C code sees native memory only: the downcalls are ordinary ones, not {@linkplain Linker.Option#critical
 * critical} calls with heap access, which the JDK reserves for functions as short as an empty one (a long critical
 * call holds off safepoints, and long critical sgemm calls crashed the JVM under Flight Recorder; see
 * {@code kernel.OneDnnSgemm}). Per call, the caller's thread copies the activation codes and the scales into its
 * native scratch, the panels write into a native output there, and the caller copies that into the heap array:
 * {@code M·K} bytes in and {@code 4·M·N} out, against {@code 2·M·N·K} operations.
 */
public final class NativeInt8Gemm implements Int8Gemm {

    static final String RESOURCE = "/native/linux-x86_64/libsqint8.so";
    /** Set to {@code false} to force the Java kernel (comparisons, diagnosis). */
    public static final String ENABLED_PROPERTY = "sq.int8.native";
    /** Below this many multiply-adds the caller's thread does it all: handing out work costs ~10 µs. */
    private static final long PARALLEL_MIN_WORK = 1L << 18;

    private final WorkerPool pool;
    /** Packed weights (native, 64-byte aligned), freed by the GC once their key or this kernel is gone. */
    private final Map<Int8Weights, MemorySegment> packed = new WeakHashMap<>();
    /** Each calling thread's native scratch, grown as needed. */
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** One calling thread's native buffers: raw and packed activations, scales and bias, the output. */
    private static final class Scratch {
        MemorySegment codes = MemorySegment.NULL, packed = MemorySegment.NULL, floats = MemorySegment.NULL,
                out = MemorySegment.NULL;

        static MemorySegment atLeast(MemorySegment s, long bytes) {
            return s.byteSize() >= bytes ? s : Arena.ofAuto().allocate(Math.max(bytes, s.byteSize() * 3 / 2), 64);
        }
    }

    private NativeInt8Gemm(int threads) {
        this.pool = WorkerPool.shared(threads);
    }

    /** The native kernel, or empty when it cannot run here. */
    public static Optional<NativeInt8Gemm> load(int threads) {
        return Library.PANELS == null ? Optional.empty() : Optional.of(new NativeInt8Gemm(threads));
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
        multiply(a, new Int8Weights[]{w}, new Int8Output[]{out});
    }

    /** One A, several W (q, k, v): A is packed once and the panels of all products go out as one batch. */
    @Override
    public void multiply(QuantizedMatrix a, Int8Weights[] ws, float[][] biases, float[][] outs) {
        Int8Output[] o = new Int8Output[ws.length];
        for (int i = 0; i < ws.length; i++) {
            o[i] = Int8Output.dequantized(outs[i], a, ws[i], biases[i]);
        }
        multiply(a, ws, o);
    }

    private void multiply(QuantizedMatrix a, Int8Weights[] ws, Int8Output[] outs) {
        int m = a.rows(), k = a.cols();
        long work = 0, results = 0, floats = 0;
        for (int i = 0; i < ws.length; i++) {
            outs[i].check(a, ws[i]);
            int n = ws[i].rows();
            work += (long) m * n * k;
            results += (long) m * n;
            if (outs[i] instanceof Int8Output.Dequantized d) {
                floats += (d.aPerRow() ? m : 1) + (d.wPerRow() ? n : 1) + (d.bias() == null ? 0 : n);
            }
        }
        Scratch s = scratch.get();
        MemorySegment ap = packedActivations(a, s);
        s.out = Scratch.atLeast(s.out, results * Integer.BYTES);
        s.floats = Scratch.atLeast(s.floats, Math.max(1, floats) * Float.BYTES);
        Call[] calls = new Call[ws.length];
        int[] firstPanel = new int[ws.length + 1];
        long resultAt = 0, floatAt = 0;
        for (int i = 0; i < ws.length; i++) {
            int n = ws[i].rows();
            MemorySegment wp = packedWeights(ws[i]);
            MemorySegment result = s.out.asSlice(resultAt * Integer.BYTES, (long) m * n * Integer.BYTES);
            resultAt += (long) m * n;
            calls[i] = switch (outs[i]) {
                case Int8Output.Int32 ignored -> new Call(ap, wp, m, n, k, result, MemorySegment.NULL,
                        MemorySegment.NULL, false, MemorySegment.NULL, false, MemorySegment.NULL);
                case Int8Output.Dequantized d -> {
                    // scales and bias side by side in one native block: [aScales | wScales | bias]
                    int na = d.aPerRow() ? m : 1, nw = d.wPerRow() ? n : 1, nb = d.bias() == null ? 0 : n;
                    MemorySegment f = s.floats.asSlice(floatAt * Float.BYTES, (long) (na + nw + nb) * Float.BYTES);
                    floatAt += na + nw + nb;
                    MemorySegment.copy(d.aScales(), 0, f, ValueLayout.JAVA_FLOAT, 0, na);
                    MemorySegment.copy(d.wScales(), 0, f, ValueLayout.JAVA_FLOAT, (long) na * Float.BYTES, nw);
                    if (nb > 0) {
                        MemorySegment.copy(d.bias(), 0, f, ValueLayout.JAVA_FLOAT, (long) (na + nw) * Float.BYTES,
                                nb);
                    }
                    yield new Call(ap, wp, m, n, k, MemorySegment.NULL, result, f, d.aPerRow(),
                            f.asSlice((long) na * Float.BYTES), d.wPerRow(),
                            nb == 0 ? MemorySegment.NULL : f.asSlice((long) (na + nw) * Float.BYTES));
                }
            };
            firstPanel[i + 1] = firstPanel[i] + (n + Library.PANEL_COLS - 1) / Library.PANEL_COLS;
        }
        boolean parallel = work >= PARALLEL_MIN_WORK;
        // each panel is the same kernel call on the same operands whichever batch it came in, so a product's bits do
        // not depend on its batch
        IntConsumer panel = p -> {
            int i = owner(firstPanel, p);
            calls[i].run(p - firstPanel[i], p - firstPanel[i] + 1);
        };
        if (parallel) {
            pool.forEach(firstPanel[ws.length], panel);
        } else {
            for (int i = 0; i < ws.length; i++) {
                calls[i].run(0, firstPanel[i + 1] - firstPanel[i]);
            }
        }
        // copied out in blocks of rows over the pool: one thread copying 1.5 MB (BERT's FFN output) took as long as
        // a sixth of the product
        int blocks = (m + COPY_ROWS - 1) / COPY_ROWS;
        IntConsumer copyRows = item -> {
            int i = item / blocks, b = item % blocks, n = ws[i].rows();
            int r0 = b * COPY_ROWS, rows = Math.min(m, r0 + COPY_ROWS) - r0;
            long from = (long) r0 * n * Integer.BYTES;
            switch (outs[i]) {
                case Int8Output.Int32 o -> MemorySegment.copy(calls[i].acc(), ValueLayout.JAVA_INT, from, o.acc(),
                        r0 * n, rows * n);
                case Int8Output.Dequantized d -> MemorySegment.copy(calls[i].out(), ValueLayout.JAVA_FLOAT, from,
                        d.out(), r0 * n, rows * n);
            }
        };
        if (parallel) {
            pool.forEach(ws.length * blocks, copyRows);
        } else {
            for (int item = 0; item < ws.length * blocks; item++) {
                copyRows.accept(item);
            }
        }
    }

    /** Bytes of the packed weight copies held now (each weight's, once it has been multiplied here). */
    @Override
    public long packedBytes() {
        synchronized (packed) {
            long n = 0;
            for (MemorySegment p : packed.values()) {
                n += p.byteSize();
            }
            return n;
        }
    }

    /** The product whose panels include global panel {@code p}. */
    private static int owner(int[] firstPanel, int p) {
        int i = 0;
        while (firstPanel[i + 1] <= p) {
            i++;
        }
        return i;
    }

    private static final int COPY_ROWS = 16;

    /** W in the kernel's panel layout, packed on first use. */
    private MemorySegment packedWeights(Int8Weights w) {
        synchronized (packed) {
            MemorySegment p = packed.get(w);
            if (p != null) {
                return p;
            }
        }
        // packed outside the lock: other threads' products on other weights go on meanwhile
        int n = w.rows(), k = w.cols();
        MemorySegment p = Arena.ofAuto().allocate(Library.call(() -> (long) Library.PACKED_W_BYTES.invokeExact(n, k)),
                64);
        try (Arena staging = Arena.ofConfined()) {
            MemorySegment codes = native_(w.matrix().codes(), staging);
            MemorySegment sums = staging.allocateFrom(ValueLayout.JAVA_INT, w.rowSums());
            Library.call(() -> {
                Library.PACK_W.invokeExact(codes, sums, n, k, p);
                return null;
            });
        }
        synchronized (packed) {
            MemorySegment raced = packed.putIfAbsent(w, p);
            return raced == null ? p : raced;
        }
    }

    /** A shifted to unsigned and interleaved in strips, in the calling thread's scratch. */
    private MemorySegment packedActivations(QuantizedMatrix a, Scratch s) {
        int m = a.rows(), k = a.cols();
        long bytes = Library.call(() -> (long) Library.PACKED_A_BYTES.invokeExact(m, k));
        s.packed = Scratch.atLeast(s.packed, bytes);
        MemorySegment codes = a.codes();
        if (!codes.isNative()) {
            s.codes = Scratch.atLeast(s.codes, (long) m * k);
            MemorySegment.copy(codes, 0, s.codes, 0, (long) m * k);
            codes = s.codes;
        }
        MemorySegment source = codes, target = s.packed;
        int strips = (m + Library.STRIP_ROWS - 1) / Library.STRIP_ROWS;
        Library.call(() -> {
            Library.PACK_A.invokeExact(source, m, k, 0, strips, target);
            return null;
        });
        return target;
    }

    /** {@code codes} itself when native, else a copy in {@code arena}. */
    private static MemorySegment native_(MemorySegment codes, Arena arena) {
        if (codes.isNative()) {
            return codes;
        }
        MemorySegment copy = arena.allocate(codes.byteSize(), 64);
        MemorySegment.copy(codes, 0, copy, 0, codes.byteSize());
        return copy;
    }

    /** The arguments of one product; {@link #run} computes the output columns of panels [p0, p1). */
    private record Call(MemorySegment a, MemorySegment w, int m, int n, int k, MemorySegment acc, MemorySegment out,
                        MemorySegment aScales, boolean aPerRow, MemorySegment wScales, boolean wPerRow,
                        MemorySegment bias) {
        void run(int p0, int p1) {
            Library.call(() -> {
                Library.PANELS.invokeExact(a, w, m, n, k, p0, p1, acc, out, aScales, aPerRow ? 1 : 0, wScales,
                        wPerRow ? 1 : 0, bias);
                return null;
            });
        }
    }

    @Override
    public void close() {
        pool.close();
        synchronized (packed) {
            packed.clear();
        }
    }

    /** Finds and links the library once per JVM. */
    private static final class Library {
        static final MethodHandle PANELS, PACK_A, PACK_W, PACKED_A_BYTES, PACKED_W_BYTES;
        static final int PANEL_COLS, STRIP_ROWS;
        static final String REASON;

        static {
            MethodHandle[] h = null;
            int[] shape = {0, 0};
            String reason;
            try {
                reason = check();
                if (reason == null) {
                    h = link(path(), shape);
                }
            } catch (Throwable e) {
                reason = "cannot load " + RESOURCE + ": " + e;
                h = null;
            }
            PANELS = h == null ? null : h[0];
            PACK_A = h == null ? null : h[1];
            PACK_W = h == null ? null : h[2];
            PACKED_A_BYTES = h == null ? null : h[3];
            PACKED_W_BYTES = h == null ? null : h[4];
            PANEL_COLS = shape[0];
            STRIP_ROWS = shape[1];
            REASON = h == null ? reason : null;
        }

        interface Body<T> {
            T run() throws Throwable;
        }

        /** Runs a downcall, rethrowing what it throws (nothing, short of a linkage bug) unchecked. */
        static <T> T call(Body<T> body) {
            try {
                return body.run();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("native INT8 GEMM failed", e);
            }
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

        /** The downcall handles (panels, pack A, pack W, their sizes); the tile shape goes into {@code shape}. */
        private static MethodHandle[] link(Path lib, int[] shape) throws Throwable {
            Linker linker = Linker.nativeLinker();
            SymbolLookup symbols = SymbolLookup.libraryLookup(lib, Arena.global());
            ValueLayout p = ValueLayout.ADDRESS, i = ValueLayout.JAVA_INT, l = ValueLayout.JAVA_LONG;
            // critical (no thread-state change) only for the constant-time size queries; see the class comment
            Linker.Option[] quick = {Linker.Option.critical(false)}, none = {};
            java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> handle = (name, fd) ->
                    linker.downcallHandle(symbols.find(name).orElseThrow(() -> new IllegalStateException(
                            name + " not found in " + lib)), fd, name.contains("bytes") || name.contains("_cols")
                            || name.contains("_rows") ? quick : none);
            shape[0] = (int) handle.apply("sq_s8_panel_cols", FunctionDescriptor.of(i)).invokeExact();
            shape[1] = (int) handle.apply("sq_s8_strip_rows", FunctionDescriptor.of(i)).invokeExact();
            return new MethodHandle[]{
                    handle.apply("sq_s8gemm_panels", FunctionDescriptor.ofVoid(p, p, i, i, i, i, i, p, p, p, i, p,
                            i, p)),
                    handle.apply("sq_s8_pack_a", FunctionDescriptor.ofVoid(p, i, i, i, i, p)),
                    handle.apply("sq_s8_pack_w", FunctionDescriptor.ofVoid(p, p, i, i, p)),
                    handle.apply("sq_s8_packed_a_bytes", FunctionDescriptor.of(l, i, i)),
                    handle.apply("sq_s8_packed_w_bytes", FunctionDescriptor.of(l, i, i))};
        }
    }
}
