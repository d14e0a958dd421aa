/*
 * INT8 GEMM tile on AVX-512 VNNI for the engine (loaded through the FFM API by NativeInt8Gemm).
 *
 * C[m, n] = sum_k A[m, k] * W[n, k], A and W signed bytes, row-major over K. vpdpbusd multiplies UNSIGNED by signed
 * bytes, so A is shifted by +128 (xor 0x80) and the excess 128 * sum_k W[n, k] (precomputed per row) is subtracted
 * at the end: the result is exact, equal to the scalar reference. Integer arithmetic wraps (done in uint32_t), which
 * is harmless because the true result fits int32.
 *
 * Blocking: 4 activation rows x 4 weight rows = 16 zmm accumulators, 8 loads per 16 vpdpbusd. The caller hands out
 * tiles of weight rows [n0, n1) to threads; a tile stays in L2 while all activation rows pass.
 *
 * The epilogue acc * a_scale * w_scale + bias is evaluated in that order in float32 without contraction
 * (-ffp-contract=off) so that it is bit-identical to the Java kernels.
 */
#include <immintrin.h>
#include <stdint.h>

typedef struct {
    const int8_t *a;
    const int8_t *w;
    const int32_t *wsum;
    int32_t n;
    int32_t k;
    int32_t *acc_out;
    float *out;
    const float *a_scales;
    int32_t a_per_row;
    const float *w_scales;
    int32_t w_per_row;
    const float *bias;
} gemm_args;

static inline __attribute__((always_inline)) void store(const gemm_args *g, int m, int n, int32_t dot) {
    int32_t acc = (int32_t) ((uint32_t) dot - 128u * (uint32_t) g->wsum[n]);
    if (g->acc_out) {
        g->acc_out[(int64_t) m * g->n + n] = acc;
    } else {
        float v = (float) acc * g->a_scales[g->a_per_row ? m : 0] * g->w_scales[g->w_per_row ? n : 0];
        g->out[(int64_t) m * g->n + n] = g->bias ? v + g->bias[n] : v;
    }
}

static inline __attribute__((always_inline)) void block(const gemm_args *g, int m0, int n0, const int mr,
                                                         const int nr) {
    const int64_t k = g->k;
    const __m512i flip = _mm512_set1_epi8((char) 0x80);
    __m512i acc[4][4];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++)
            acc[i][j] = _mm512_setzero_si512();
    const int8_t *ap = g->a + m0 * k, *wp = g->w + n0 * k;
    int64_t c = 0;
    for (; c + 64 <= k; c += 64) {
        __m512i av[4], wv[4];
        for (int i = 0; i < mr; i++)
            av[i] = _mm512_xor_si512(_mm512_loadu_si512(ap + i * k + c), flip);
        for (int j = 0; j < nr; j++)
            wv[j] = _mm512_loadu_si512(wp + j * k + c);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
                acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av[i], wv[j]);
    }
    if (c < k) {
        /* masked-off lanes: A becomes 0 ^ 0x80 = 128, W becomes 0, so they add nothing */
        __mmask64 mask = _bzhi_u64(~0ULL, (unsigned) (k - c));
        __m512i av[4], wv[4];
        for (int i = 0; i < mr; i++)
            av[i] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, ap + i * k + c), flip);
        for (int j = 0; j < nr; j++)
            wv[j] = _mm512_maskz_loadu_epi8(mask, wp + j * k + c);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
                acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av[i], wv[j]);
    }
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++)
            store(g, m0 + i, n0 + j, _mm512_reduce_add_epi32(acc[i][j]));
}

#define ROWS(MR)                                                                                                     \
    static void rows##MR(const gemm_args *g, int m0, int n0, int n1) {                                               \
        int j = n0;                                                                                                  \
        for (; j + 4 <= n1; j += 4) block(g, m0, j, MR, 4);                                                          \
        switch (n1 - j) {                                                                                            \
            case 3: block(g, m0, j, MR, 3); break;                                                                   \
            case 2: block(g, m0, j, MR, 2); break;                                                                   \
            case 1: block(g, m0, j, MR, 1); break;                                                                   \
            default: break;                                                                                          \
        }                                                                                                            \
    }
ROWS(1)
ROWS(2)
ROWS(3)
ROWS(4)

/*
 * Output columns [n0, n1) for all m rows. acc_out non-null: raw int32 results; otherwise dequantized into out.
 * Outputs are row-major [m, n].
 */
void sq_s8gemm_tile(const int8_t *a, const int8_t *w, const int32_t *wsum, int32_t m, int32_t n, int32_t k,
                    int32_t n0, int32_t n1, int32_t *acc_out, float *out, const float *a_scales, int32_t a_per_row,
                    const float *w_scales, int32_t w_per_row, const float *bias) {
    gemm_args g = {a, w, wsum, n, k, acc_out, out, a_scales, a_per_row, w_scales, w_per_row, bias};
    int i = 0;
    for (; i + 4 <= m; i += 4) rows4(&g, i, n0, n1);
    switch (m - i) {
        case 3: rows3(&g, i, n0, n1); break;
        case 2: rows2(&g, i, n0, n1); break;
        case 1: rows1(&g, i, n0, n1); break;
        default: break;
    }
}
