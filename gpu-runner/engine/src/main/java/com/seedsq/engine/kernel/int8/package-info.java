/**
 * INT8 × INT8 → INT32 GEMM with a fused dequantization: one interface
 * ({@link com.seedsq.engine.kernel.int8.Int8Gemm}), a scalar reference, a JDK Vector API kernel and a native AVX-512
 * VNNI kernel; {@link com.seedsq.engine.kernel.int8.Int8Kernels#best} picks the fastest that runs here and logs it.
 * {@link com.seedsq.engine.kernel.int8.Int8GemmBenchmark} measures them against FP32 and oneDNN.
 */
package com.seedsq.engine.kernel.int8;
