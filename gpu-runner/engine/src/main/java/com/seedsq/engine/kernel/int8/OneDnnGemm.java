package com.seedsq.engine.kernel.int8;

import com.seedsq.engine.quant.QuantizedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;

/**
 * oneDNN's {@code dnnl_gemm_s8s8s32}, the yardstick the benchmark measures our INT8 GEMM against (the system's
 * {@code libdnnl.so.2}, e.g. Debian's {@code libdnnl-dev}; absent, the benchmark skips it). Not a production
 * kernel: it has no fused dequantization, and its threads are OpenMP's, not ours.
 *
 * <p>Like {@link NativeInt8Gemm} it is fed native memory through an ordinary (not critical) downcall, with the same
 * per-call copies (A's codes in, the INT32 result out) and W copied once per weight, so the two are compared like for
 * like.
 */
final class OneDnnGemm {

    private final MethodHandle gemm;
    /** The single fixed C offset ({@code offsetc = 'F'}): none. */
    private final MemorySegment zeroOffset = Arena.ofAuto().allocate(Integer.BYTES);
    private final Map<Int8Weights, MemorySegment> nativeWeights = new WeakHashMap<>();
    private final ThreadLocal<MemorySegment[]> scratch = ThreadLocal.withInitial(
            () -> new MemorySegment[]{MemorySegment.NULL, MemorySegment.NULL});

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
                    new Linker.Option[0])));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // library not found
        }
    }

    /** {@code acc[M, N] = A[M, K] · W[N, K]ᵀ}, row-major, no offsets. */
    void multiplyInt32(QuantizedMatrix a, Int8Weights w, int[] acc) {
        long m = a.rows(), n = w.rows(), k = a.cols();
        MemorySegment wn;
        synchronized (nativeWeights) {
            wn = nativeWeights.computeIfAbsent(w, x -> copy(x.matrix().codes(), Arena.ofAuto()));
        }
        MemorySegment[] s = scratch.get();
        if (s[0].byteSize() < m * k) {
            s[0] = Arena.ofAuto().allocate(m * k, 64);
        }
        if (s[1].byteSize() < m * n * Integer.BYTES) {
            s[1] = Arena.ofAuto().allocate(m * n * Integer.BYTES, 64);
        }
        MemorySegment.copy(a.codes(), 0, s[0], 0, m * k);
        try {
            int status = (int) gemm.invokeExact((byte) 'N', (byte) 'T', (byte) 'F', m, n, k, 1f, s[0], k,
                    (byte) 0, wn, k, (byte) 0, 0f, s[1], n, zeroOffset);
            MemorySegment.copy(s[1], ValueLayout.JAVA_INT, 0, acc, 0, (int) (m * n));
            if (status != 0) {
                throw new IllegalStateException("dnnl_gemm_s8s8s32 returned status " + status);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemorySegment copy(MemorySegment codes, Arena arena) {
        MemorySegment c = arena.allocate(codes.byteSize(), 64);
        MemorySegment.copy(codes, 0, c, 0, codes.byteSize());
        return c;
    }
}
