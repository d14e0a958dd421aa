// The transformer forward's helpers in FP16 storage with FP32 arithmetic, mirroring the defaults of
// com.seedsq.engine.kernel.Kernels (rmsnorm, rope, softmax, swiglu, gelu) plus a single-sequence causal attention
// over a KV cache. Readable first: one block per row (or per query and head), no fusion beyond the obvious.
#pragma once

#include "sq_common.cuh"
#include "sq_quantize.cuh"

// 1 / sqrt(mean(x^2) + eps) of one row, summed in the same order by every norm kernel (grid = rows, block = 256).
__device__ __forceinline__ float sq_rms_inverse(const __half* row, int dim, float eps) {
    float ss = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float v = __half2float(row[i]);
        ss += v * v;
    }
    ss = sq_block_sum(ss);
    return rsqrtf(ss / dim + eps);
}

__device__ __forceinline__ __half sq_rms_out(const __half* row, const __half* weight, int i, float inv) {
    return __float2half_rn(__half2float(weight[i]) * (inv * __half2float(row[i])));
}

// grid = rows, block = 256. out = weight * (x / sqrt(mean(x^2) + eps)).
__device__ void sq_rmsnorm(__half* out, const __half* x, const __half* weight, int dim, float eps) {
    const size_t o = (size_t)blockIdx.x * dim;
    const float inv = sq_rms_inverse(x + o, dim, eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) out[o + i] = sq_rms_out(x + o, weight, i, inv);
}

// RMSNorm straight into per-token INT8 codes, for the W8A8 linears that follow a norm: the FP16 norm output of
// sq_rmsnorm, quantized exactly as sq_quantize_per_token quantizes it, without a round trip through memory (the row
// is re-read from L1/L2 instead). grid = rows, block = 256; q rows of stride ldq, pad columns zeroed.
__device__ void sq_rmsnorm_quantize(const __half* x, const __half* weight, const float* inputScale, int8_t* q,
                                    float* scales, int dim, int ldq, float eps) {
    const size_t o = (size_t)blockIdx.x * dim;
    const float inv = sq_rms_inverse(x + o, dim, eps);
    float m = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x)
        m = fmaxf(m, fabsf(sq_smoothed(__half2float(sq_rms_out(x + o, weight, i, inv)), inputScale, i)));
    m = sq_block_max(m);
    const float s = sq_scale_of(m);
    if (threadIdx.x == 0) scales[blockIdx.x] = s;
    int8_t* out = q + (size_t)blockIdx.x * ldq;
    for (int c = threadIdx.x; c < ldq; c += blockDim.x)
        out[c] = c < dim ? sq_quantize_one(sq_smoothed(__half2float(sq_rms_out(x + o, weight, c, inv)), inputScale, c), s)
                         : 0;
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

// Causal attention, tiled (flash-attention's online softmax on CUDA cores): same contract as sq_attention, for
// headDim <= 128. A block takes SQ_ATT_BQ queries of one head (4 warps x 4 queries); K and V stream through shared
// memory SQ_ATT_BK keys at a time, read once per block instead of once per query, and the scores never leave
// registers. Lane j scores key j of the tile against its warp's 4 queries; each lane accumulates output dimensions
// lane, lane+32, lane+64, lane+96. Prefill does ~T*T*headDim work per head, so this is what makes it scale; decode
// (T = 1) uses one warp of one block per head, which is all the work there is.
//   grid = (ceil(T / SQ_ATT_BQ), heads), block = 128, static shared memory ~40 KB.
#define SQ_ATT_BQ 16
#define SQ_ATT_BK 32
#define SQ_ATT_QPW 4
#define SQ_ATT_MAXD 128

