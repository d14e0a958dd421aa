package com.seedsq.engine.kernel.int8;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Picks the fastest INT8 GEMM that runs here: the native VNNI kernel when available, else the Java Vector API one.
 * The choice is logged once, because a silent fallback would make a latency report unexplainable.
 */
public final class Int8Kernels {

    private static final System.Logger LOG = System.getLogger(Int8Kernels.class.getName());
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private Int8Kernels() {
    }

    public static Int8Gemm best(int threads) {
        Int8Gemm g = NativeInt8Gemm.load(threads).<Int8Gemm>map(k -> k).orElseGet(() -> new VectorInt8Gemm(threads));
        if (LOGGED.compareAndSet(false, true)) {
            String why = NativeInt8Gemm.unavailableReason();
            LOG.log(System.Logger.Level.INFO, "INT8 GEMM kernel: " + g.name() + ", " + threads + " threads"
                    + (why == null ? "" : " (native kernel unavailable: " + why + ")"));
        }
        return g;
    }
}
