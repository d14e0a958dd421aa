package com.seedsq.engine.cuda;

import jcuda.Pointer;
import jcuda.driver.CUDA_MEMCPY2D;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmemorytype;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpy2DAsync;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * One GPU through JCuda's driver API: its primary context (made current on the calling thread), one non-blocking
 * stream every launch and copy goes through, device memory, events, and module loading. Errors throw
 * {@link jcuda.CudaException} (exceptions are switched on before the first call).
 *
 * <p>Not thread-safe: use a device from one thread, or call {@link #makeCurrent()} on the thread that uses it.
 */
public final class CudaDevice implements AutoCloseable {

    private final CUdevice device;
    private final CUcontext context;
    private final CUstream stream;
    private final DeviceInfo info;
    private boolean closed;

    private CudaDevice(CUdevice device, CUcontext context, CUstream stream, DeviceInfo info) {
        this.device = device;
        this.context = context;
        this.stream = stream;
        this.info = info;
    }

    /** Initialises the driver; throws {@link UnsatisfiedLinkError} without libcuda.so.1, CudaException without a GPU. */
    static int deviceCount() {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        int[] count = new int[1];
        cuDeviceGetCount(count);
        return count[0];
    }

    public static CudaDevice open(int ordinal) {
        int count = deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + " (the driver reports " + count + ")");
        }
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        DeviceInfo info = describe(ordinal, device);
        CUcontext context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
        CUstream stream = new CUstream();
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        return new CudaDevice(device, context, stream, info);
    }

    static DeviceInfo describe(int ordinal, CUdevice device) {
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        long[] memory = new long[1];
        cuDeviceTotalMem(memory, device);
        int[] version = new int[1];
        cuDriverGetVersion(version);
        return new DeviceInfo(ordinal, cString(name),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                memory[0],
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
                version[0]);
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] v = new int[1];
        cuDeviceGetAttribute(v, attribute, device);
        return v[0];
    }

    static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.US_ASCII);
    }

    public DeviceInfo info() {
        return info;
    }

    public CUstream stream() {
        return stream;
    }

    public void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    /** Free and total device memory now, in bytes. */
    public long[] memoryInfo() {
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        return new long[]{free[0], total[0]};
    }

    // ---- modules and launches ----

    /** Loads a fatbin, cubin or PTX image; the driver picks the SASS for this GPU or JIT-compiles the PTX. */
    public CUmodule loadModule(byte[] image) {
        CUmodule module = new CUmodule();
        cuModuleLoadData(module, image);
        return module;
    }

    public void unloadModule(CUmodule module) {
        cuModuleUnload(module);
    }

    public CUfunction function(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        return f;
    }

    /** Allows {@code bytes} of dynamic shared memory (needed above 48 KiB). */
    public void allowSharedMemory(CUfunction f, int bytes) {
        if (bytes > info.maxSharedPerBlockOptin()) {
            throw new IllegalArgumentException(bytes + " B of shared memory requested, " + info.name() + " allows "
                    + info.maxSharedPerBlockOptin());
        }
        cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    /** Launches on this device's stream; {@code params} is {@code Pointer.to(Pointer.to(arg0), ...)}. */
    public void launch(CUfunction f, Launch l, Pointer params) {
        cuLaunchKernel(f, l.gridX(), l.gridY(), l.gridZ(), l.blockX(), l.blockY(), l.blockZ(), l.sharedBytes(),
                stream, params, null);
    }

    public void synchronize() {
        cuStreamSynchronize(stream);
    }

    // ---- memory ----

    public DeviceBuffer allocate(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, Math.max(bytes, 1));
        return new DeviceBuffer(p, bytes);
    }

    public DeviceBuffer upload(byte[] host) {
        DeviceBuffer b = allocate(host.length);
        copyIn(b, Pointer.to(host), host.length);
        return b;
    }

    public DeviceBuffer upload(float[] host) {
        DeviceBuffer b = allocate((long) host.length * Float.BYTES);
        copyIn(b, Pointer.to(host), (long) host.length * Float.BYTES);
        return b;
    }

    /** FP16 codes as stored ({@link Float#floatToFloat16}). */
    public DeviceBuffer upload(short[] host) {
        DeviceBuffer b = allocate((long) host.length * Short.BYTES);
        copyIn(b, Pointer.to(host), (long) host.length * Short.BYTES);
        return b;
    }

    public void copyIn(DeviceBuffer dst, Pointer src, long bytes) {
        checkSize(dst, bytes);
        synchronize(); // copies are synchronous with respect to the stream's earlier work
        cuMemcpyHtoD(dst.ptr(), src, bytes);
    }

    public void copyOut(Pointer dst, DeviceBuffer src, long bytes) {
        checkSize(src, bytes);
        synchronize();
        cuMemcpyDtoH(dst, src.ptr(), bytes);
    }

    public void download(DeviceBuffer src, float[] dst) {
        copyOut(Pointer.to(dst), src, (long) dst.length * Float.BYTES);
    }

    public void download(DeviceBuffer src, int[] dst) {
        copyOut(Pointer.to(dst), src, (long) dst.length * Integer.BYTES);
    }

    public void download(DeviceBuffer src, short[] dst) {
        copyOut(Pointer.to(dst), src, (long) dst.length * Short.BYTES);
    }

    public void download(DeviceBuffer src, byte[] dst) {
        copyOut(Pointer.to(dst), src, dst.length);
    }

    /**
     * Copies {@code rows} rows of {@code widthBytes} from {@code src} (row pitch {@code srcPitch}) to {@code dst}
     * (row pitch {@code dstPitch}), device to device, on the stream: how a [rows, K] activation becomes a GEMM
     * operand with a padded K stride (the pad columns keep whatever they held, zero when the buffer was zeroed).
     */
    public void copy2d(DeviceBuffer dst, long dstPitch, DeviceBuffer src, long srcPitch, long widthBytes, int rows) {
        if (widthBytes > dstPitch || widthBytes > srcPitch) {
            throw new IllegalArgumentException(widthBytes + "-byte rows do not fit pitches " + srcPitch + "/" + dstPitch);
        }
        checkSize(dst, rows == 0 ? 0 : dstPitch * (rows - 1) + widthBytes);
        checkSize(src, rows == 0 ? 0 : srcPitch * (rows - 1) + widthBytes);
        CUDA_MEMCPY2D m = new CUDA_MEMCPY2D();
        m.srcMemoryType = CUmemorytype.CU_MEMORYTYPE_DEVICE;
        m.srcDevice = src.ptr();
        m.srcPitch = srcPitch;
        m.dstMemoryType = CUmemorytype.CU_MEMORYTYPE_DEVICE;
        m.dstDevice = dst.ptr();
        m.dstPitch = dstPitch;
        m.WidthInBytes = widthBytes;
        m.Height = rows;
        cuMemcpy2DAsync(m, stream);
    }

    /** Sets {@code words} 32-bit words to {@code value}, on the stream. */
    public void fill32(DeviceBuffer dst, int value, long words) {
        checkSize(dst, words * 4);
        cuMemsetD32Async(dst.ptr(), value, words, stream);
    }

    private static void checkSize(DeviceBuffer b, long bytes) {
        if (bytes > b.bytes()) {
            throw new IllegalArgumentException(bytes + " bytes do not fit a " + b.bytes() + "-byte buffer");
        }
    }

    // ---- events ----

    public CUevent event() {
        CUevent e = new CUevent();
        cuEventCreate(e, 0);
        return e;
    }

    public void record(CUevent e) {
        cuEventRecord(e, stream);
    }

    /** Milliseconds between two recorded events (waits for the second). */
    public float elapsedMs(CUevent start, CUevent end) {
        cuEventSynchronize(end);
        float[] ms = new float[1];
        cuEventElapsedTime(ms, start, end);
        return ms[0];
    }

    /**
     * Records what {@code body} queues on this device's stream as a CUDA graph instead of running it (kernel
     * launches only: a synchronization or host copy inside fails the capture). Replaying it with
     * {@link CudaGraph#launch()} costs one host call instead of one per kernel, which is what decode, hundreds of
     * small kernels per token, is bound by when launched one by one from Java.
     */
    public CudaGraph capture(Runnable body) {
        cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        CUgraph graph = new CUgraph();
        try {
            body.run();
        } finally {
            cuStreamEndCapture(stream, graph); // ends the capture even when body failed, so the stream stays usable
        }
        CUgraphExec exec = new CUgraphExec();
        try {
            cuGraphInstantiate(exec, graph, 0);
        } finally {
            cuGraphDestroy(graph);
        }
        return new CudaGraph(exec);
    }

    /** An instantiated graph ({@link #capture}): replay it on the stream as often as needed, then close it. */
    public final class CudaGraph implements AutoCloseable {
        private final CUgraphExec exec;

        private CudaGraph(CUgraphExec exec) {
            this.exec = exec;
        }

        public void launch() {
            cuGraphLaunch(exec, stream);
        }

        @Override
        public void close() {
            cuGraphExecDestroy(exec);
        }
    }

    public void destroy(CUevent e) {
        cuEventDestroy(e);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cuStreamSynchronize(stream);
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
    }
}
