package com.seedsq.engine.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** A device allocation of {@code bytes}; {@link #close()} frees it (once). */
public final class DeviceBuffer implements AutoCloseable {

    private final CUdeviceptr ptr;
    private final long bytes;
    private final boolean owner;
    /** Bytes from the start of the allocation (cuMemAlloc returns 256-byte aligned addresses). */
    private final long offset;
    private boolean freed;

    DeviceBuffer(CUdeviceptr ptr, long bytes) {
        this(ptr, bytes, true, 0);
    }

    private DeviceBuffer(CUdeviceptr ptr, long bytes, boolean owner, long offset) {
        this.ptr = ptr;
        this.bytes = bytes;
        this.owner = owner;
        this.offset = offset;
    }

    /** Whether the address is a multiple of {@code alignment} (a power of two up to 256), for vector loads. */
    public boolean aligned(int alignment) {
        return offset % alignment == 0;
    }

    /** A view of {@code [offset, offset + length)} of this buffer; closing a view frees nothing. */
    public DeviceBuffer slice(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > bytes) {
            throw new IllegalArgumentException("slice [" + offset + ", " + (offset + length) + ") of a " + bytes
                    + "-byte buffer");
        }
        return new DeviceBuffer(ptr.withByteOffset(offset), length, false, this.offset + offset);
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
        if (owner && !freed) {
            freed = true;
            JCudaDriver.cuMemFree(ptr);
        }
    }
}
