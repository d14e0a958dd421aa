#!/usr/bin/env python3
"""PyTorch reference for GpuBench's end-to-end section: the same LLaMA-7B-shaped FP16 decoder stack (dim 4096, 32
heads of 128, SwiGLU FFN 11008, 32 layers sharing one layer's random weights, no embedding or LM head), prefill of
512 tokens and one decode step at context 512, in eager PyTorch (cuBLAS GEMMs, scaled_dot_product_attention) and
replayed as a CUDA graph. Timed like GpuBench: CUDA events, best of 3 batches of ~30 ms after a warm-up.
"""
import sys

import torch
import torch.nn.functional as F

from torch_gemm_bench import time_ms  # the same timing as the GEMM reference (scripts/ is on sys.path)

DIM, HEADS, HD, FFN, LAYERS, PROMPT = 4096, 32, 128, 11008, 32, 512


def main():
    dev = torch.device("cuda")
    torch.manual_seed(0)
    w = {n: (torch.randn(o, i, device=dev) * 0.02).half() for n, o, i in
         [("q", DIM, DIM), ("k", DIM, DIM), ("v", DIM, DIM), ("o", DIM, DIM), ("g", FFN, DIM), ("u", FFN, DIM),
          ("d", DIM, FFN)]}
    norm = torch.ones(DIM, device=dev, dtype=torch.half)
    pos = torch.arange(PROMPT + 1, device=dev, dtype=torch.float32)
    inv = 1.0 / (10000 ** (torch.arange(0, HD, 2, device=dev, dtype=torch.float32) / HD))
    ang = torch.outer(pos, inv)
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1).half(), torch.cat([ang.sin(), ang.sin()], -1).half()
    kc = torch.zeros(HEADS, PROMPT + 1, HD, device=dev, dtype=torch.half)
    vc = torch.zeros_like(kc)

    def rms(x):
        return (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-5)).half() * norm

    def rope(x, start, t):  # x [HEADS, t, HD], rotate_half layout
        c, s = cos[start:start + t], sin[start:start + t]
        x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
        return x * c + torch.cat([-x2, x1], -1) * s

    def forward(x, start):
        t = x.shape[0]
        for _ in range(LAYERS):
            h = rms(x)
            q = rope((h @ w["q"].t()).view(t, HEADS, HD).transpose(0, 1), start, t)
            kc[:, start:start + t] = rope((h @ w["k"].t()).view(t, HEADS, HD).transpose(0, 1), start, t)
            vc[:, start:start + t] = (h @ w["v"].t()).view(t, HEADS, HD).transpose(0, 1)
            if start == 0:
                a = F.scaled_dot_product_attention(q, kc[:, :t], vc[:, :t], is_causal=True)
            else:
                a = F.scaled_dot_product_attention(q, kc[:, :start + t], vc[:, :start + t])
            x = x + a.transpose(0, 1).reshape(t, DIM) @ w["o"].t()
            h = rms(x)
            x = x + (F.silu(h @ w["g"].t()) * (h @ w["u"].t())) @ w["d"].t()
        return x

    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}", file=sys.stderr)
    print("## End to end in PyTorch (FP16, same stack)\n")
    print("| phase | eager ms | CUDA graph ms |")
    print("|---|---|---|")
    for t, start in [(PROMPT, 0), (1, PROMPT)]:
        x = torch.randn(t, DIM, device=dev).half()
        with torch.no_grad():
            eager = time_ms(lambda: forward(x, start))
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(2):
                    forward(x, start)
            torch.cuda.current_stream().wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                forward(x, start)
            graph = time_ms(g.replay)
        name = f"prefill {t} tokens" if t > 1 else f"decode 1 token at context {start}"
        print(f"| {name} | {eager:.3f} | {graph:.3f} |")


if __name__ == "__main__":
    main()
