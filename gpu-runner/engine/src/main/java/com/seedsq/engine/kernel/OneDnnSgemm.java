package com.seedsq.engine.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * oneDNN's {@code dnnl_sgemm} (row-major FP32 GEMM) through the FFM API: the one binding of it in the engine, used by
 * {@link VectorKernels} for batched FP32 products and by the benchmark as the machine's FP32 GEMM ceiling.
 *
 * <p>The library is the system's {@code libdnnl.so.2} (e.g. Debian's {@code libdnnl2}), found through the loader
 * path and linked once per JVM; {@link #get} is empty, with the reason in {@link #unavailableReason()}, when it is
 * absent.
 *
 * <p>Operands are native memory. The downcalls are ordinary ones, not {@linkplain Linker.Option#critical critical}:
 * a critical call leaves the thread "in Java" for its whole length, which the JDK reserves for functions about as
 * short as an empty one. A GEMM of a millisecond held that way crashed the JVM under Flight Recorder's sampler
 * (JDK 25; 2 runs of 3 of {@code BertPrefillBench} with {@code -XX:StartFlightRecording}, heap corruption or a
 * SIGSEGV in {@code JfrStackTrace::write}), and it holds off every safepoint (GC) until it returns. Callers copy
 * heap arrays in and out ({@link OneDnnMatmul} per chunk, into per-thread buffers).
 *
 * <p>Threads: oneDNN's CPU runtime in the Debian build is OpenMP, whose thread count is a setting of the calling
 * thread ({@code omp_get_max_threads}: all cores unless {@code OMP_NUM_THREADS} says otherwise). Every call here
 * passes its thread count explicitly ({@code omp_set_num_threads} on the calling thread right before the product,
 * the previous setting restored right after), so results never depend on the environment or on what else the
 * calling thread runs through OpenMP. With one thread oneDNN runs on the calling thread and starts no OpenMP team.
 * This matters for determinism: with one thread a product is bit-identical call to call and whatever the alignment
 * of its operands (checked in {@code OneDnnMatmulTest}), but two threads split K on larger shapes and round
 * differently from one. When the library's runtime is not OpenMP (no {@code omp_set_num_threads} among its
 * symbols) the count cannot be passed and the library's own threading applies; {@link #describe()} says so.
 */
public final class OneDnnSgemm {

    private static final String LIBRARY = "libdnnl.so.2";
    /** For the two OpenMP setters only: each returns in nanoseconds, the case critical calls are meant for. */
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private final MethodHandle sgemm;
    /** {@code void omp_set_num_threads(int)} and {@code int omp_get_max_threads()}; null unless OpenMP. */
    private final MethodHandle ompSetNumThreads, ompGetMaxThreads;
    private final String description;

    private OneDnnSgemm(MethodHandle sgemm, MethodHandle ompSetNumThreads, MethodHandle ompGetMaxThreads,
                        String description) {
        this.sgemm = sgemm;
        this.ompSetNumThreads = ompSetNumThreads;
        this.ompGetMaxThreads = ompGetMaxThreads;
        this.description = description;
    }

    /** The binding, linked on first use; empty when {@code libdnnl.so.2} cannot be loaded. */
    public static Optional<OneDnnSgemm> get() {
        return Optional.ofNullable(Holder.INSTANCE);
    }

    /** Why {@link #get} is empty; null when it is not. */
    public static String unavailableReason() {
        return Holder.REASON;
    }

    /** The library's version and threading runtime, e.g. "oneDNN 2.6.3 (OpenMP)". */
    public String describe() {
        return description;
    }

    /** Whether {@code threads} arguments take effect (OpenMP runtime). */
    public boolean threadCountSettable() {
        return ompSetNumThreads != null;
    }

    /**
     * {@code out[m, n] = x[m, k] · w[n, k]ᵀ} with {@code w} row-major F32 (native), as {@link Kernels#matmul}, on
     * {@code threads} oneDNN (OpenMP) threads. Copies {@code x} and {@code out} through native memory of its own:
     * a convenience for tests, not a fast path.
     */
    public void matmul(float[] x, int m, MemorySegment w, int n, int k, float[] out, int threads) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            if (!w.isNative()) {
                w = arena.allocate(w.byteSize(), 64).copyFrom(w);
            }
            MemorySegment os = arena.allocate((long) m * n * Float.BYTES, 64);
            gemm(m, n, k, xs, k, w, k, os, n, threads);
            MemorySegment.copy(os, ValueLayout.JAVA_FLOAT, 0, out, 0, m * n);
        }
    }

    /**
     * {@code C[m, n] = A[m, k] · B[n, k]ᵀ}, all row-major with leading dimensions (elements between consecutive rows)
     * {@code lda}, {@code ldb}, {@code ldc}; each segment starts at element (0, 0) of its operand. C is overwritten
     * (beta = 0). Runs on {@code threads} threads where the runtime lets us say so (see the class comment). All three
     * must be native segments (see the class comment); a heap segment is refused.
     */
    public void gemm(int m, int n, int k, MemorySegment a, long lda, MemorySegment b, long ldb, MemorySegment c,
                     long ldc, int threads) {
        if (!a.isNative() || !b.isNative() || !c.isNative()) {
            throw new IllegalArgumentException("dnnl_sgemm operands must be native memory (a heap array would need "
                    + "a critical downcall)");
        }
        try {
            int status;
            if (ompSetNumThreads == null) {
                status = (int) sgemm.invokeExact((byte) 'N', (byte) 'T', (long) m, (long) n, (long) k, 1f, a, lda,
                        b, ldb, 0f, c, ldc);
            } else {
                int before = (int) ompGetMaxThreads.invokeExact();
                ompSetNumThreads.invokeExact(Math.max(1, threads));
                try {
                    status = (int) sgemm.invokeExact((byte) 'N', (byte) 'T', (long) m, (long) n, (long) k, 1f, a,
                            lda, b, ldb, 0f, c, ldc);
                } finally {
                    ompSetNumThreads.invokeExact(before);
                }
            }
            if (status != 0) {
                throw new IllegalStateException("dnnl_sgemm returned status " + status + " for m=" + m + " n=" + n
                        + " k=" + k);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Links the library once per JVM. */
    private static final class Holder {
        static final OneDnnSgemm INSTANCE;
        static final String REASON;

        static {
            OneDnnSgemm s = null;
            String reason;
            try {
                s = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? link() : null;
                reason = s != null ? null : ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN
                        ? "weights are little-endian and this platform is not" : LIBRARY + " has no dnnl_sgemm";
            } catch (IllegalArgumentException e) { // from libraryLookup: not found, or not loadable
                reason = LIBRARY + " not loadable (" + e.getMessage() + "; e.g. apt install libdnnl2)";
            } catch (Throwable e) {
                reason = "cannot link " + LIBRARY + ": " + e;
            }
            INSTANCE = s;
            REASON = reason;
        }

        private static OneDnnSgemm link() {
            SymbolLookup lib = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
            Linker linker = Linker.nativeLinker();
            ValueLayout c = ValueLayout.JAVA_BYTE, l = ValueLayout.JAVA_LONG, f = ValueLayout.JAVA_FLOAT,
                    p = ValueLayout.ADDRESS;
            Optional<MemorySegment> sgemm = lib.find("dnnl_sgemm");
            if (sgemm.isEmpty()) {
                return null;
            }
            MethodHandle gemm = linker.downcallHandle(sgemm.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, c, c, l, l, l, f, p, l, p, l, f, p, l));
            // dlsym on the library's handle also searches its dependencies, libgomp among them
            MethodHandle set = lib.find("omp_set_num_threads").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT), CRITICAL)).orElse(null);
            MethodHandle get = lib.find("omp_get_max_threads").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT), CRITICAL)).orElse(null);
            boolean omp = set != null && get != null;
            return new OneDnnSgemm(gemm, omp ? set : null, omp ? get : null, version(lib, linker, omp));
        }

        /** "oneDNN major.minor.patch (runtime)" from {@code dnnl_version()}; "oneDNN" alone if that fails. */
        private static String version(SymbolLookup lib, Linker linker, boolean omp) {
            String threads = omp ? "OpenMP" : "not OpenMP: thread count not settable";
            try {
                // const dnnl_version_t *dnnl_version(void): {int major, minor, patch; const char *hash;
                // unsigned cpu_runtime, gpu_runtime}
                StructLayout v = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("major"),
                        ValueLayout.JAVA_INT.withName("minor"), ValueLayout.JAVA_INT.withName("patch"),
                        MemoryLayout.paddingLayout(4), ValueLayout.ADDRESS.withName("hash"),
                        ValueLayout.JAVA_INT.withName("cpu_runtime"), ValueLayout.JAVA_INT.withName("gpu_runtime"));
                MemorySegment fn = lib.find("dnnl_version").orElseThrow();
                MemorySegment p = (MemorySegment) linker.downcallHandle(fn,
                        FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(v))).invokeExact();
                return "oneDNN " + p.get(ValueLayout.JAVA_INT, 0) + "." + p.get(ValueLayout.JAVA_INT, 4) + "."
                        + p.get(ValueLayout.JAVA_INT, 8) + " (" + threads + ")";
            } catch (Throwable e) {
                return "oneDNN (" + threads + ")";
            }
        }
    }
}