__device__ void sq_attention_tiled(__half* out, const __half* q, const __half* kCache, const __half* vCache, int T,
                                   int startPos, int heads, int kvHeads, int headDim, int qStride, int kvStride,
                                   float scale) {
    __shared__ __align__(16) float sQ[SQ_ATT_MAXD][SQ_ATT_BQ];  // transposed: a warp's 4 queries are one float4
    __shared__ float sK[SQ_ATT_BK][SQ_ATT_MAXD + 1];            // +1: lane j reads row j, conflict-free
    __shared__ float sV[SQ_ATT_BK][SQ_ATT_MAXD];
    const int h = blockIdx.y, kh = h / (heads / kvHeads);
    const int t0 = blockIdx.x * SQ_ATT_BQ;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int lastT = min(t0 + SQ_ATT_BQ, T) - 1;
    const int keys = startPos + lastT + 1;  // what the block's last query sees

    for (int i = tid; i < SQ_ATT_BQ * headDim; i += blockDim.x) {
        const int r = i / headDim, d = i % headDim;
        sQ[d][r] = t0 + r < T ? __half2float(q[(size_t)(t0 + r) * qStride + (size_t)h * headDim + d]) * scale : 0.f;
    }
    float m[SQ_ATT_QPW], l[SQ_ATT_QPW], acc[SQ_ATT_QPW][4];
#pragma unroll
    for (int i = 0; i < SQ_ATT_QPW; i++) {
        m[i] = -INFINITY;
        l[i] = 0.f;
#pragma unroll
        for (int c = 0; c < 4; c++) acc[i][c] = 0.f;
    }
    const int firstT = t0 + warp * SQ_ATT_QPW;  // this warp's first query

    for (int k0 = 0; k0 < keys; k0 += SQ_ATT_BK) {
        __syncthreads();  // the previous tile is consumed (and sQ is written, on the first pass)
        for (int i = tid; i < SQ_ATT_BK * headDim; i += blockDim.x) {
            const int r = i / headDim, d = i % headDim, s = k0 + r;
            const size_t at = (size_t)s * kvStride + (size_t)kh * headDim + d;
            sK[r][d] = s < keys ? __half2float(kCache[at]) : 0.f;
            sV[r][d] = s < keys ? __half2float(vCache[at]) : 0.f;
        }
        __syncthreads();
        if (firstT >= T || k0 > startPos + min(firstT + SQ_ATT_QPW, T) - 1) continue;  // warp-uniform: nothing to see

        float dot[SQ_ATT_QPW] = {0.f, 0.f, 0.f, 0.f};
        for (int d = 0; d < headDim; d++) {
            const float kd = sK[lane][d];
            const float4 qd = *reinterpret_cast<const float4*>(&sQ[d][warp * SQ_ATT_QPW]);
            dot[0] = fmaf(qd.x, kd, dot[0]);
            dot[1] = fmaf(qd.y, kd, dot[1]);
            dot[2] = fmaf(qd.z, kd, dot[2]);
            dot[3] = fmaf(qd.w, kd, dot[3]);
        }
        const int s = k0 + lane;
#pragma unroll
        for (int qi = 0; qi < SQ_ATT_QPW; qi++) {
            const int t = firstT + qi, pos = startPos + t;
            if (t >= T || k0 > pos) continue;  // warp-uniform
            const bool valid = s <= pos;       // key k0 <= pos is valid, so the tile max is finite
            const float mNew = fmaxf(m[qi], sq_warp_max(valid ? dot[qi] : -INFINITY));
            const float p = valid ? __expf(dot[qi] - mNew) : 0.f;
            const float corr = __expf(m[qi] - mNew);  // 0 on the first tile (m = -inf)
            l[qi] = l[qi] * corr + sq_warp_sum(p);
            m[qi] = mNew;
#pragma unroll
            for (int c = 0; c < 4; c++) acc[qi][c] *= corr;
            for (int j = 0; j < SQ_ATT_BK; j++) {
                const float pj = __shfl_sync(0xffffffffu, p, j);
#pragma unroll
                for (int c = 0; c < 4; c++) {
                    const int d = lane + 32 * c;
                    if (d < headDim) acc[qi][c] = fmaf(pj, sV[j][d], acc[qi][c]);
                }
            }
        }
    }
#pragma unroll
    for (int qi = 0; qi < SQ_ATT_QPW; qi++) {
        const int t = firstT + qi;
        if (t >= T) continue;
        const float inv = 1.f / l[qi];
        __half* o = out + (size_t)t * qStride + (size_t)h * headDim;
#pragma unroll
        for (int c = 0; c < 4; c++) {
            const int d = lane + 32 * c;
            if (d < headDim) o[d] = __float2half_rn(acc[qi][c] * inv);
        }
    }
}

// Causal attention of ONE query (decode) against startPos + 1 cached positions. The tiled kernel gives a head one
// block with one busy warp, which leaves a 512-position decode latency-bound; here a head gets 16 warps that split
// the positions: each warp scores its positions with coalesced 8-byte loads per lane (lane = 4 dimensions) and a
// warp sum, the block takes the softmax over all scores in shared memory, then each warp accumulates p * v over its
// positions and the block adds the 16 partial rows. Needs headDim <= 128 and a multiple of 4.
//   grid = heads, block = SQ_DEC_WARPS * 32, dynamic shared memory = (startPos + 1 + SQ_DEC_WARPS * headDim) floats.
#define SQ_DEC_WARPS 16

