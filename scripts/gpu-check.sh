#!/usr/bin/env bash
# The GPU self-check and benchmark in one call (com.seedsq.engine.cuda.GpuBench, then the same GEMM shapes through
# PyTorch as the reference), so a session that is lent a GPU fills docs/gpu-results.md from ONE device call.
#
#   scripts/gpu-check.sh prepare        on the developer machine (JDK 25 + Maven cache; no GPU needed): builds the
#                                       engine jar and a jlinked Java runtime into .gpu-check/ (git-ignored through
#                                       .git/info/exclude, ~30 MB), because the GPU machines have no Java and no network
#   scripts/gpu-check.sh run [DIR]      on the GPU machine: writes gpu-bench.{log,md,csv}, torch-bench.{csv,md},
#                                       nvidia-smi.txt, hf-reference.tar.gz (transformers' logits for the engine's
#                                       tests) and, when a check fails, sanitizer.log into DIR (default: $OUT if set,
#                                       else ./gpu-check-out)
#
# Device call (run tool): command "scripts/gpu-check.sh run", carry [".gpu-check"], timeout_s 540.
# SQ_PARTS="check:100 gemm:150" runs only those GpuBench parts (name:time limit in seconds).
# SQ_SKIP_HF_REFERENCE=1 skips the transformers reference logits (committed already).
# The GpuBench parts run one JVM each (check, gemm, e2e), each under a time limit, so one failure hides nothing.
# Exit status: GpuBench's (0 all checks passed, 1 a check failed, 2 no CUDA device).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENGINE="$ROOT/gpu-runner/engine"
KIT="$ROOT/.gpu-check"
MODE="${1:-run}"

prepare() {
  set -e
  local jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  [ -x "$jdk/bin/jlink" ] || jdk=/usr/lib/jvm/temurin-25-jdk-amd64
  echo "gpu-check: building the engine jar with $jdk" >&2
  (cd "$ROOT" && JAVA_HOME="$jdk" ./mvnw -q -B -pl gpu-runner/engine -Dmaven.test.skip=true -Dsq.models.skip=true package)
  rm -rf "$KIT"
  mkdir -p "$KIT/lib"
  cp "$(find "$ENGINE/target" -maxdepth 1 -name 'sq-engine-*.jar' ! -name '*-sources.jar' ! -name '*-tests.jar' | head -n 1)" "$KIT/lib/"
  # GpuBench needs the engine and JCuda; of JCuda's natives only the driver API's library (libcuda.so.1 is all it
  # links), so a slim natives jar keeps the kit small. The rest of target/lib is for the CLI.
  cp "$ENGINE"/target/lib/jcuda-12.6.0.jar "$KIT/lib/"
  cp "$ENGINE"/target/lib/jackson-*.jar "$KIT/lib/" 2>/dev/null || true
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && "$jdk/bin/jar" xf "$ENGINE"/target/lib/jcuda-natives-12.6.0-linux-x86_64.jar lib/libJCudaDriver-12.6.0-linux-x86_64.so \
     && "$jdk/bin/jar" cf "$KIT/lib/jcuda-natives-driver-12.6.0-linux-x86_64.jar" lib)
  # a Java 25 runtime (the GPU machines have none), xz-packed to fit the 64 MiB a device call carries
  "$jdk/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$tmp/jre"
  tar cf - -C "$tmp" jre | xz -T0 -6 > "$KIT/jre.tar.xz"
  rm -rf "$tmp"
  grep -qx '/.gpu-check/' "$ROOT/.git/info/exclude" 2>/dev/null || echo '/.gpu-check/' >> "$ROOT/.git/info/exclude"
  echo "gpu-check: kit ready in $KIT ($(du -sh "$KIT" | cut -f1)); on the GPU machine: scripts/gpu-check.sh run" >&2
}

