package com.seedsq.worker.device;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

/**
 * Asks the CUDA driver, through JCuda's driver API, which GPUs this machine has. JCuda's natives need only
 * {@code libcuda.so.1}; on a machine without a driver the first call fails with an {@link UnsatisfiedLinkError} or
 * a {@link jcuda.CudaException}. That is a normal answer ("no CUDA here"), never a reason to stop the runner.
 */
final class CudaProbe {

    /** What the probe found: the GPUs, or why there are none. */
    record Result(List<ComputeBackend> devices, String unavailableReason) {
    }

    private CudaProbe() {
    }

    static Result probe() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            cuInit(0);
            int[] version = new int[1];
            cuDriverGetVersion(version);
            int[] count = new int[1];
            cuDeviceGetCount(count);
            List<ComputeBackend> devices = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                devices.add(describe(i, version[0]));
            }
            return devices.isEmpty()
                    ? new Result(List.of(), "the CUDA driver answered but reports no device")
                    : new Result(devices, null);
        } catch (Throwable e) { // LinkageError (no libcuda.so.1) or CudaException (driver present, no usable GPU)
            return new Result(List.of(), e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
        }
    }

    private static ComputeBackend describe(int ordinal, int driverVersion) {
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        long[] memory = new long[1];
        cuDeviceTotalMem(memory, device);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("ordinal", ordinal);
        detail.put("computeCapability", attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + "." + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
        detail.put("memoryBytes", memory[0]);
        detail.put("multiprocessors", attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
        detail.put("driverVersion", (driverVersion / 1000) + "." + (driverVersion % 1000 / 10));
        return new ComputeBackend("cuda", cString(name), detail);
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = new int[1];
        cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
