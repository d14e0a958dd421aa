/*
 * INT8 GEMM on AVX-512 VNNI for the engine (loaded through the FFM API by NativeInt8Gemm).
 *
 * C[m, n] = sum_k A[m, k] * W[n, k], A (activations) and W (weights) signed bytes, row-major over K, followed by a
 * fused dequantization acc * a_scale * w_scale + bias.
 *
 * Why this layout
 * ---------------
 * vpdpbusd multiplies 4 UNSIGNED bytes by 4 signed bytes and adds the 4 products into one int32 lane, 16 lanes per
 * zmm. Used as an outer product it needs no horizontal reductions: one zmm holds 16 output columns n, each lane the
 * dot product of the same 4 activation bytes (broadcast to every lane) with 4 bytes of that lane's weight row. So:
 *
 *  - W is repacked ONCE per weight matrix (sq_s8_pack_w; NativeInt8Gemm caches the result per Int8Weights) into
 *    panels of PW = NR*16 columns: panel p, group g of 4 K-bytes, column c, byte b at
 *        p*PW*Kp + g*PW*4 + c*4 + b        (Kp = K rounded up to 4; columns >= N and bytes >= K are 0)
 *    so one group of a panel is NR consecutive, 64-byte aligned zmm loads, and a panel is one sequential stream
 *    (which is also what decode, M = 1, needs: it streams every weight byte exactly once from memory).
 *    In front of the panels sits corr[Np] = 128 * sum_k W[n, k] (0 for padding columns), see below.
 *  - A is shifted to unsigned (a + 128, i.e. xor 0x80) ONCE per call (sq_s8_pack_a) and interleaved in strips of
 *    up to MR rows: strip s (rows s*MR .. s*MR+mr-1), group g, row i, byte b at
 *        s*MR*Kp + g*mr*4 + i*4 + b        (bytes >= K are 0x80; they meet zero weights)
 *    so the mr broadcasts of one group read one small contiguous chunk through a single pointer.
 *    The shift adds 128 * sum_k W[n, k], which the epilogue subtracts (corr): the result is exact, equal to the
 *    scalar reference. Sums wrap in uint32 arithmetic, harmless because the true result fits int32.
 *  - Register tile: MR rows x NR zmm (8 x 3 = 24 accumulators, + 3 weight vectors + 1 broadcast = 28 of the 32 zmm).
 *    Per group: NR aligned loads, MR broadcasts, MR*NR independent vpdpbusd, enough in flight to cover the
 *    instruction's latency at two per cycle. Rows past the last full strip run a variant with fewer rows (mr < MR),
 *    never padded work; columns past N are computed on zero weights and masked at the store.
 *  - Cache blocking: the caller hands out whole panels to threads; a panel (PW x K bytes: 96 KB at K = 2048, 192 KB at
 *    4096) stays in L2 while every strip of A passes it, and a strip (MR x K bytes) streams through L1.
 *  - M = 1 (decode) has a single row, so only NR dependency chains; its kernel keeps four sets of accumulators over
 *    consecutive groups to keep enough vpdpbusd in flight while it streams the panel.
 *
 * The epilogue ((float) acc * a_scale) * w_scale + bias is evaluated in that order in float32 without contraction
 * (-ffp-contract=off, and only separate multiply/add intrinsics) so that it is bit-identical to the Java kernels.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define MR 8
#define NR 3
#define PW (NR * 16)
/* gcc must unroll the loops over the register tile before it scalarizes the accumulator array; otherwise it keeps a
 * copy of every accumulator on the stack and stores it on every iteration of the K loop (gcc 12; measured on the
 * loaded VM, one thread, M = 512, K = N = 2048: best 79 GOP/s without, 716 with) */
#define UNROLL _Pragma("GCC unroll 16")

static inline int64_t kpad(int64_t k) {
    return (k + 3) & ~(int64_t) 3;
}

static inline int64_t npad(int64_t n) {
    return (n + PW - 1) / PW * PW;
}

/* Columns per panel and rows per strip, for the caller's tiling. */
int32_t sq_s8_panel_cols(void) {
    return PW;
}

int32_t sq_s8_strip_rows(void) {
    return MR;
}

/* Bytes of the packed weights (corr + panels) for an [n, k] matrix; the buffer must be 64-byte aligned. */
int64_t sq_s8_packed_w_bytes(int32_t n, int32_t k) {
    return npad(n) * 4 + npad(n) * kpad(k);
}

/* Bytes of the packed activations for an [m, k] matrix. */
int64_t sq_s8_packed_a_bytes(int32_t m, int32_t k) {
    return (int64_t) m * kpad(k);
}

