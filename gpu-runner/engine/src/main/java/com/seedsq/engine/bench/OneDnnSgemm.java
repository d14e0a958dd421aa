package com.seedsq.engine.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * oneDNN's {@code dnnl_sgemm} (row-major FP32 GEMM), the yardstick for our FP32 matmul in the benchmark: the
 * system's {@code libdnnl.so.2} (e.g. Debian's {@code libdnnl2}, found through the loader path); absent, the
 * benchmark says so and prints only our numbers.
 */
final class OneDnnSgemm {

    private final MethodHandle sgemm;

    private OneDnnSgemm(MethodHandle sgemm) {
        this.sgemm = sgemm;
    }

    static Optional<OneDnnSgemm> load() {
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup("libdnnl.so.2", Arena.global());
            ValueLayout c = ValueLayout.JAVA_BYTE, l = ValueLayout.JAVA_LONG, f = ValueLayout.JAVA_FLOAT,
                    p = ValueLayout.ADDRESS;
            FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, c, c, l, l, l, f, p, l, p, l, f, p, l);
            return lib.find("dnnl_sgemm").map(s -> new OneDnnSgemm(Linker.nativeLinker().downcallHandle(s, fd,
                    Linker.Option.critical(true))));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // library not found
        }
    }

    /** {@code out[m, n] = x[m, k] · w[n, k]ᵀ} with {@code w} row-major F32, as our {@code Kernels.matmul}. */
    void matmul(float[] x, int m, MemorySegment w, int n, int k, float[] out) {
        try {
            int status = (int) sgemm.invokeExact((byte) 'N', (byte) 'T', (long) m, (long) n, (long) k, 1f,
                    MemorySegment.ofArray(x), (long) k, w, (long) k, 0f, MemorySegment.ofArray(out), (long) n);
            if (status != 0) {
                throw new IllegalStateException("dnnl_sgemm returned status " + status);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
