package com.seedsq.engine.cuda;

import java.util.Optional;

/**
 * The CUDA backend as a whole: one device, the kernels of the committed fatbin loaded on it, and the INT8 GEMM.
 *
 * <p>{@link #tryOpen()} never throws for a missing GPU: without {@code libcuda.so.1} JCuda's natives fail to link
 * ({@link UnsatisfiedLinkError}; later attempts see {@link NoClassDefFoundError}), with a driver but no usable GPU the
 * driver answers with a {@link jcuda.CudaException}. Either way it logs one line saying why and that the CPU backend
 * is used, and returns empty; {@link #unavailableReason()} keeps the reason for reports.
 */
public final class CudaBackend implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CudaBackend.class.getName());
    private static volatile String unavailableReason;
    private static volatile boolean logged;

    private final CudaDevice device;
    private final CudaKernels kernels;

    private CudaBackend(CudaDevice device, CudaKernels kernels) {
        this.device = device;
        this.kernels = kernels;
    }

    public static Optional<CudaBackend> tryOpen() {
        return tryOpen(0);
    }

    public static Optional<CudaBackend> tryOpen(int ordinal) {
        CudaDevice device = null;
        try {
            device = CudaDevice.open(ordinal);
            DeviceInfo info = device.info();
            if (!info.supported()) {
                throw new IllegalStateException(info.name() + " has compute capability " + info.computeCapability()
                        + ", the kernels need 8.0 or newer");
            }
            CudaKernels kernels = new CudaKernels(device, CudaFatbin.load());
            unavailableReason = null;
            LOG.log(System.Logger.Level.INFO, "CUDA backend: " + info.describe());
            return Optional.of(new CudaBackend(device, kernels));
        } catch (LinkageError | RuntimeException e) {
            if (device != null) {
                try {
                    device.close();
                } catch (LinkageError | RuntimeException ignored) {
                    // the reason below is what matters
                }
            }
            String reason = reason(e);
            unavailableReason = reason;
            if (!logged) {
                logged = true;
                LOG.log(System.Logger.Level.INFO, "CUDA backend unavailable, using the CPU backend (" + reason + ")");
            }
            return Optional.empty();
        }
    }

    /** Why the last {@link #tryOpen} returned empty; null if it succeeded or was never called. */
    public static String unavailableReason() {
        return unavailableReason;
    }

    /** One line: the exception's headline, and "no NVIDIA driver" where JCuda's natives could not link libcuda. */
    static String reason(Throwable e) {
        String m = e.getMessage();
        String head = e.getClass().getSimpleName() + ": " + firstLine(m);
        if (m != null && m.contains("libcuda.so.1")) {
            return "no NVIDIA driver, libcuda.so.1 not found; " + head;
        }
        return head;
    }

    static String firstLine(String message) {
        if (message == null || message.isBlank()) {
            return "no detail";
        }
        String m = message.strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl).strip();
    }

    public String name() {
        return "cuda";
    }

    public DeviceInfo info() {
        return device.info();
    }

    public CudaDevice device() {
        return device;
    }

    public CudaKernels kernels() {
        return kernels;
    }

    /** A new INT8 GEMM on this device (close it to free the weights it uploaded). */
    public CudaInt8Gemm int8Gemm() {
        return new CudaInt8Gemm(kernels);
    }

    @Override
    public void close() {
        kernels.close();
        device.close();
    }
}