/* Packs W [n, k] (row sums wsum) into out, laid out as described at the top. */
void sq_s8_pack_w(const int8_t *w, const int32_t *wsum, int32_t n, int32_t k, int8_t *out) {
    const int64_t kp = kpad(k), np = npad(n), groups = kp / 4;
    int32_t *corr = (int32_t *) out;
    int8_t *panels = out + np * 4;
    for (int64_t c = 0; c < np; c++)
        corr[c] = c < n ? (int32_t) (128u * (uint32_t) wsum[c]) : 0;
    memset(panels, 0, (size_t) (np * kp));
    for (int64_t c = 0; c < n; c++) {
        const int8_t *row = w + c * k;
        int8_t *dst = panels + (c / PW) * PW * kp + (c % PW) * 4;
        int64_t g = 0;
        for (; g < k / 4; g++)
            memcpy(dst + g * PW * 4, row + g * 4, 4);
        for (int64_t b = 0; b < k - g * 4; b++)
            dst[g * PW * 4 + b] = row[g * 4 + b];
    }
}

/* Shifts A [m, k] to unsigned and packs strips [s0, s1) into out, laid out as described at the top. */
void sq_s8_pack_a(const int8_t *a, int32_t m, int32_t k, int32_t s0, int32_t s1, uint8_t *out) {
    const int64_t kp = kpad(k), full = k / 4;
    for (int64_t s = s0; s < s1; s++) {
        const int64_t r0 = s * MR;
        const int mr = (int) (m - r0 < MR ? m - r0 : MR);
        uint8_t *dst = out + r0 * kp;
        UNROLL for (int i = 0; i < mr; i++) {
            const int8_t *row = a + (r0 + i) * (int64_t) k;
            uint8_t *d = dst + i * 4;
            for (int64_t g = 0; g < full; g++) {
                uint32_t v;
                memcpy(&v, row + g * 4, 4);
                v ^= 0x80808080u;
                memcpy(d + g * mr * 4, &v, 4);
            }
            if (full * 4 < k) {
                uint8_t tail[4] = {0x80, 0x80, 0x80, 0x80};
                for (int64_t b = 0; b < k - full * 4; b++)
                    tail[b] = (uint8_t) row[full * 4 + b] ^ 0x80;
                memcpy(d + full * mr * 4, tail, 4);
            }
        }
    }
}

typedef struct {
    int32_t m, n;
    int64_t kp;
    int32_t *acc_out;
    float *out;
    const float *a_scales;
    int32_t a_per_row;
    const float *w_scales;
    int32_t w_per_row;
    const float *bias;
} gemm_args;

static inline __attribute__((always_inline)) __m512i bcast(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* Stores one accumulator vector: row m, columns col..col+15 (mask: those < n), raw or dequantized. */
static inline __attribute__((always_inline)) void store(const gemm_args *g, __m512i acc, __m512i corr, int32_t m,
                                                         int64_t col, __mmask16 mask, __m512 ws, __m512 bv) {
    const __m512i v = _mm512_sub_epi32(acc, corr);
    if (g->acc_out) {
        _mm512_mask_storeu_epi32(g->acc_out + m * (int64_t) g->n + col, mask, v);
        return;
    }
    __m512 f = _mm512_cvtepi32_ps(v);
    f = _mm512_mul_ps(f, _mm512_set1_ps(g->a_scales[g->a_per_row ? m : 0]));
    f = _mm512_mul_ps(f, ws);
    if (g->bias) f = _mm512_add_ps(f, bv);
    _mm512_mask_storeu_ps(g->out + m * (int64_t) g->n + col, mask, f);
}

/* Column j's store operands: mask of the columns < n, the shift's excess, the weight scales and biases. */
#define COLUMN(J)                                                                                                  \
    const int32_t c0 = (J) * 16;                                                                                   \
    if (c0 >= cols) break;                                                                                         \
    const __mmask16 mask = cols - c0 >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << (cols - c0)) - 1);          \
    const __m512i cv = _mm512_load_si512(corr + c0);                                                               \
    const int64_t col = n0 + c0;                                                                                   \
    const __m512 ws = g->acc_out ? _mm512_setzero_ps() : g->w_per_row ? _mm512_maskz_loadu_ps(mask, g->w_scales + col) \
                                                                        : _mm512_set1_ps(g->w_scales[0]);          \
    const __m512 bv = g->bias && !g->acc_out ? _mm512_maskz_loadu_ps(mask, g->bias + col) : _mm512_setzero_ps();

