#!/usr/bin/env bash
# Compiles the CUDA kernels (gpu-runner/engine/src/main/cuda) into one fatbin resource with SASS for sm_80, sm_86,
# sm_89 and sm_90 plus compute_80 PTX (JIT-compiled by the driver on anything newer), and writes next to it the
# SHA-256 of the sources it was built from. Commit both files: a normal build never needs nvcc, and the unit test
# com.seedsq.engine.cuda.CudaSourceHashTest fails when the sources and the committed fatbin disagree.
#
# Source hash = sha256 of the bytes of every regular file in src/main/cuda, concatenated in file-name order (C locale).
#
# Usage: scripts/build-cuda.sh            (NVCC=/path/to/nvcc to pick a compiler; default: nvcc on PATH, else CUDA 13)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/gpu-runner/engine/src/main/cuda"
OUT="$ROOT/gpu-runner/engine/src/main/resources/cuda"
NVCC="${NVCC:-$(command -v nvcc || echo /usr/local/cuda-13.0/bin/nvcc)}"

if [ ! -x "$NVCC" ]; then
  echo "build-cuda.sh: nvcc not found (set NVCC=/path/to/nvcc)" >&2
  exit 1
fi
mkdir -p "$OUT"

source_hash() {
  (cd "$SRC" && LC_ALL=C ls -1 | while IFS= read -r f; do [ -f "$f" ] && cat -- "$f"; done) | sha256sum | cut -d' ' -f1
}

echo "build-cuda.sh: $("$NVCC" --version | tail -1)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$NVCC" -fatbin -std=c++17 -O3 --threads 0 \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_86,code=sm_86 \
  -gencode arch=compute_89,code=sm_89 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_80,code=compute_80 \
  -o "$tmp/sq_kernels.fatbin" "$SRC/sq_kernels.cu"

cp "$tmp/sq_kernels.fatbin" "$OUT/sq_kernels.fatbin"
echo "$(source_hash)" > "$OUT/sq_kernels.sha256"
echo "build-cuda.sh: wrote $OUT/sq_kernels.fatbin ($(stat -c %s "$OUT/sq_kernels.fatbin") bytes), source sha256 $(cat "$OUT/sq_kernels.sha256")"