// 4 consecutive halves as floats: one 8-byte load when aligned, else four 2-byte loads.
__device__ __forceinline__ float4 sq_load4(const __half* p) {
    if ((reinterpret_cast<uintptr_t>(p) & 7) == 0) {
        const uint2 raw = *reinterpret_cast<const uint2*>(p);
        const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&raw.x));
        const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&raw.y));
        return make_float4(a.x, a.y, b.x, b.y);
    }
    return make_float4(__half2float(p[0]), __half2float(p[1]), __half2float(p[2]), __half2float(p[3]));
}

__device__ void sq_attention_decode(__half* out, const __half* q, const __half* kCache, const __half* vCache,
                                    int startPos, int heads, int kvHeads, int headDim, int qStride, int kvStride,
                                    float scale) {
    extern __shared__ float sq_dec[];
    const int len = startPos + 1;
    float* scores = sq_dec;            // [len]
    float* partial = sq_dec + len;     // [SQ_DEC_WARPS][headDim]
    const int h = blockIdx.x, kh = h / (heads / kvHeads);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int d0 = lane * 4;
    const bool active = d0 < headDim;
    const size_t kvCol = (size_t)kh * headDim + d0;

    float4 qv = make_float4(0.f, 0.f, 0.f, 0.f);
    if (active) {
        qv = sq_load4(q + (size_t)h * headDim + d0);
        qv.x *= scale; qv.y *= scale; qv.z *= scale; qv.w *= scale;
    }
#pragma unroll 4
    for (int s = warp; s < len; s += SQ_DEC_WARPS) {
        float dot = 0.f;
        if (active) {
            const float4 kv = sq_load4(kCache + (size_t)s * kvStride + kvCol);
            dot = qv.x * kv.x + qv.y * kv.y + qv.z * kv.z + qv.w * kv.w;
        }
        dot = sq_warp_sum(dot);
        if (lane == 0) scores[s] = dot;
    }
    __syncthreads();
    float m = -INFINITY;
    for (int i = tid; i < len; i += blockDim.x) m = fmaxf(m, scores[i]);
    m = sq_block_max(m);
    float sum = 0.f;
    for (int i = tid; i < len; i += blockDim.x) {
        const float e = __expf(scores[i] - m);
        scores[i] = e;
        sum += e;
    }
    sum = sq_block_sum(sum);  // its __syncthreads also publishes the exponentials
    float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
    if (active) {
#pragma unroll 4
        for (int s = warp; s < len; s += SQ_DEC_WARPS) {
            const float p = scores[s];
            const float4 vv = sq_load4(vCache + (size_t)s * kvStride + kvCol);
            acc.x = fmaf(p, vv.x, acc.x);
            acc.y = fmaf(p, vv.y, acc.y);
            acc.z = fmaf(p, vv.z, acc.z);
            acc.w = fmaf(p, vv.w, acc.w);
        }
        float* row = partial + (size_t)warp * headDim + d0;
        row[0] = acc.x; row[1] = acc.y; row[2] = acc.z; row[3] = acc.w;
    }
    __syncthreads();
    const float inv = 1.f / sum;
    for (int d = tid; d < headDim; d += blockDim.x) {
        float o = 0.f;
#pragma unroll
        for (int w = 0; w < SQ_DEC_WARPS; w++) o += partial[w * headDim + d];
        out[(size_t)h * headDim + d] = __float2half_rn(o * inv);
    }
}

// Causal attention on tensor cores (flash attention 2's scheme with mma.sync m16n8k16, FP16 in, FP32 accumulate):
// the prefill kernel, same contract as sq_attention, for headDim HD = 64 or 128 (a multiple of 16 either way).
// A block takes 64 queries of one head, a warp 16 of them; K and V stream through shared memory 32 keys at a time.
//   S = Q K^T: Q's A fragments stay in registers for the whole loop; K rows are the B operand exactly as W rows
//              are in sq_gemm (row.col), loaded with ldmatrix;
//   online softmax on the S accumulators: a thread holds rows g and g+8 of its warp's 16, the 4 threads of a quad
//              share a row, so row max/sum reduce over the quad;
//   O += P V:  the S accumulators of two adjacent 8-key tiles are, packed to half2, exactly the A fragment of a
//              16-key step; V [key][dim] gives its B fragments through ldmatrix.trans.
//   grid = (ceil(T / 64), heads), block = 128, static shared memory (64 + 2 * 32) * (HD + 8) halves.
#define SQ_FLASH_BQ 64
#define SQ_FLASH_BK 32

