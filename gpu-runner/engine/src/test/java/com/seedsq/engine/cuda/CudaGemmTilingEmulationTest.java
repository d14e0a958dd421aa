package com.seedsq.engine.cuda;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The INT8 GEMM kernel's index arithmetic, executed on the CPU: a line-by-line Java mirror of {@code sq_gemm} in
 * {@code src/main/cuda/sq_gemm.cuh} (tile loads with zero-filled edges, {@code ldmatrix} lane addressing, the
 * {@code m16n8k32} fragment layouts as the PTX ISA defines them, the epilogue's row/column mapping), run for every tile
 * on ragged shapes and compared with a plain triple loop. No GPU can run here; this catches a wrong offset, lane or
 * fragment mapping before a device session does. Keep it in step with the kernel.
 */
class CudaGemmTilingEmulationTest {

    /** C[M,N] = A[M,kp]·W[N,kp]ᵀ as the kernel computes it (kp = padded K, pad columns zero). */
    static int[] emulate(byte[] a, byte[] w, int m, int n, int kp, GemmTile t) {
        int bm = t.bm(), bn = t.bn(), stages = t.stages(), warps = t.warpsM() * t.warpsN(), threads = t.threads();
        int wm = t.warpTileM(), wn = t.warpTileN(), mi_ = wm / 16, ni_ = wn / 8;
        int bk = t.kStageBytes(), rowBytes = t.sharedRowBytes(), chunks = bk / 16;
        int[] c = new int[m * n];
        for (int by = 0; by < (m + bm - 1) / bm; by++) {
            for (int bx = 0; bx < (n + bn - 1) / bn; bx++) {
                int blockM = by * bm, blockN = bx * bn;
                byte[] sA = new byte[stages * bm * rowBytes], sB = new byte[stages * bn * rowBytes];
                int[][][][][] acc = new int[warps][mi_][ni_][32][4];
                for (int kt = 0; kt < (kp + bk - 1) / bk; kt++) {
                    int stage = kt % stages;
                    // loadStage: chunk i of 16 bytes per thread-iteration, rows past M/N and chunks past K zero-filled
                    for (int i = 0; i < bm * chunks; i++) {
                        int r = i / chunks, ch = i % chunks, gm = blockM + r, kb = kt * bk + ch * 16;
                        int src = Math.min(gm, m - 1) * kp + Math.min(kb, kp - 16);
                        for (int b = 0; b < 16; b++) {
                            sA[(stage * bm + r) * rowBytes + ch * 16 + b] = gm < m && kb < kp ? a[src + b] : 0;
                        }
                    }
                    for (int i = 0; i < bn * chunks; i++) {
                        int r = i / chunks, ch = i % chunks, gn = blockN + r, kb = kt * bk + ch * 16;
                        int src = Math.min(gn, n - 1) * kp + Math.min(kb, kp - 16);
                        for (int b = 0; b < 16; b++) {
                            sB[(stage * bn + r) * rowBytes + ch * 16 + b] = gn < n && kb < kp ? w[src + b] : 0;
                        }
                    }
                    for (int warp = 0; warp < warps; warp++) {
                        int warpM = warp / t.warpsN(), warpN = warp % t.warpsN();
                        int tA = (stage * bm + warpM * wm) * rowBytes, tB = (stage * bn + warpN * wn) * rowBytes;
                        for (int ks = 0; ks < bk; ks += 32) {
                            int[][][] fa = new int[mi_][][], fb = new int[ni_][][];
                            for (int mi = 0; mi < mi_; mi++) {
                                int[] addr = new int[32];
                                for (int lane = 0; lane < 32; lane++) {
                                    addr[lane] = tA + (mi * 16 + (lane & 15)) * rowBytes + ks + (lane >> 4) * 16;
                                }
                                fa[mi] = ldmatrix(sA, addr, 4);
                            }
                            for (int ni = 0; ni < ni_; ni++) {
                                int[] addr = new int[32];
                                for (int lane = 0; lane < 32; lane++) {
                                    addr[lane] = tB + (ni * 8 + (lane & 7)) * rowBytes + ks + ((lane >> 3) & 1) * 16;
                                }
                                fb[ni] = ldmatrix(sB, addr, 2);
                            }
                            for (int mi = 0; mi < mi_; mi++) {
                                for (int ni = 0; ni < ni_; ni++) {
                                    mmaS8(acc[warp][mi][ni], fa[mi], fb[ni]);
                                }
                            }
                        }
                    }
                }
                // epilogue
                for (int warp = 0; warp < warps; warp++) {
                    int warpM = warp / t.warpsN(), warpN = warp % t.warpsN();
                    for (int lane = 0; lane < 32; lane++) {
                        int g = lane >> 2, tq = lane & 3;
                        for (int mi = 0; mi < mi_; mi++) {
                            for (int ni = 0; ni < ni_; ni++) {
                                int row = blockM + warpM * wm + mi * 16 + g, col = blockN + warpN * wn + ni * 8 + 2 * tq;
                                for (int h = 0; h < 2; h++) {
                                    int r = row + 8 * h;
                                    if (r >= m) {
                                        continue;
                                    }
                                    if (col < n) {
                                        c[r * n + col] = acc[warp][mi][ni][lane][2 * h];
                                    }
                                    if (col + 1 < n) {
                                        c[r * n + col + 1] = acc[warp][mi][ni][lane][2 * h + 1];
                                    }
                                }
                            }
                        }
                    }
                }
                if (threads != warps * 32) {
                    throw new AssertionError();
                }
            }
        }
        return c;
    }

    /**
     * ldmatrix.m8n8.xN.b16: matrix j's 8 row addresses come from lanes 8j..8j+7; lane L receives, as its register j,
     * the 4 bytes at (row L/4 of matrix j, bytes 4·(L%4)..+3). Returns regs[lane][j] as 4 bytes each.
     */
    static int[][] ldmatrix(byte[] smem, int[] addr, int count) {
        int[][] regs = new int[32][count];
        for (int j = 0; j < count; j++) {
            for (int lane = 0; lane < 32; lane++) {
                int rowAddr = addr[8 * j + lane / 4] + 4 * (lane % 4);
                regs[lane][j] = (smem[rowAddr] & 0xff) | (smem[rowAddr + 1] & 0xff) << 8
                        | (smem[rowAddr + 2] & 0xff) << 16 | (smem[rowAddr + 3] & 0xff) << 24;
            }
        }
        return regs;
    }

    static byte b(int reg, int i) {
        return (byte) (reg >> (8 * i));
    }

    /** mma.m16n8k32.row.col.s32.s8.s8.s32 with the PTX ISA's fragment layouts (g = lane/4, t = lane%4). */
    static void mmaS8(int[][] d, int[][] a, int[][] bf) {
        byte[][] am = new byte[16][32], bm = new byte[32][8];
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2, t = lane & 3;
            for (int i = 0; i < 16; i++) { // a_i: reg i/4, byte i%4
                int row = (i < 4 || (i >= 8 && i < 12)) ? g : g + 8;
                int col = t * 4 + (i & 3) + (i >= 8 ? 16 : 0);
                am[row][col] = b(a[lane][i / 4], i % 4);
            }
            for (int i = 0; i < 8; i++) { // b_i: reg i/4, byte i%4
                int row = t * 4 + (i & 3) + (i >= 4 ? 16 : 0);
                bm[row][g] = b(bf[lane][i / 4], i % 4);
            }
        }
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2, t = lane & 3;
            for (int i = 0; i < 4; i++) {
                int row = i < 2 ? g : g + 8, col = t * 2 + (i & 1);
                int s = 0;
                for (int k = 0; k < 32; k++) {
                    s += am[row][k] * bm[k][col];
                }
                d[lane][i] += s;
            }
        }
    }

    @Test
    void everyTileComputesTheProductOnRaggedShapes() {
        SplittableRandom rnd = new SplittableRandom(7);
        int[][] shapes = {{1, 8, 64}, {1, 100, 100}, {17, 33, 130}, {37, 100, 128}, {129, 257, 192}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (GemmTile t : GemmTile.values()) {
                if (!t.tensorCores()) {
                    continue; // the GEMV has no MMA fragments to mirror; GpuBench checks it exactly on a device
                }
                GemmPlan plan = GemmPlan.of(m, n, k, GemmPrecision.INT8, t);
                int kp = plan.kPadded();
                byte[] a = new byte[m * kp], w = new byte[n * kp];
                for (int r = 0; r < m; r++) {
                    for (int c = 0; c < k; c++) {
                        a[r * kp + c] = (byte) (rnd.nextInt(255) - 127);
                    }
                }
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < k; c++) {
                        w[r * kp + c] = (byte) (rnd.nextInt(255) - 127);
                    }
                }
                int[] want = new int[m * n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        int acc = 0;
                        for (int c = 0; c < k; c++) {
                            acc += a[i * kp + c] * w[j * kp + c];
                        }
                        want[i * n + j] = acc;
                    }
                }
                assertArrayEquals(want, emulate(a, w, m, n, kp, t), m + "x" + n + "x" + k + " tile " + t);
            }
        }
    }
}