run() {
  local out="${1:-${OUT:-$ROOT/gpu-check-out}}"
  mkdir -p "$out"
  local java cp
  if [ -f "$KIT/jre.tar.xz" ] && [ ! -x /tmp/sq-gpu-check/jre/bin/java ]; then
    mkdir -p /tmp/sq-gpu-check && tar xJf "$KIT/jre.tar.xz" -C /tmp/sq-gpu-check
  fi
  if [ -x /tmp/sq-gpu-check/jre/bin/java ] && [ -f "$KIT/jre.tar.xz" ]; then java=/tmp/sq-gpu-check/jre/bin/java;
  elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java";
  else java="$(command -v java || true)"; fi
  if [ -z "$java" ]; then
    echo "gpu-check: no Java here: run 'scripts/gpu-check.sh prepare' on the developer machine and carry .gpu-check" >&2
    exit 3
  fi
  if [ -d "$KIT/lib" ]; then cp="$KIT/lib/*";
  else cp="$(find "$ENGINE/target" -maxdepth 1 -name 'sq-engine-*.jar' ! -name '*-sources.jar' | head -n 1):$ENGINE/target/lib/*"; fi

  { command -v nvidia-smi >/dev/null && nvidia-smi; echo; command -v nvcc >/dev/null && nvcc --version; } \
    > "$out/nvidia-smi.txt" 2>&1 || true
  head -n 12 "$out/nvidia-smi.txt" 2>/dev/null
  local py=""
  command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null && py=python3

  # Reference logits from HF transformers (CPU only), in the background while the GPU parts run: committed as the
  # engine's HfTransformersReferenceTest data, since the developer machine has no torch.
  local hfpid=""
  if [ -n "$py" ] && [ -z "${SQ_SKIP_HF_REFERENCE:-}" ]; then
    (cd "$out" && timeout 240 "$py" "$ROOT/scripts/hf_reference.py" hf-reference > hf-reference.log 2>&1;
     tar czf hf-reference.tar.gz hf-reference hf-reference.log && rm -rf hf-reference hf-reference.log) &
    hfpid=$!
  fi

  # Each GpuBench part in its own JVM (a sticky CUDA error poisons a context), each with a time limit.
  local jvm=("$java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx32g -cp "$cp"
             com.seedsq.engine.cuda.GpuBench --out "$out")
  local status=0 part limit rc
  for part in ${SQ_PARTS:-check:100 gemm:150 e2e:90}; do
    limit=${part#*:}; part=${part%%:*}
    echo "== GpuBench --parts $part (limit ${limit}s)" | tee -a "$out/gpu-bench.log"
    timeout "$limit" "${jvm[@]}" --parts "$part" 2>&1 | tee -a "$out/gpu-bench.log"
    rc=${PIPESTATUS[0]}
    echo "== part $part exit $rc" | tee -a "$out/gpu-bench.log"
    [ "$rc" -gt "$status" ] && status=$rc
    if [ "$part" = check ] && [ "$rc" -ne 0 ] && command -v compute-sanitizer >/dev/null; then
      echo "== check failed: rerunning it under compute-sanitizer (memcheck)" | tee -a "$out/gpu-bench.log"
      timeout 120 compute-sanitizer --tool memcheck --print-limit 20 "${jvm[@]}" --out "$out/sanitized" --parts check \
        > "$out/sanitizer.log" 2>&1
      echo "== compute-sanitizer exit $?" | tee -a "$out/gpu-bench.log"
    fi
  done
  cat "$out"/gpu-bench-check.md "$out"/gpu-bench-gemm.md "$out"/gpu-bench-e2e.md > "$out/gpu-bench.md" 2>/dev/null
  rm -f "$out"/gpu-bench-check.md "$out"/gpu-bench-gemm.md "$out"/gpu-bench-e2e.md; rm -rf "$out/sanitized"

  if [ -n "$py" ] && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    PYTHONUNBUFFERED=1 timeout 100 python3 "$ROOT/scripts/torch_gemm_bench.py" --csv "$out/torch-bench.csv" \
      --ours "$out/gpu-bench.csv" 2>&1 | tee "$out/torch-bench.md"
    echo | tee -a "$out/torch-bench.md"
    PYTHONUNBUFFERED=1 timeout 100 python3 "$ROOT/scripts/torch_llama_bench.py" 2>&1 | tee -a "$out/torch-bench.md"
  else
    echo "gpu-check: no python3 with CUDA-enabled torch here, PyTorch reference skipped" | tee "$out/torch-bench.md"
  fi
  [ -n "$hfpid" ] && wait "$hfpid"
  echo "gpu-check: GpuBench worst exit status $status; results in $out"; ls -la "$out"
  exit "$status"
}

case "$MODE" in
  prepare) prepare ;;
  run) shift || true; run "$@" ;;
  *) echo "usage: scripts/gpu-check.sh prepare | run [DIR]" >&2; exit 64 ;;
esac
