package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.quant.QuantizedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * oneDNN's {@code dnnl_gemm_s8s8s32}, the yardstick the benchmark measures our INT8 GEMM against (the system's
 * {@code libdnnl.so.2}, e.g. Debian's {@code libdnnl-dev}; absent, the benchmark skips it). Not a production
 * kernel: it has no fused dequantization, and its threads are OpenMP's, not ours.
 */
final class OneDnnGemm {

    private final MethodHandle gemm;
    /** The single fixed C offset ({@code offsetc = 'F'}): none. */
    private final MemorySegment zeroOffset = MemorySegment.ofArray(new int[1]);

    private OneDnnGemm(MethodHandle gemm) {
        this.gemm = gemm;
    }

    static Optional<OneDnnGemm> load() {
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup("libdnnl.so.2", Arena.global());
            ValueLayout c = ValueLayout.JAVA_BYTE, l = ValueLayout.JAVA_LONG, f = ValueLayout.JAVA_FLOAT,
                    p = ValueLayout.ADDRESS;
            FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, c, c, c, l, l, l, f, p, l, c, p, l,
                    c, f, p, l, p);
            return lib.find("dnnl_gemm_s8s8s32").map(s -> new OneDnnGemm(Linker.nativeLinker().downcallHandle(s, fd,
                    Linker.Option.critical(true))));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // library not found
        }
    }

    /** {@code acc[M, N] = A[M, K] · W[N, K]ᵀ}, row-major, no offsets. */
    void multiplyInt32(QuantizedMatrix a, Int8Weights w, int[] acc) {
        long m = a.rows(), n = w.rows(), k = a.cols();
        try {
            int status = (int) gemm.invokeExact((byte) 'N', (byte) 'T', (byte) 'F', m, n, k, 1f, a.codes(), k,
                    (byte) 0, w.matrix().codes(), k, (byte) 0, 0f, MemorySegment.ofArray(acc), n, zeroOffset);
            if (status != 0) {
                throw new IllegalStateException("dnnl_gemm_s8s8s32 returned status " + status);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
