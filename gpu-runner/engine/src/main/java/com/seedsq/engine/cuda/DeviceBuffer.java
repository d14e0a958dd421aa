package com.seedsq.engine.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** A device allocation of {@code bytes}; {@link #close()} frees it (once). */
public final class DeviceBuffer implements AutoCloseable {

    private final CUdeviceptr ptr;
    private final long bytes;
    private boolean freed;

    DeviceBuffer(CUdeviceptr ptr, long bytes) {
        this.ptr = ptr;
        this.bytes = bytes;
    }

    public CUdeviceptr ptr() {
        return ptr;
    }

    public long bytes() {
        return bytes;
    }

    /** The kernel-parameter form: a pointer to the device address. */
    Pointer param() {
        return Pointer.to(ptr);
    }

    /** A kernel parameter for an optional buffer: its address, or a null device pointer. */
    static Pointer param(DeviceBuffer b) {
        return b == null ? Pointer.to(new long[]{0L}) : b.param();
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            JCudaDriver.cuMemFree(ptr);
        }
    }
}
