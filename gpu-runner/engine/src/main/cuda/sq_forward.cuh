// The transformer forward's helpers in FP16 storage with FP32 arithmetic, mirroring the defaults of
// com.seedsq.engine.kernel.Kernels (rmsnorm, rope, softmax, swiglu, gelu) plus a single-sequence causal attention
// over a KV cache. Readable first: one block per row (or per query and head), no fusion beyond the obvious.
#pragma once

#include "sq_common.cuh"

// grid = rows, block = 256. out = weight * (x / sqrt(mean(x^2) + eps)).
__device__ void sq_rmsnorm(__half* out, const __half* x, const __half* weight, int dim, float eps) {
    const size_t o = (size_t)blockIdx.x * dim;
    float ss = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float v = __half2float(x[o + i]);
        ss += v * v;
    }
    ss = sq_block_sum(ss);
    const float inv = rsqrtf(ss / dim + eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x)
        out[o + i] = __float2half_rn(__half2float(weight[i]) * (inv * __half2float(x[o + i])));
}

// One thread per (row, head, pair). x is [m, rowStride] holding `heads` heads of headDim; row r is at position
// startPos + r. interleaved != 0 rotates (2i, 2i+1) (llama2.c, GGUF), else (i, i + headDim/2) (Hugging Face).
__device__ void sq_rope(__half* x, int m, int rowStride, int heads, int headDim, int startPos, float theta,
                        int interleaved) {
    const int half = headDim / 2;
    const long total = (long)m * heads * half;
    const long id = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= total) return;
    const int i = (int)(id % half);
    const int h = (int)((id / half) % heads);
    const int r = (int)(id / ((long)half * heads));
    const float freq = 1.0f / powf(theta, (2 * i) / (float)headDim);
    float s, c;
    sincosf((startPos + r) * freq, &s, &c);
    const size_t base = (size_t)r * rowStride + (size_t)h * headDim;
    const size_t a = interleaved ? base + 2 * i : base + i;
    const size_t b = interleaved ? a + 1 : a + half;
    const float v0 = __half2float(x[a]), v1 = __half2float(x[b]);
    x[a] = __float2half_rn(v0 * c - v1 * s);
    x[b] = __float2half_rn(v0 * s + v1 * c);
}

// grid = rows, block = 256: in-place softmax of each row of length len.
__device__ void sq_softmax(__half* x, int len) {
    __half* row = x + (size_t)blockIdx.x * len;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < len; i += blockDim.x) m = fmaxf(m, __half2float(row[i]));
    m = sq_block_max(m);
    float sum = 0.f;
    for (int i = threadIdx.x; i < len; i += blockDim.x) sum += __expf(__half2float(row[i]) - m);
    sum = sq_block_sum(sum);
    const float inv = 1.f / sum;
    for (int i = threadIdx.x; i < len; i += blockDim.x) row[i] = __float2half_rn(__expf(__half2float(row[i]) - m) * inv);
}

// Causal attention of one sequence. grid = (T queries, heads), block = 128, dynamic shared memory =
// (startPos + T) floats for the scores. q: [T, qStride] with head h at h*headDim; kCache, vCache: [S, kvStride]
// with KV head kh at kh*headDim, positions 0..startPos+T-1 already written; query head h reads KV head
// h / (heads / kvHeads) (GQA). Query t sits at position startPos + t and sees positions 0..startPos+t.
// out: [T, qStride] like q. scale is usually 1/sqrt(headDim).
__device__ void sq_attention(__half* out, const __half* q, const __half* kCache, const __half* vCache, int T,
                             int startPos, int heads, int kvHeads, int headDim, int qStride, int kvStride,
                             float scale) {
    extern __shared__ float sq_scores[];
    const int t = blockIdx.x, h = blockIdx.y;
    const int kh = h / (heads / kvHeads);
    const int len = startPos + t + 1;
    const __half* qh = q + (size_t)t * qStride + (size_t)h * headDim;

    float m = -INFINITY;
    for (int s = threadIdx.x; s < len; s += blockDim.x) {
        const __half* k = kCache + (size_t)s * kvStride + (size_t)kh * headDim;
        float dot = 0.f;
        for (int d = 0; d < headDim; d++) dot += __half2float(qh[d]) * __half2float(k[d]);
        dot *= scale;
        sq_scores[s] = dot;
        m = fmaxf(m, dot);
    }
    m = sq_block_max(m);
    float sum = 0.f;
    for (int s = threadIdx.x; s < len; s += blockDim.x) {
        float e = __expf(sq_scores[s] - m);
        sq_scores[s] = e;
        sum += e;
    }
    sum = sq_block_sum(sum);  // its __syncthreads also publishes sq_scores
    const float inv = 1.f / sum;
    __half* oh = out + (size_t)t * qStride + (size_t)h * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float a = 0.f;
        for (int s = 0; s < len; s++) a += sq_scores[s] * __half2float(vCache[(size_t)s * kvStride + (size_t)kh * headDim + d]);
        oh[d] = __float2half_rn(a * inv);
    }
}

__device__ __forceinline__ long sq_tid() { return (long)blockIdx.x * blockDim.x + threadIdx.x; }

// gate[i] = silu(gate[i]) * up[i]
__device__ void sq_swiglu(__half* gate, const __half* up, long n) {
    long i = sq_tid();
    if (i >= n) return;
    float g = __half2float(gate[i]);
    gate[i] = __float2half_rn(g / (1.f + __expf(-g)) * __half2float(up[i]));
}

// x[i] = silu(x[i])
__device__ void sq_silu(__half* x, long n) {
    long i = sq_tid();
    if (i >= n) return;
    float g = __half2float(x[i]);
    x[i] = __float2half_rn(g / (1.f + __expf(-g)));
}

// GELU, tanh approximation.
__device__ void sq_gelu_tanh(__half* x, long n) {
    long i = sq_tid();
    if (i >= n) return;
    float v = __half2float(x[i]);
    x[i] = __float2half_rn(0.5f * v * (1.f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v))));
}

// x[i] += y[i] (residual)
__device__ void sq_add(__half* x, const __half* y, long n) {
    long i = sq_tid();
    if (i >= n) return;
    x[i] = __float2half_rn(__half2float(x[i]) + __half2float(y[i]));
}

__device__ void sq_to_f16(__half* out, const float* in, long n) {
    long i = sq_tid();
    if (i < n) out[i] = __float2half_rn(in[i]);
}

__device__ void sq_to_f32(float* out, const __half* in, long n) {
    long i = sq_tid();
    if (i < n) out[i] = __half2float(in[i]);
}
