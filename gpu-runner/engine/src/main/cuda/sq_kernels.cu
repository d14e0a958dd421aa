// The one translation unit scripts/build-cuda.sh compiles into src/main/resources/cuda/sq_kernels.fatbin.
// Every entry point is extern "C" so the host finds it by its plain name with cuModuleGetFunction.
// Changing any file in this folder changes the source hash: rerun scripts/build-cuda.sh and commit the fatbin.

#include "sq_common.cuh"
#include "sq_forward.cuh"
#include "sq_gemm.cuh"
#include "sq_gemv.cuh"
#include "sq_quantize.cuh"

// ---- activation quantization (x: f32 or f16 [rows, cols]; q: int8 [rows, ldq]) -----------------------------------

#define SQ_QUANT_KERNELS(SUFFIX, T)                                                                               \
    extern "C" __global__ void sq_quantize_per_token_##SUFFIX(const T* x, const float* inputScale, int8_t* q,     \
                                                              float* scales, int rows, int cols, int ldq) {       \
        sq_quantize_per_token<T>(x, inputScale, q, scales, rows, cols, ldq);                                      \
    }                                                                                                             \
    extern "C" __global__ void sq_absmax_##SUFFIX(const T* x, const float* inputScale, int rows, int cols,        \
                                                  float* absmax) {                                                \
        sq_absmax<T>(x, inputScale, rows, cols, absmax);                                                          \
    }                                                                                                             \
    extern "C" __global__ void sq_quantize_with_scale_##SUFFIX(const T* x, const float* inputScale, int8_t* q,    \
                                                               const float* scale, int rows, int cols, int ldq) { \
        sq_quantize_with_scale<T>(x, inputScale, q, scale, rows, cols, ldq);                                      \
    }

SQ_QUANT_KERNELS(f32, float)
SQ_QUANT_KERNELS(f16, __half)

// In place: absmax -> max(absmax, 1e-5) / 127. One thread.
extern "C" __global__ void sq_absmax_to_scale(float* v) {
    if (threadIdx.x == 0 && blockIdx.x == 0) *v = sq_scale_of(*v);
}

// ---- GEMMs: grid = (ceil(N/BN), ceil(M/BM)), block = WARPS_M*WARPS_N*32, dynamic shared memory =
// STAGES*(BM+BN)*(BK+16) bytes. kBytes = padded K times the element size (1 for int8, 2 for half), a multiple of 64. ----

// Threads per block, and the blocks per SM asked of the register allocator: two for tiles up to 128x128 (at most
// 128 registers a thread at 256 threads), so one block's epilogue or pipeline fill overlaps another's main loop.
constexpr int sq_tile_threads(int, int, int wm, int wn, int, int) { return wm * wn * 32; }
constexpr int sq_tile_min_blocks(int bm, int bn, int, int, int, int) { return bm * bn <= 128 * 128 ? 2 : 1; }

#define SQ_GEMM_KERNEL(NAME, TILE, INT8, OUT)                                                                     \
    extern "C" __global__ void __launch_bounds__(sq_tile_threads(TILE), sq_tile_min_blocks(TILE)) NAME(const uint8_t* A, const uint8_t* W, void* C, int M, int N, int kBytes,       \
                                    const float* aScale, int aPerRow, const float* wScale, int wPerRow,           \
                                    const float* bias) {                                                          \
        sq_gemm<TILE, INT8, OUT>(A, W, C, M, N, kBytes, aScale, aPerRow, wScale, wPerRow, bias);                  \
    }

