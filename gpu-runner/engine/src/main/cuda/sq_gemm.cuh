// Tensor-core GEMM C[M, N] = A[M, K] * W[N, K]^T, both operands row-major over K (the engine's layout: activations
// [tokens, in], weights [out, in]), i.e. "row.col" in mma terms.
//
// One kernel body serves INT8 (mma m16n8k32 s8.s8.s32) and FP16 (mma m16n8k16 f16.f16.f32): both consume 32 bytes
// of K per row per instruction with the same fragment register layout, so tiles, shared-memory layout, async copies
// and ldmatrix addressing are all expressed in bytes and shared. Only the MMA and the epilogue differ.
//
// Tiling (see com.seedsq.engine.cuda.GemmPlan, which mirrors these numbers on the host):
//   block tile BM x BN, K step BK bytes per stage (64 or 128: 64/128 int8 or 32/64 half), STAGES-deep cp.async
//   pipeline; warps WARPS_M x WARPS_N, each owning a (BM/WARPS_M) x (BN/WARPS_N) sub-tile of 16x8 MMA tiles.
//   Shared rows are BK + 16 bytes apart: 16-byte aligned for cp.async and ldmatrix, and the 8 rows an ldmatrix
//   reads start in 8 distinct 4-bank groups, so reads are conflict-free.
// Requirements (the host pads): K bytes % 64 == 0 and rows 16-byte aligned; M and N are arbitrary (guarded). With
// BK = 128 the last stage may be half past K: those chunks are zero-filled like the ragged M and N edges.
//
// Epilogue, in registers:
//   INT8 -> INT32: raw accumulators (exactness checks);
//   INT8 -> F32/F16: v = float(acc) * aScale[m or 0] * wScale[n or 0] (+ bias[n]), evaluated left to right without
//                    FMA contraction, the order com.seedsq.engine.kernel.int8.Int8Output uses, so FP32 results are
//                    bit-identical to the CPU kernels;
//   FP16 -> F32/F16: v = acc (+ bias[n]).
#pragma once

#include "sq_common.cuh"

#define SQ_BK_BYTES 64  // K padding unit (GemmTile.K_TILE_BYTES); a tile's stage takes 64 or 128 bytes of K

enum SqOut { SQ_OUT_I32 = 0, SQ_OUT_F32 = 1, SQ_OUT_F16 = 2 };

template <bool INT8>
struct SqAcc;
template <>
struct SqAcc<true> {
    typedef int T;
};
template <>
struct SqAcc<false> {
    typedef float T;
};

__device__ __forceinline__ void sq_mma(int (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) { sq_mma_s8(d, a, b); }
__device__ __forceinline__ void sq_mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) { sq_mma_f16(d, a, b); }

template <bool INT8, int OUT>
__device__ __forceinline__ void sq_store(void* C, int N, int row, int col, typename SqAcc<INT8>::T acc,
                                         const float* aScale, int aPerRow, const float* wScale, int wPerRow,
                                         const float* bias) {
    const size_t i = (size_t)row * N + col;
    if (INT8 && OUT == SQ_OUT_I32) {
        reinterpret_cast<int*>(C)[i] = (int)acc;
        return;
    }
    float v;
    if (INT8) {
        v = __fmul_rn(__fmul_rn(__int2float_rn((int)acc), aScale[aPerRow ? row : 0]), wScale[wPerRow ? col : 0]);
    } else {
        v = (float)acc;
    }
    if (bias != nullptr) v = __fadd_rn(v, bias[col]);
    if (OUT == SQ_OUT_F16) {
        reinterpret_cast<__half*>(C)[i] = __float2half_rn(v);
    } else {
        reinterpret_cast<float*>(C)[i] = v;
    }
}

