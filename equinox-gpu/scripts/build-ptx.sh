#!/usr/bin/env bash
# Compiles the CUDA kernels of equinox-gpu to PTX for sm_80 (A100) and sm_90 (H100) and writes them under
# src/main/resources/dev/equinox/gpu/ptx/<arch>/<name>.ptx, where GpuKernels loads them with cuModuleLoadData.
# The driver JIT-compiles the PTX for the actual GPU (newer GPUs take the sm_90 PTX).
#
# Needs nvcc (CUDA 12.x or 13.x). PTX from CUDA 13 carries a PTX ISA version that needs a CUDA 13 driver;
# build with CUDA 12 when the GPU hosts run an older driver. Usage: scripts/build-ptx.sh [nvcc]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
nvcc="${1:-${NVCC:-nvcc}}"
src="$here/src/main/cuda"
out="$here/src/main/resources/dev/equinox/gpu/ptx"
for arch in sm_80 sm_90; do
  mkdir -p "$out/$arch"
  for cu in "$src"/*.cu; do
    name="$(basename "$cu" .cu)"
    "$nvcc" -ptx -arch="$arch" -O3 -std=c++17 -lineinfo -I"$src" "$cu" -o "$out/$arch/$name.ptx"
    echo "$arch/$name.ptx"
  done
done
"$nvcc" --version | tail -n 1 > "$out/NVCC_VERSION"