#define SQ_GEMM_TILES(TILE_NAME)                                                                                  \
    SQ_GEMM_KERNEL(sq_gemm_s8_i32_##TILE_NAME, SQ_TILE_##TILE_NAME, true, SQ_OUT_I32)                             \
    SQ_GEMM_KERNEL(sq_gemm_s8_f32_##TILE_NAME, SQ_TILE_##TILE_NAME, true, SQ_OUT_F32)                             \
    SQ_GEMM_KERNEL(sq_gemm_s8_f16_##TILE_NAME, SQ_TILE_##TILE_NAME, true, SQ_OUT_F16)                             \
    SQ_GEMM_KERNEL(sq_gemm_f16_f32_##TILE_NAME, SQ_TILE_##TILE_NAME, false, SQ_OUT_F32)                           \
    SQ_GEMM_KERNEL(sq_gemm_f16_f16_##TILE_NAME, SQ_TILE_##TILE_NAME, false, SQ_OUT_F16)

SQ_GEMM_TILES(s)
SQ_GEMM_TILES(m)
SQ_GEMM_TILES(l)

// The skinny tile "v" (sq_gemv.cuh): same signature and outputs, CUDA cores, for decode-sized M.
#define SQ_GEMV_KERNEL(NAME, INT8, OUT)                                                                           \
    extern "C" __global__ void NAME(const uint8_t* A, const uint8_t* W, void* C, int M, int N, int kBytes,       \
                                    const float* aScale, int aPerRow, const float* wScale, int wPerRow,           \
                                    const float* bias) {                                                          \
        sq_gemv<SQ_GEMV_ROWS, SQ_GEMV_WARPS, INT8, OUT>(A, W, C, M, N, kBytes, aScale, aPerRow, wScale, wPerRow,  \
                                                        bias);                                                    \
    }
SQ_GEMV_KERNEL(sq_gemm_s8_i32_v, true, SQ_OUT_I32)
SQ_GEMV_KERNEL(sq_gemm_s8_f32_v, true, SQ_OUT_F32)
SQ_GEMV_KERNEL(sq_gemm_s8_f16_v, true, SQ_OUT_F16)
SQ_GEMV_KERNEL(sq_gemm_f16_f32_v, false, SQ_OUT_F32)
SQ_GEMV_KERNEL(sq_gemm_f16_f16_v, false, SQ_OUT_F16)

// ---- forward helpers (FP16) ---------------------------------------------------------------------------------------

extern "C" __global__ void sq_rmsnorm_f16(__half* out, const __half* x, const __half* weight, int dim, float eps) {
    sq_rmsnorm(out, x, weight, dim, eps);
}
extern "C" __global__ void sq_rmsnorm_quantize_f16(const __half* x, const __half* weight, const float* inputScale,
                                                   int8_t* q, float* scales, int dim, int ldq, float eps) {
    sq_rmsnorm_quantize(x, weight, inputScale, q, scales, dim, ldq, eps);
}
extern "C" __global__ void sq_rope_f16(__half* x, int m, int rowStride, int heads, int headDim, int startPos,
                                       float theta, int interleaved) {
    sq_rope(x, m, rowStride, heads, headDim, startPos, theta, interleaved);
}
extern "C" __global__ void sq_softmax_f16(__half* x, int len) { sq_softmax(x, len); }
extern "C" __global__ void sq_attention_f16(__half* out, const __half* q, const __half* kCache, const __half* vCache,
                                            int T, int startPos, int heads, int kvHeads, int headDim, int qStride,
                                            int kvStride, float scale) {
    sq_attention(out, q, kCache, vCache, T, startPos, heads, kvHeads, headDim, qStride, kvStride, scale);
}
extern "C" __global__ void sq_attention_tiled_f16(__half* out, const __half* q, const __half* kCache,
                                                  const __half* vCache, int T, int startPos, int heads, int kvHeads,
                                                  int headDim, int qStride, int kvStride, float scale) {
    sq_attention_tiled(out, q, kCache, vCache, T, startPos, heads, kvHeads, headDim, qStride, kvStride, scale);
}
extern "C" __global__ void sq_attention_decode_f16(__half* out, const __half* q, const __half* kCache,
                                                   const __half* vCache, int startPos, int heads, int kvHeads,
                                                   int headDim, int qStride, int kvStride, float scale) {
    sq_attention_decode(out, q, kCache, vCache, startPos, heads, kvHeads, headDim, qStride, kvStride, scale);
}
extern "C" __global__ void sq_attention_flash64_f16(__half* out, const __half* q, const __half* kCache,
                                                    const __half* vCache, int T, int startPos, int heads, int kvHeads,
                                                    int qStride, int kvStride, float scale) {
    sq_attention_flash<64>(out, q, kCache, vCache, T, startPos, heads, kvHeads, qStride, kvStride, scale);
}
extern "C" __global__ void sq_attention_flash128_f16(__half* out, const __half* q, const __half* kCache,
                                                     const __half* vCache, int T, int startPos, int heads, int kvHeads,
                                                     int qStride, int kvStride, float scale) {
    sq_attention_flash<128>(out, q, kCache, vCache, T, startPos, heads, kvHeads, qStride, kvStride, scale);
}
// ---- decode steps replayed as a CUDA graph: the position comes from device memory (*pos), so one captured step
// serves every position; K and V of the new token go through a staging row that sq_kv_append_f16 files at *pos. ----

extern "C" __global__ void sq_rope_at_f16(__half* x, int m, int rowStride, int heads, int headDim, const int* pos,
                                          float theta, int interleaved) {
    sq_rope(x, m, rowStride, heads, headDim, *pos, theta, interleaved);
}
// dynamic shared memory sized for the largest position the graph will see: (maxPositions + 16 * headDim) floats
extern "C" __global__ void sq_attention_decode_at_f16(__half* out, const __half* q, const __half* kCache,
                                                      const __half* vCache, const int* pos, int heads, int kvHeads,
                                                      int headDim, int qStride, int kvStride, float scale) {
    sq_attention_decode(out, q, kCache, vCache, *pos, heads, kvHeads, headDim, qStride, kvStride, scale);
}
// grid = ceil(kvd / 256), block = 256: cache rows *pos of K and V = the staged rows.
extern "C" __global__ void sq_kv_append_f16(__half* kCache, __half* vCache, const __half* kRow, const __half* vRow,
                                            const int* pos, int kvd) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= kvd) return;
    const size_t at = (size_t)(*pos) * kvd + i;
    kCache[at] = kRow[i];
    vCache[at] = vRow[i];
}
extern "C" __global__ void sq_swiglu_f16(__half* gate, const __half* up, long n) { sq_swiglu(gate, up, n); }
extern "C" __global__ void sq_silu_f16(__half* x, long n) { sq_silu(x, n); }
extern "C" __global__ void sq_gelu_tanh_f16(__half* x, long n) { sq_gelu_tanh(x, n); }
extern "C" __global__ void sq_add_f16(__half* x, const __half* y, long n) { sq_add(x, y, n); }
extern "C" __global__ void sq_f32_to_f16(__half* out, const float* in, long n) { sq_to_f16(out, in, n); }
extern "C" __global__ void sq_f16_to_f32(float* out, const __half* in, long n) { sq_to_f32(out, in, n); }
