/**
 * The CUDA backend: kernels written in CUDA C ({@code src/main/cuda}), compiled by {@code scripts/build-cuda.sh} into
 * the committed fatbin resource {@code cuda/sq_kernels.fatbin}, loaded with {@code cuModuleLoadData} and launched with
 * {@code cuLaunchKernel} through JCuda's driver API (its natives need only {@code libcuda.so.1}; no JCublas, no NVRTC).
 *
 * <p>Pure-Java planning ({@link com.seedsq.engine.cuda.GemmPlan}, {@link com.seedsq.engine.cuda.Launch}) decides tiles,
 * padding, grid and shared memory, and is unit-tested without a GPU. {@link com.seedsq.engine.cuda.CudaBackend#tryOpen()}
 * is the only entry point callers need: on a machine without a driver it returns empty after one log line, and the
 * caller stays on the CPU backend. {@link com.seedsq.engine.cuda.GpuBench} is the self-check and benchmark for a machine
 * with a GPU.
 */
package com.seedsq.engine.cuda;