// Two adjacent columns (col even, N even, C 8-byte aligned): the same values as two sq_store calls, one vector store.
template <bool INT8, int OUT>
__device__ __forceinline__ void sq_store2(void* C, int N, int row, int col, typename SqAcc<INT8>::T acc0,
                                          typename SqAcc<INT8>::T acc1, const float* aScale, int aPerRow,
                                          const float* wScale, int wPerRow, const float* bias) {
    const size_t i = (size_t)row * N + col;
    if (INT8 && OUT == SQ_OUT_I32) {
        *reinterpret_cast<int2*>(reinterpret_cast<int*>(C) + i) = make_int2((int)acc0, (int)acc1);
        return;
    }
    float v0, v1;
    if (INT8) {
        const float as = aScale[aPerRow ? row : 0];
        v0 = __fmul_rn(__fmul_rn(__int2float_rn((int)acc0), as), wScale[wPerRow ? col : 0]);
        v1 = __fmul_rn(__fmul_rn(__int2float_rn((int)acc1), as), wScale[wPerRow ? col + 1 : 0]);
    } else {
        v0 = (float)acc0;
        v1 = (float)acc1;
    }
    if (bias != nullptr) {
        v0 = __fadd_rn(v0, bias[col]);
        v1 = __fadd_rn(v1, bias[col + 1]);
    }
    if (OUT == SQ_OUT_F16) {
        *reinterpret_cast<__half2*>(reinterpret_cast<__half*>(C) + i) = __halves2half2(__float2half_rn(v0), __float2half_rn(v1));
    } else {
        *reinterpret_cast<float2*>(reinterpret_cast<float*>(C) + i) = make_float2(v0, v1);
    }
}

template <int BM, int BN, int WARPS_M, int WARPS_N, int STAGES, int BK, bool INT8, int OUT>
__device__ void sq_gemm(const uint8_t* __restrict__ A, const uint8_t* __restrict__ W, void* __restrict__ C, int M,
                        int N, int kBytes, const float* __restrict__ aScale, int aPerRow,
                        const float* __restrict__ wScale, int wPerRow, const float* __restrict__ bias) {
    constexpr int THREADS = WARPS_M * WARPS_N * 32;
    constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N;
    constexpr int MI = WM / 16, NI = WN / 8;
    static_assert(WM % 16 == 0 && WN % 8 == 0, "warp tile must be a multiple of the 16x8 MMA tile");
    static_assert(BK == 64 || BK == 128, "a stage takes 64 or 128 bytes of K");
    constexpr int ROW = BK + 16, CHUNKS = BK / 16;
    typedef typename SqAcc<INT8>::T Acc;

    extern __shared__ __align__(16) uint8_t sq_smem[];
    uint8_t* sA = sq_smem;                       // [STAGES][BM][ROW]
    uint8_t* sB = sq_smem + STAGES * BM * ROW;   // [STAGES][BN][ROW]

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int warpM = warp / WARPS_N, warpN = warp % WARPS_N;
    const int blockM = blockIdx.y * BM, blockN = blockIdx.x * BN;
    const int kTiles = (kBytes + BK - 1) / BK;

    // One K tile = BM (BN) rows x CHUNKS chunks of 16 bytes; rows past M (N) and chunks past K are zero-filled
    // (their source address is clamped into the operand, since a zero-size copy still forms it).
    auto loadStage = [&](int stage, int kt) {
        const int kOff = kt * BK;
        for (int i = tid; i < BM * CHUNKS; i += THREADS) {
            const int r = i / CHUNKS, ch = i % CHUNKS, gm = blockM + r, kb = kOff + ch * 16;
            const uint8_t* src = A + (size_t)min(gm, M - 1) * kBytes + min(kb, kBytes - 16);
            sq_cp_async16(sA + (stage * BM + r) * ROW + ch * 16, src, gm < M && kb < kBytes);
        }
        for (int i = tid; i < BN * CHUNKS; i += THREADS) {
            const int r = i / CHUNKS, ch = i % CHUNKS, gn = blockN + r, kb = kOff + ch * 16;
            const uint8_t* src = W + (size_t)min(gn, N - 1) * kBytes + min(kb, kBytes - 16);
            sq_cp_async16(sB + (stage * BN + r) * ROW + ch * 16, src, gn < N && kb < kBytes);
        }
    };

    Acc acc[MI][NI][4];
#pragma unroll
    for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int ni = 0; ni < NI; ni++)
