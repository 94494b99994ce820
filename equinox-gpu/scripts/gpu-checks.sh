#!/usr/bin/env bash
# The GPU checks of docs/gpu.md in one pass, on a GPU host, from a bundle made by make-gpu-bundle.sh:
#   gpu-checks.sh BUNDLE OUT [TRACE]
# BUNDLE: the bundle directory; OUT: where logs and CSVs go; TRACE: a workload CSV from 'equinox export' for
# serve-bench (default: none, serve-bench is skipped). Every step has a time limit and the script goes on after a
# failure, so one run gives every figure it can. A pass took 258 s on an H100 (first run, before the kernel
# comparison) and 352 s with it (second run, three extra perf runs included), machine start not counted (docs/gpu.md).
set -uo pipefail
bundle="$(cd "$1" && pwd)"; out="$2"; trace="${3:-}"
mkdir -p "$out"
B="$bundle/bin/equinox-gpu"
L="$out/log.txt"
say() { echo "=== $(date +%T) $*" | tee -a "$L"; }
say start
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv 2>&1 | tee -a "$L"
timeout 30 "$B" probe 2>&1 | tee -a "$L"; [ "${PIPESTATUS[0]}" = 0 ] || { say "no usable GPU"; exit 2; }
if [ -d "$bundle/tests" ]; then
  say "GPU tests (JUnit)"
  cp="$bundle/tests/classes:$(ls "$bundle"/lib/*.jar | paste -sd:)"
  timeout 120 "$bundle/jre/bin/java" -jar "$bundle"/tests/junit-platform-console-standalone-*.jar execute -cp "$cp" \
    --select-class dev.equinox.gpu.GpuKernelTest --select-class dev.equinox.gpu.GpuModelTest \
    --details=tree --disable-banner --disable-ansi-colors 2>&1 | tee -a "$L"
fi
say selftest; timeout 60 "$B" selftest 2>&1 | tee -a "$L"
for k in default warp; do
  say "perf, $k kernels"; JAVA_OPTS="-Dequinox.gpu.kernels=$k" timeout 90 "$B" perf 2>&1 | tee -a "$L"
  say "prefill steps, $k kernels"
  JAVA_OPTS="-Dequinox.gpu.kernels=$k" timeout 90 "$B" calibrate --model llama-2-7b --kv-blocks 1024 --prefill 512,2048,4096 \
    --decode 0 --context 256 --warmup 1 --repeats 3 --out "$out/prefill-$k.csv" 2>&1 | tee -a "$L"
done
say calibrate
timeout 150 "$B" calibrate --model llama-2-7b --kv-blocks 4608 --block-size 16 --prefill 0,256,512,1024,2048 \
  --decode 0,1,16,64,128 --context 256,512 --warmup 1 --repeats 3 --out "$out/calibration-7b.csv" 2>&1 | tee -a "$L"
profile=(); [ -s "$out/calibration-7b.csv" ] && profile=(--cost-profile "$out/calibration-7b.csv")
if [ -n "$trace" ]; then
  for p in fcfs vtc equinox; do
    say "serve-bench $p"
    [ $p = equinox ] && { nvidia-smi --query-gpu=timestamp,utilization.gpu,utilization.memory --format=csv,noheader,nounits \
      -lms 250 > "$out/smi.csv" 2>&1 & smi=$!; }
    timeout 120 "$B" serve-bench --model llama-2-7b --kv-blocks 4096 --block-size 16 --token-budget 2048 --max-running 128 \
      --chunk 512 --max-context 4096 --trace "$trace" --max-seconds 50 --policy $p "${profile[@]}" --csv "$out/serve-$p.csv" 2>&1 \
      | tee -a "$L"
    [ -n "${smi:-}" ] && kill "$smi" 2>/dev/null
  done
fi
say done
