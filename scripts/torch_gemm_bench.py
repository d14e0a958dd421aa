#!/usr/bin/env python3
"""PyTorch reference for GpuBench's GEMM grid: torch._int_mm (INT8 x INT8 -> INT32, cuBLASLt) and torch.matmul in
FP16, on the same shapes C[M,N] = A[M,K] @ W[N,K]^T, timed with CUDA events (best of 3 batches of ~30 ms, after a
warm-up), like GpuBench. With --ours gpu-bench.csv it prints one markdown table comparing both.

torch._int_mm needs M > 16 (and K, N multiples of 8): smaller M are run with M padded to 32 and marked so.
"""
import argparse
import csv
import sys

import torch

MS = [1, 16, 128, 512, 2048]
KN = [(4096, 4096), (8192, 8192), (4096, 11008), (11008, 4096)]


def time_ms(fn):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record(); fn(); b.record(); b.synchronize()
    once = max(a.elapsed_time(b), 1e-3)
    iters = int(max(3, min(1000, -(-30 // once))))
    best = float("inf")
    for _ in range(3):
        a.record()
        for _ in range(iters):
            fn()
        b.record(); b.synchronize()
        best = min(best, a.elapsed_time(b) / iters)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--csv", default="torch-bench.csv")
    p.add_argument("--ours", help="GpuBench's gpu-bench.csv, to print the comparison table")
    args = p.parse_args()
    dev = torch.device("cuda")
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}", file=sys.stderr)
    rows = []
    for k, n in KN:
        w8 = torch.randint(-127, 128, (n, k), dtype=torch.int8, device=dev)
        w16 = (torch.randn(n, k, device=dev) * 0.02).half()
        for m in MS:
            note = ""
            m8 = m
            if m <= 16:
                m8, note = 32, "int_mm M padded to 32"
            a8 = torch.randint(-127, 128, (m8, k), dtype=torch.int8, device=dev)
            a16 = torch.randn(m, k, device=dev).half()
            try:
                t8 = time_ms(lambda: torch._int_mm(a8, w8.t()))
            except Exception as e:  # shape or build limits
                t8, note = float("nan"), f"int_mm failed: {type(e).__name__}: {str(e).splitlines()[0][:80]}"
            t16 = time_ms(lambda: torch.matmul(a16, w16.t()))
            rows.append(dict(m=m, n=n, k=k, torch_int_mm_ms=t8, torch_fp16_ms=t16, note=note))
            print(f"M={m} N={n} K={k}: int_mm {t8:.4f} ms, fp16 {t16:.4f} ms {note}", file=sys.stderr)
        del w8, w16
    with open(args.csv, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        wr.writeheader()
        wr.writerows(rows)

    ours = {}
    if args.ours:
        try:
            with open(args.ours) as f:
                for r in csv.DictReader(f):
                    ours[(int(r["m"]), int(r["n"]), int(r["k"]))] = r
        except OSError as e:
            print(f"no GpuBench results to compare ({e})", file=sys.stderr)
    print(f"## GEMM: ours vs PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}\n")
    print("Times in ms (best of 3 batches, CUDA events). Ratios > 1 mean ours is faster. Ours: best tile.\n")
    print("| M | N | K | ours INT8 | torch._int_mm | ours/torch INT8 | ours FP16 | torch FP16 | ours/torch FP16 "
          "| ours INT8 vs FP16 | torch INT8 vs FP16 | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        o = ours.get((r["m"], r["n"], r["k"]))
        t8, t16 = r["torch_int_mm_ms"], r["torch_fp16_ms"]
        if o:
            o8, o16 = float(o["int8_best_ms"]), float(o["fp16_best_ms"])
            print(f"| {r['m']} | {r['n']} | {r['k']} | {o8:.4f} | {t8:.4f} | {t8 / o8:.2f}x | {o16:.4f} | {t16:.4f} "
                  f"| {t16 / o16:.2f}x | {o16 / o8:.2f}x | {t16 / t8:.2f}x | {r['note']} |")
        else:
            print(f"| {r['m']} | {r['n']} | {r['k']} | - | {t8:.4f} | - | - | {t16:.4f} | - | - | {t16 / t8:.2f}x "
                  f"| {r['note']} |")


if __name__ == "__main__":
    main()