/* One register tile: mr rows of a strip (ap) against one panel (wp), over all of K. */
static inline __attribute__((always_inline)) void tile(const gemm_args *g, const uint8_t *ap, const int8_t *wp,
                                                        const int32_t *corr, const int mr, int32_t m0,
                                                        int32_t n0) {
    const int64_t groups = g->kp / 4;
    __m512i acc[MR][NR];
    UNROLL for (int i = 0; i < mr; i++)
        UNROLL for (int j = 0; j < NR; j++)
            acc[i][j] = _mm512_setzero_si512();
    for (int64_t q = 0; q < groups; q++) {
        const int8_t *wq = wp + q * PW * 4;
        const uint8_t *aq = ap + q * mr * 4;
        __m512i wv[NR];
        UNROLL for (int j = 0; j < NR; j++)
            wv[j] = _mm512_load_si512(wq + j * 64);
        UNROLL for (int i = 0; i < mr; i++) {
            const __m512i av = bcast(aq + i * 4);
            UNROLL for (int j = 0; j < NR; j++)
                acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av, wv[j]);
        }
    }
    /* the epilogue stays in this function: handing acc to a helper made gcc keep it in memory in the loop */
    const int32_t cols = g->n - n0 < PW ? g->n - n0 : PW;
    UNROLL for (int j = 0; j < NR; j++) {
        COLUMN(j)
        UNROLL for (int i = 0; i < mr; i++)
            store(g, acc[i][j], cv, m0 + i, col, mask, ws, bv);
    }
}

/* M = 1: the same product with four interleaved accumulator sets, so 4*NR chains are in flight. */
static void row1(const gemm_args *g, const uint8_t *ap, const int8_t *wp, const int32_t *corr, int32_t n0) {
    const int64_t groups = g->kp / 4;
    __m512i acc[4][NR];
    UNROLL for (int u = 0; u < 4; u++)
        UNROLL for (int j = 0; j < NR; j++)
            acc[u][j] = _mm512_setzero_si512();
    int64_t q = 0;
    for (; q + 4 <= groups; q += 4) {
        UNROLL for (int u = 0; u < 4; u++) {
            const __m512i av = bcast(ap + (q + u) * 4);
            UNROLL for (int j = 0; j < NR; j++)
                acc[u][j] = _mm512_dpbusd_epi32(acc[u][j], av, _mm512_load_si512(wp + (q + u) * PW * 4 + j * 64));
        }
    }
    for (; q < groups; q++) {
        const __m512i av = bcast(ap + q * 4);
        UNROLL for (int j = 0; j < NR; j++)
            acc[0][j] = _mm512_dpbusd_epi32(acc[0][j], av, _mm512_load_si512(wp + q * PW * 4 + j * 64));
    }
    const int32_t cols = g->n - n0 < PW ? g->n - n0 : PW;
    UNROLL for (int j = 0; j < NR; j++) {
        COLUMN(j)
        const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(acc[0][j], acc[1][j]),
                                             _mm512_add_epi32(acc[2][j], acc[3][j]));
        store(g, sum, cv, 0, col, mask, ws, bv);
    }
}

#define STRIP(R) \
    static void strip##R(const gemm_args *g, const uint8_t *ap, const int8_t *wp, const int32_t *corr, int32_t m0, \
                         int32_t n0) { tile(g, ap, wp, corr, R, m0, n0); }
STRIP(1)
STRIP(2)
STRIP(3)
STRIP(4)
STRIP(5)
STRIP(6)
STRIP(7)
STRIP(8)

/*
 * Output columns of panels [p0, p1) for all m rows, from packed A (sq_s8_pack_a) and packed W (sq_s8_pack_w).
 * acc_out non-null: raw int32 results; otherwise dequantized into out. Outputs are row-major [m, n].
 */
void sq_s8gemm_panels(const uint8_t *a_packed, const int8_t *w_packed, int32_t m, int32_t n, int32_t k, int32_t p0,
                      int32_t p1, int32_t *acc_out, float *out, const float *a_scales, int32_t a_per_row,
                      const float *w_scales, int32_t w_per_row, const float *bias) {
    const int64_t kp = kpad(k), np = npad(n);
    gemm_args g = {m, n, kp, acc_out, out, a_scales, a_per_row, w_scales, w_per_row, bias};
    const int32_t *corr = (const int32_t *) w_packed;
    const int8_t *panels = w_packed + np * 4;
    for (int64_t p = p0; p < p1; p++) {
        const int8_t *wp = panels + p * PW * kp;
        const int32_t n0 = (int32_t) (p * PW);
        if (m == 1) {
            row1(&g, a_packed, wp, corr + n0, n0);
            continue;
        }
        for (int32_t m0 = 0; m0 < m; m0 += MR) {
            const uint8_t *ap = a_packed + m0 * kp;
            switch (m - m0 < MR ? m - m0 : MR) {
                case 1: strip1(&g, ap, wp, corr + n0, m0, n0); break;
                case 2: strip2(&g, ap, wp, corr + n0, m0, n0); break;
                case 3: strip3(&g, ap, wp, corr + n0, m0, n0); break;
                case 4: strip4(&g, ap, wp, corr + n0, m0, n0); break;
                case 5: strip5(&g, ap, wp, corr + n0, m0, n0); break;
                case 6: strip6(&g, ap, wp, corr + n0, m0, n0); break;
                case 7: strip7(&g, ap, wp, corr + n0, m0, n0); break;
                default: strip8(&g, ap, wp, corr + n0, m0, n0); break;
            }
        }
    }
}
