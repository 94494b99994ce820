// Shared helpers for the Equinox GPU kernels. Everything here is device code; no CUDA runtime API is used,
// so the PTX loads with the driver API alone (cuModuleLoadData).
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#define EQX_WARP 32
#define EQX_FULL_MASK 0xffffffffu

__device__ __forceinline__ float eqx_warp_sum(float v) {
#pragma unroll
    for (int o = EQX_WARP / 2; o > 0; o >>= 1) {
        v += __shfl_xor_sync(EQX_FULL_MASK, v, o);
    }
    return v;
}

__device__ __forceinline__ float eqx_warp_max(float v) {
#pragma unroll
    for (int o = EQX_WARP / 2; o > 0; o >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(EQX_FULL_MASK, v, o));
    }
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024). Every thread gets the result.
__device__ __forceinline__ float eqx_block_sum(float v) {
    __shared__ float partial[32];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = eqx_warp_sum(v);
    __syncthreads();  // partial[] may still be read by a previous call
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    float t = lane < warps ? partial[lane] : 0.0f;
    return eqx_warp_sum(t);
}