#pragma unroll
            for (int j = 0; j < 4; j++) acc[mi][ni][j] = 0;

    // Prologue: STAGES-1 tiles in flight (one commit group per tile, empty groups keep the count uniform).
#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < kTiles) loadStage(s, s);
        sq_cp_async_commit();
    }

    for (int kt = 0; kt < kTiles; kt++) {
        sq_cp_async_wait<STAGES - 2>();  // tile kt has landed
        __syncthreads();                 // ...for every thread, and everyone is done with tile kt-1's stage
        const int next = kt + STAGES - 1;
        if (next < kTiles) loadStage(next % STAGES, next);
        sq_cp_async_commit();

        const int stage = kt % STAGES;
        const uint8_t* tA = sA + (stage * BM + warpM * WM) * ROW;
        const uint8_t* tB = sB + (stage * BN + warpN * WN) * ROW;
#pragma unroll
        for (int ks = 0; ks < BK; ks += 32) {
            uint32_t a[MI][4], b[NI][2];
#pragma unroll
            for (int mi = 0; mi < MI; mi++)  // matrices: rows 0-7|8-15 x bytes 0-15|16-31
                sq_ldmatrix_x4(a[mi], tA + (mi * 16 + (lane & 15)) * ROW + ks + (lane >> 4) * 16);
#pragma unroll
            for (int ni = 0; ni < NI; ni++)  // matrices: rows 0-7 x bytes 0-15|16-31 (lanes 0-15 give addresses)
                sq_ldmatrix_x2(b[ni], tB + (ni * 8 + (lane & 7)) * ROW + ks + ((lane >> 3) & 1) * 16);
#pragma unroll
            for (int mi = 0; mi < MI; mi++)
#pragma unroll
                for (int ni = 0; ni < NI; ni++) sq_mma(acc[mi][ni], a[mi], b[ni]);
        }
    }
    sq_cp_async_wait<0>();

    // Accumulator fragment: d0,d1 at (row g, cols 2t, 2t+1), d2,d3 at (row g+8, same cols); g = lane/4, t = lane%4.
    const int g = lane >> 2, t = lane & 3;
    const bool paired = (N & 1) == 0 && (reinterpret_cast<uintptr_t>(C) & 7) == 0;
#pragma unroll
    for (int mi = 0; mi < MI; mi++) {
#pragma unroll
        for (int ni = 0; ni < NI; ni++) {
            const int row = blockM + warpM * WM + mi * 16 + g;
            const int col = blockN + warpN * WN + ni * 8 + 2 * t;
#pragma unroll
            for (int h = 0; h < 2; h++) {
                const int r = row + 8 * h;
                if (r >= M) continue;
                if (paired && col + 1 < N) {
                    sq_store2<INT8, OUT>(C, N, r, col, acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1], aScale, aPerRow,
                                         wScale, wPerRow, bias);
                    continue;
                }
                if (col < N) sq_store<INT8, OUT>(C, N, r, col, acc[mi][ni][2 * h], aScale, aPerRow, wScale, wPerRow, bias);
                if (col + 1 < N) sq_store<INT8, OUT>(C, N, r, col + 1, acc[mi][ni][2 * h + 1], aScale, aPerRow, wScale, wPerRow, bias);
            }
        }
    }
}

// Tile configurations; GemmTile in the Java host code must list the same numbers. Shared memory per block is
// STAGES * (BM + BN) * (BK + 16) bytes, at most 99 KiB (the opt-in limit of sm_86/sm_89). Chosen from 8 candidates
// timed on an H200 (docs/gpu-results.md): 128-byte K stages beat 64-byte ones for both block sizes.
//              name   BM   BN  WARPS_M WARPS_N STAGES BK
#define SQ_TILE_s   16,  32,  1, 4, 4,  64
#define SQ_TILE_m   64,  64,  2, 2, 3, 128
#define SQ_TILE_l  128, 128,  2, 4, 2, 128
