// INT8 activation quantization, bit-compatible with com.seedsq.engine.quant.Int8Quantizer:
//   v     = x * inputScale[c]            (the smoothing factor 1/s fused into the pass; inputScale may be null)
//   scale = max(absmax(v), 1e-5) / 127   (true float division)
//   q     = clamp(rint(v / scale), -127, 127)  (true division, round half to even)
// Outputs are written with a row stride ldq >= cols; columns [cols, ldq) are zero-filled so the GEMM can run on a
// K padded to its tile multiple without a separate padding pass.
#pragma once

#include "sq_common.cuh"

__device__ __forceinline__ float sq_smoothed(float x, const float* inputScale, int c) {
    return inputScale == nullptr ? x : __fmul_rn(x, inputScale[c]);
}

__device__ __forceinline__ int8_t sq_quantize_one(float v, float scale) {
    float q = rintf(__fdiv_rn(v, scale));
    q = fminf(fmaxf(q, -(float)SQ_QMAX), (float)SQ_QMAX);
    return static_cast<int8_t>(static_cast<int>(q));
}

__device__ __forceinline__ float sq_scale_of(float absmax) {
    return __fdiv_rn(fmaxf(absmax, SQ_MIN_ABSMAX), (float)SQ_QMAX);
}

// grid = rows, block = any multiple of 32: one block quantizes one token row with its own scale.
template <typename T>
__device__ void sq_quantize_per_token(const T* x, const float* inputScale, int8_t* q, float* scales, int rows,
                                      int cols, int ldq) {
    int r = blockIdx.x;
    if (r >= rows) return;
    const size_t in = (size_t)r * cols;
    float m = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, fabsf(sq_smoothed(sq_load(x, in + c), inputScale, c)));
    m = sq_block_max(m);
    float s = sq_scale_of(m);
    if (threadIdx.x == 0) scales[r] = s;
    int8_t* out = q + (size_t)r * ldq;
    for (int c = threadIdx.x; c < ldq; c += blockDim.x)
        out[c] = c < cols ? sq_quantize_one(sq_smoothed(sq_load(x, in + c), inputScale, c), s) : 0;
}

// Per-tensor, pass 1: grid = rows; folds every row's abs-max into *absmax (zeroed by the host first). Non-negative
// floats order like their bit patterns, so an integer atomicMax on the bits is a float max.
template <typename T>
__device__ void sq_absmax(const T* x, const float* inputScale, int rows, int cols, float* absmax) {
    int r = blockIdx.x;
    if (r >= rows) return;
    const size_t in = (size_t)r * cols;
    float m = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, fabsf(sq_smoothed(sq_load(x, in + c), inputScale, c)));
    m = sq_block_max(m);
    if (threadIdx.x == 0) atomicMax(reinterpret_cast<int*>(absmax), __float_as_int(m));
}

// Per-tensor (dynamic after pass 1 + sq_absmax_to_scale, or static from calibration), pass 2: grid = rows.
template <typename T>
__device__ void sq_quantize_with_scale(const T* x, const float* inputScale, int8_t* q, const float* scale, int rows,
                                       int cols, int ldq) {
    int r = blockIdx.x;
    if (r >= rows) return;
    const float s = *scale;
    const size_t in = (size_t)r * cols;
    int8_t* out = q + (size_t)r * ldq;
    for (int c = threadIdx.x; c < ldq; c += blockDim.x)
        out[c] = c < cols ? sq_quantize_one(sq_smoothed(sq_load(x, in + c), inputScale, c), s) : 0;
}
