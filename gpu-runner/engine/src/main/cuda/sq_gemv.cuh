// Skinny products (decode: a handful of token rows) on CUDA cores. With 1-8 rows a GEMM is a weight stream: what
// matters is reading W once at full memory bandwidth, and a 16x8 tensor-core tile would mostly multiply padding.
// One warp per output column n reads that column's weight row with 16-byte loads while every row of the block
// re-reads its activations (small, L1/L2-resident); INT8 accumulates exactly with dp4a, FP16 in FP32.
//
// Same signature, operand layout, padding rules (kBytes % 64 == 0) and epilogue (sq_store) as sq_gemm, so the host
// treats it as one more tile, "v" (GemmTile.GEMV). It is correct for any M (grid.y covers M in blocks of ROWS) but
// only fast for M <= ROWS.
//   grid = (ceil(N / WARPS), ceil(M / ROWS)), block = WARPS * 32, no shared memory.
#pragma once

#include "sq_gemm.cuh"

// BM (rows per block), BN (columns per block = warps), WARPS_M, WARPS_N, STAGES (none), BK (the padding unit):
// GemmTile.GEMV must match.
#define SQ_TILE_v 8, 8, 1, 8, 0, 64
#define SQ_GEMV_ROWS 8
#define SQ_GEMV_WARPS 8

__device__ __forceinline__ int sq_dot16(int acc, const uint4& a, const uint4& w) {
    acc = __dp4a((int)a.x, (int)w.x, acc);
    acc = __dp4a((int)a.y, (int)w.y, acc);
    acc = __dp4a((int)a.z, (int)w.z, acc);
    return __dp4a((int)a.w, (int)w.w, acc);
}

__device__ __forceinline__ float sq_dot16(float acc, const uint4& a, const uint4& w) {
    const __half2* a2 = reinterpret_cast<const __half2*>(&a);
    const __half2* w2 = reinterpret_cast<const __half2*>(&w);
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const float2 af = __half22float2(a2[i]), wf = __half22float2(w2[i]);
        acc = fmaf(af.x, wf.x, acc);
        acc = fmaf(af.y, wf.y, acc);
    }
    return acc;
}

__device__ __forceinline__ int sq_shfl_xor(int v, int o) { return __shfl_xor_sync(0xffffffffu, v, o); }
__device__ __forceinline__ float sq_shfl_xor(float v, int o) { return __shfl_xor_sync(0xffffffffu, v, o); }

template <int ROWS, int WARPS, bool INT8, int OUT>
__device__ void sq_gemv(const uint8_t* __restrict__ A, const uint8_t* __restrict__ W, void* __restrict__ C, int M,
                        int N, int kBytes, const float* __restrict__ aScale, int aPerRow,
                        const float* __restrict__ wScale, int wPerRow, const float* __restrict__ bias) {
    typedef typename SqAcc<INT8>::T Acc;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int n = blockIdx.x * WARPS + warp;
    const int m0 = blockIdx.y * ROWS;
    if (n >= N) return;  // the whole warp leaves together
    const int rows = min(ROWS, M - m0);
    const uint8_t* w = W + (size_t)n * kBytes;
    const uint8_t* a = A + (size_t)m0 * kBytes;

    Acc acc[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; r++) acc[r] = 0;
#pragma unroll 4
    for (int k = lane * 16; k < kBytes; k += 32 * 16) {
        const uint4 wv = __ldg(reinterpret_cast<const uint4*>(w + k));
#pragma unroll
        for (int r = 0; r < ROWS; r++) {
            if (r < rows) acc[r] = sq_dot16(acc[r], __ldg(reinterpret_cast<const uint4*>(a + (size_t)r * kBytes + k)), wv);
        }
    }
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) acc[r] += sq_shfl_xor(acc[r], o);
    }
    if (lane < rows) {
        Acc v = acc[0];
#pragma unroll
        for (int r = 1; r < ROWS; r++)
            if (lane == r) v = acc[r];
        sq_store<INT8, OUT>(C, N, m0 + lane, n, v, aScale, aPerRow, wScale, wPerRow, bias);
    }
}
