/**
 * Compute primitives behind one small interface, {@link com.seedsq.engine.kernel.Kernels}: matmul of activations
 * [m, k] by weights [n, k] (F32, or F16/BF16 widened in the kernel), norms, softmax, RoPE, activations.
 * {@link com.seedsq.engine.kernel.ScalarKernels} is the plain reference; {@link com.seedsq.engine.kernel.VectorKernels}
 * is the JDK Vector API implementation, tiled and threaded over output rows.
 */
package com.seedsq.engine.kernel;
