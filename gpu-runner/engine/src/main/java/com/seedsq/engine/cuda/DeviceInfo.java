package com.seedsq.engine.cuda;

/** What the driver says about one GPU; {@link #describe()} is the line reports print. */
public record DeviceInfo(int ordinal, String name, int ccMajor, int ccMinor, long totalMemoryBytes, int multiprocessors,
                         int maxSharedPerBlockOptin, int driverVersion) {

    public String computeCapability() {
        return ccMajor + "." + ccMinor;
    }

    /** The driver's CUDA version, e.g. 13000 → "13.0". */
    public String driver() {
        return (driverVersion / 1000) + "." + (driverVersion % 1000 / 10);
    }

    /** Whether the fatbin's kernels can run: they need sm_80 (cp.async, ldmatrix, mma.sync s8 m16n8k32). */
    public boolean supported() {
        return ccMajor >= 8;
    }

    public String describe() {
        return String.format(java.util.Locale.ROOT, "GPU %d: %s, compute capability %s, %.1f GiB, %d SMs, CUDA driver %s",
                ordinal, name, computeCapability(), totalMemoryBytes / (double) (1L << 30), multiprocessors, driver());
    }
}
