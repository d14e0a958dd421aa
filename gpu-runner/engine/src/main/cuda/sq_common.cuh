// Shared helpers for the SeedSQ CUDA kernels: PTX wrappers for the tensor-core and async-copy instructions,
// and block reductions. Everything here is device-side; the host (Java, JCuda driver API) only sees the
// extern "C" kernels declared in sq_kernels.cu.
#pragma once

#include <cuda_fp16.h>
#include <stdint.h>

#define SQ_QMAX 127
#define SQ_MIN_ABSMAX 1e-5f

// ---- async global -> shared copy (sm_80+) -------------------------------------------------------------------

__device__ __forceinline__ uint32_t sq_smem_addr(const void* p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Copies 16 bytes; when valid is false it copies nothing and fills the 16 shared bytes with zeros
// (src-size 0), so out-of-range rows of a tile contribute zeros to the product.
__device__ __forceinline__ void sq_cp_async16(void* smem, const void* gmem, bool valid) {
    int srcSize = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(sq_smem_addr(smem)), "l"(gmem),
                 "r"(srcSize));
}

__device__ __forceinline__ void sq_cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}

template <int N>
__device__ __forceinline__ void sq_cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// ---- ldmatrix: 8x8 b16 matrices = 8 rows x 16 bytes each -----------------------------------------------------
// Lane l receives, for matrix j, the 4 bytes at row l/4, bytes 4*(l%4)..4*(l%4)+3: exactly the register layout
// the m16n8k32 s8 and m16n8k16 f16 fragments want, since both consume 32 bytes of K per row.

__device__ __forceinline__ void sq_ldmatrix_x4(uint32_t (&r)[4], const void* smem) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(sq_smem_addr(smem)));
}

__device__ __forceinline__ void sq_ldmatrix_x2(uint32_t (&r)[2], const void* smem) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n"
                 : "=r"(r[0]), "=r"(r[1])
                 : "r"(sq_smem_addr(smem)));
}

// Transposing load: lane l receives, for matrix j, the two 16-bit elements at rows 2(l%4), 2(l%4)+1 of column l/4,
// which is the m16n8k16 B fragment of a [k][n] (row-major over n) tile such as V [key][dim].
__device__ __forceinline__ void sq_ldmatrix_x4_trans(uint32_t (&r)[4], const void* smem) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(sq_smem_addr(smem)));
}

// ---- tensor-core MMA ------------------------------------------------------------------------------------------

// D[16x8] (s32) += A[16x32] (s8, row) * B[32x8] (s8, col)
__device__ __forceinline__ void sq_mma_s8(int (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// D[16x8] (f32) += A[16x16] (f16, row) * B[16x8] (f16, col)
__device__ __forceinline__ void sq_mma_f16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// ---- reductions -------------------------------------------------------------------------------------------------

__device__ __forceinline__ float sq_warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float sq_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Block-wide sum/max for blockDim.x a multiple of 32 (<= 1024); every thread gets the result.
__device__ __forceinline__ float sq_block_sum(float v) {
    __shared__ float partial[32];
    __shared__ float total;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = sq_warp_sum(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float s = lane < (blockDim.x >> 5) ? partial[lane] : 0.f;
        s = sq_warp_sum(s);
        if (lane == 0) total = s;
    }
    __syncthreads();
    return total;
}

__device__ __forceinline__ float sq_block_max(float v) {
    __shared__ float partial[32];
    __shared__ float total;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = sq_warp_max(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float s = lane < (blockDim.x >> 5) ? partial[lane] : 0.f;
        s = sq_warp_max(s);
        if (lane == 0) total = s;
    }
    __syncthreads();
    return total;
}

// Loads one activation element as float, from float or half storage.
__device__ __forceinline__ float sq_load(const float* p, size_t i) { return p[i]; }
__device__ __forceinline__ float sq_load(const __half* p, size_t i) { return __half2float(p[i]); }
