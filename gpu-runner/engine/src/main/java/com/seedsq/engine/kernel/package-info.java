/**
 * Compute primitives behind one small interface, {@link com.seedsq.engine.kernel.Kernels}: matmul of activations
 * [m, k] by weights [n, k] (F32, or F16/BF16 widened in the kernel), norms, softmax, RoPE, activations.
 * {@link com.seedsq.engine.kernel.ScalarKernels} is the plain reference; {@link com.seedsq.engine.kernel.VectorKernels}
 * is the JDK Vector API implementation, tiled and threaded over output rows, which hands batched matmuls (M &ge; 4)
 * to oneDNN's sgemm ({@link com.seedsq.engine.kernel.OneDnnSgemm}, the one binding of it) where {@code libdnnl.so.2}
 * is installed, unless {@code -Dsq.sgemm=java}.
 */
package com.seedsq.engine.kernel;