template <int HD>
__device__ void sq_attention_flash(__half* out, const __half* q, const __half* kCache, const __half* vCache, int T,
                                   int startPos, int heads, int kvHeads, int qStride, int kvStride, float scale) {
    constexpr int LD = HD + 8;       // halves per shared row: 16-byte aligned, ldmatrix rows in distinct bank groups
    constexpr int KSTEPS = HD / 16;  // k-steps of Q K^T
    constexpr int DTILES = HD / 8;   // 8-wide output column tiles
    constexpr int CH = HD / 8;       // 16-byte chunks per row
    __shared__ __align__(16) __half sQ[SQ_FLASH_BQ * LD];
    __shared__ __align__(16) __half sK[SQ_FLASH_BK * LD];
    __shared__ __align__(16) __half sV[SQ_FLASH_BK * LD];

    const int h = blockIdx.y, kh = h / (heads / kvHeads);
    const int t0 = blockIdx.x * SQ_FLASH_BQ;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, tq = lane & 3;
    const int lastT = min(t0 + SQ_FLASH_BQ, T) - 1;
    const int keys = startPos + lastT + 1;
    const uint4 zero = make_uint4(0, 0, 0, 0);

    for (int i = tid; i < SQ_FLASH_BQ * CH; i += blockDim.x) {
        const int r = i / CH, c = i % CH;
        *reinterpret_cast<uint4*>(&sQ[r * LD + c * 8]) = t0 + r < T
            ? *reinterpret_cast<const uint4*>(q + (size_t)(t0 + r) * qStride + (size_t)h * HD + c * 8) : zero;
    }
    __syncthreads();
    uint32_t qa[KSTEPS][4];
#pragma unroll
    for (int ks = 0; ks < KSTEPS; ks++)
        sq_ldmatrix_x4(qa[ks], &sQ[(warp * 16 + (lane & 15)) * LD + ks * 16 + (lane >> 4) * 8]);

    float o[DTILES][4];
#pragma unroll
    for (int d = 0; d < DTILES; d++) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.f;
    float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;  // rows g and g+8
    const int pos0 = startPos + t0 + warp * 16 + g, pos1 = pos0 + 8;
    const int warpLastPos = startPos + min(t0 + warp * 16 + 15, T - 1);

    for (int k0 = 0; k0 < keys; k0 += SQ_FLASH_BK) {
        __syncthreads();  // everyone is done with the previous K/V tile
        for (int i = tid; i < SQ_FLASH_BK * CH; i += blockDim.x) {
            const int r = i / CH, c = i % CH, s = k0 + r;
            const size_t at = (size_t)s * kvStride + (size_t)kh * HD + c * 8;
            *reinterpret_cast<uint4*>(&sK[r * LD + c * 8]) = s < keys ? *reinterpret_cast<const uint4*>(kCache + at) : zero;
            *reinterpret_cast<uint4*>(&sV[r * LD + c * 8]) = s < keys ? *reinterpret_cast<const uint4*>(vCache + at) : zero;
        }
        __syncthreads();
        if (k0 > warpLastPos) continue;  // warp-uniform: every key of the tile is after this warp's queries

        float sc[SQ_FLASH_BK / 8][4];
#pragma unroll
        for (int j = 0; j < SQ_FLASH_BK / 8; j++) {
            sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.f;
#pragma unroll
            for (int ks = 0; ks < KSTEPS; ks++) {
                uint32_t kb[2];
                sq_ldmatrix_x2(kb, &sK[(j * 8 + (lane & 7)) * LD + ks * 16 + ((lane >> 3) & 1) * 8]);
                sq_mma_f16(sc[j], qa[ks], kb);
            }
        }
        float tileMax0 = -INFINITY, tileMax1 = -INFINITY;
#pragma unroll
        for (int j = 0; j < SQ_FLASH_BK / 8; j++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int key = k0 + j * 8 + 2 * tq + (e & 1);
                const int pos = e < 2 ? pos0 : pos1;
                const float v = key <= pos && key < keys ? sc[j][e] * scale : -INFINITY;
                sc[j][e] = v;
                if (e < 2) tileMax0 = fmaxf(tileMax0, v); else tileMax1 = fmaxf(tileMax1, v);
            }
        }
#pragma unroll
        for (int off = 1; off < 4; off <<= 1) {
            tileMax0 = fmaxf(tileMax0, __shfl_xor_sync(0xffffffffu, tileMax0, off));
            tileMax1 = fmaxf(tileMax1, __shfl_xor_sync(0xffffffffu, tileMax1, off));
        }
        // a row whose keys are all masked so far keeps m = -inf; subtracting 0 instead keeps exp() away from NaN
        const float mNew0 = fmaxf(m0, tileMax0), mNew1 = fmaxf(m1, tileMax1);
        const float base0 = mNew0 == -INFINITY ? 0.f : mNew0, base1 = mNew1 == -INFINITY ? 0.f : mNew1;
        const float corr0 = __expf(m0 - base0), corr1 = __expf(m1 - base1);
        m0 = mNew0;
        m1 = mNew1;
        float sum0 = 0.f, sum1 = 0.f;
#pragma unroll
        for (int j = 0; j < SQ_FLASH_BK / 8; j++) {
            sc[j][0] = __expf(sc[j][0] - base0);
            sc[j][1] = __expf(sc[j][1] - base0);
            sc[j][2] = __expf(sc[j][2] - base1);
            sc[j][3] = __expf(sc[j][3] - base1);
            sum0 += sc[j][0] + sc[j][1];
            sum1 += sc[j][2] + sc[j][3];
        }
        l0 = l0 * corr0 + sum0;  // this thread's share of the row sum; the quad adds them up at the end
        l1 = l1 * corr1 + sum1;
#pragma unroll
        for (int d = 0; d < DTILES; d++) {
            o[d][0] *= corr0;
            o[d][1] *= corr0;
            o[d][2] *= corr1;
            o[d][3] *= corr1;
        }
#pragma unroll
        for (int kk = 0; kk < SQ_FLASH_BK / 16; kk++) {
            uint32_t pa[4];
            const __half2 p0 = __floats2half2_rn(sc[2 * kk][0], sc[2 * kk][1]);
            const __half2 p1 = __floats2half2_rn(sc[2 * kk][2], sc[2 * kk][3]);
            const __half2 p2 = __floats2half2_rn(sc[2 * kk + 1][0], sc[2 * kk + 1][1]);
            const __half2 p3 = __floats2half2_rn(sc[2 * kk + 1][2], sc[2 * kk + 1][3]);
            pa[0] = *reinterpret_cast<const uint32_t*>(&p0);
            pa[1] = *reinterpret_cast<const uint32_t*>(&p1);
            pa[2] = *reinterpret_cast<const uint32_t*>(&p2);
            pa[3] = *reinterpret_cast<const uint32_t*>(&p3);
#pragma unroll
            for (int d = 0; d < DTILES; d += 2) {
                uint32_t vb[4];  // [0,1]: dims d*8.., [2,3]: dims (d+1)*8..
                sq_ldmatrix_x4_trans(vb, &sV[(kk * 16 + (lane & 15)) * LD + (d + (lane >> 4)) * 8]);
                const uint32_t b0[2] = {vb[0], vb[1]}, b1[2] = {vb[2], vb[3]};
                sq_mma_f16(o[d], pa, b0);
                sq_mma_f16(o[d + 1], pa, b1);
            }
        }
    }
#pragma unroll
    for (int off = 1; off < 4; off <<= 1) {
        l0 += __shfl_xor_sync(0xffffffffu, l0, off);
        l1 += __shfl_xor_sync(0xffffffffu, l1, off);
    }
    const int r0 = t0 + warp * 16 + g, r1 = r0 + 8;
    const float inv0 = 1.f / l0, inv1 = 1.f / l1;
#pragma unroll
    for (int d = 0; d < DTILES; d++) {
        const int col = h * HD + d * 8 + 2 * tq;
        if (r0 < T) *reinterpret_cast<__half2*>(out + (size_t)r0 * qStride + col) = __floats2half2_rn(o[d][0] * inv0, o[d][1] * inv0);
        if (r1 < T) *reinterpret_cast<__half2*>(out + (size_t)r1 * qStride + col) = __floats2half2_rn(o[d][2] * inv1, o[d][3] * inv1);
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
