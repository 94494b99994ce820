// Tiled GEMM on tensor cores (WMMA 16x16x16), fp16 or bf16 inputs, fp32 accumulation.
//
//   C[M, N] (op)= A[M, K] * W[N, K]^T
//
// A is row-major activations (leading dimension K), W is a row-major weight matrix as in a PyTorch Linear
// (out_features x in_features, leading dimension K). Read as B = W^T, the W tile in shared memory is exactly a
// column-major K x N tile, so the matrix_b fragment is loaded col_major without a transpose.
//
// Tiles: BM x BN per block, BK = 32, warp tile WM x WN; two shared-memory stages filled with cp.async
// (zero-filled past the matrix edges), so M and N are arbitrary. K must be a multiple of 8 (16-byte loads);
// the host checks it (LaunchGrid).
//
// Epilogue modes: 0 = store as the input type into Ch, 1 = store fp32 into Cf, 2 = add into fp32 Cf
// (residual connection).
//
// Split-K (mode 2 only): with gridDim.z = S > 1, block z multiplies its share of the K tiles and adds its partial
// product with atomicAdd, so skinny decode shapes (M <= 64, N = 4096) still put enough blocks on the GPU to
// stream the weights at full bandwidth. The host (LaunchGrid) never splits modes 0 and 1.
#include <mma.h>
#include "common.cuh"

using namespace nvcuda;

#define GEMM_BK 32
#define GEMM_PAD 8
#define GEMM_LDS (GEMM_BK + GEMM_PAD)

__device__ __forceinline__ void eqx_cp_async16(void* smem, const void* gmem, bool valid) {
    unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
    int bytes = valid ? 16 : 0;  // src-size 0: nothing is read, 16 zero bytes are written
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(bytes));
}

__device__ __forceinline__ void eqx_cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}

template <int N>
__device__ __forceinline__ void eqx_cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ float eqx_to_float(half v) { return __half2float(v); }
__device__ __forceinline__ float eqx_to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T eqx_from_float(float v);
template <> __device__ __forceinline__ half eqx_from_float<half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 eqx_from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// Keep in sync with KernelAlgorithmTest.gemmPort (equinox-gpu/src/test/java/dev/equinox/gpu/KernelAlgorithmTest.java),
// the CPU port of this function's tiling, zero-filled edges, split-K ranges and epilogue: change both together.
template <typename T, int BM, int BN, int WM, int WN>
__device__ __forceinline__ void eqx_gemm(const T* __restrict__ A, const T* __restrict__ W, T* __restrict__ Ch,
                                         float* __restrict__ Cf, int M, int N, int K, int mode) {
    constexpr int WARPS_M = BM / WM;
    constexpr int WARPS_N = BN / WN;
    constexpr int NT = WARPS_M * WARPS_N * 32;
    constexpr int FM = WM / 16;
    constexpr int FN = WN / 16;
    constexpr int A_STAGE = BM * GEMM_LDS;  // elements
    constexpr int B_STAGE = BN * GEMM_LDS;
    constexpr int SMEM_BYTES = 2 * (A_STAGE + B_STAGE) * (int)sizeof(T);
    static_assert(SMEM_BYTES >= WARPS_M * WARPS_N * 256 * 4, "epilogue staging must fit in the tile buffers");
    static_assert(SMEM_BYTES <= 48 * 1024, "static shared memory limit");

    __shared__ __align__(128) unsigned char smem[SMEM_BYTES];
    T* As = reinterpret_cast<T*>(smem);
    T* Bs = As + 2 * A_STAGE;

    const int tid = threadIdx.x;
    const int warp = tid >> 5;
    const int lane = tid & 31;
    const int wm = warp / WARPS_N;
    const int wn = warp % WARPS_N;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
    for (int i = 0; i < FM; i++) {
#pragma unroll
        for (int j = 0; j < FN; j++) {
            wmma::fill_fragment(acc[i][j], 0.0f);
        }
    }

    const int kTilesAll = (K + GEMM_BK - 1) / GEMM_BK;
    const int perSplit = (kTilesAll + gridDim.z - 1) / gridDim.z;
    const int ktBegin = blockIdx.z * perSplit;
    const int kTiles = max(0, min(kTilesAll, ktBegin + perSplit) - ktBegin);

    auto load_tile = [&](int kt, int stage) {
        const int k0 = (ktBegin + kt) * GEMM_BK;
        T* as = As + stage * A_STAGE;
        T* bs = Bs + stage * B_STAGE;
        // BK / 8 = 4 chunks of 16 bytes per row
        for (int c = tid; c < BM * (GEMM_BK / 8); c += NT) {
            int r = c >> 2;
            int kc = (c & 3) * 8;
            int gr = m0 + r;
            int gk = k0 + kc;
            bool ok = gr < M && gk < K;
            eqx_cp_async16(as + r * GEMM_LDS + kc, ok ? (const void*)(A + (size_t)gr * K + gk) : (const void*)A, ok);
        }
        for (int c = tid; c < BN * (GEMM_BK / 8); c += NT) {
            int r = c >> 2;
            int kc = (c & 3) * 8;
            int gn = n0 + r;
            int gk = k0 + kc;
            bool ok = gn < N && gk < K;
            eqx_cp_async16(bs + r * GEMM_LDS + kc, ok ? (const void*)(W + (size_t)gn * K + gk) : (const void*)W, ok);
        }
    };

    if (kTiles > 0) {
        load_tile(0, 0);
    }
    eqx_cp_async_commit();

    for (int kt = 0; kt < kTiles; kt++) {
        if (kt + 1 < kTiles) {
            load_tile(kt + 1, (kt + 1) & 1);
            eqx_cp_async_commit();
            eqx_cp_async_wait<1>();
        } else {
            eqx_cp_async_wait<0>();
        }
        __syncthreads();
        const T* as = As + (kt & 1) * A_STAGE;
        const T* bs = Bs + (kt & 1) * B_STAGE;
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa[FM];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb[FN];
#pragma unroll
            for (int i = 0; i < FM; i++) {
                wmma::load_matrix_sync(fa[i], as + (wm * WM + i * 16) * GEMM_LDS + kk, GEMM_LDS);
            }
#pragma unroll
            for (int j = 0; j < FN; j++) {
                wmma::load_matrix_sync(fb[j], bs + (wn * WN + j * 16) * GEMM_LDS + kk, GEMM_LDS);
            }
#pragma unroll
            for (int i = 0; i < FM; i++) {
#pragma unroll
                for (int j = 0; j < FN; j++) {
                    wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }

    // Epilogue: stage each 16x16 accumulator through shared memory (per warp) and write with bounds checks.
    float* stage = reinterpret_cast<float*>(smem) + warp * 256;
#pragma unroll
    for (int i = 0; i < FM; i++) {
#pragma unroll
        for (int j = 0; j < FN; j++) {
            wmma::store_matrix_sync(stage, acc[i][j], 16, wmma::mem_row_major);
            __syncwarp();
            const int rb = m0 + wm * WM + i * 16;
            const int cb = n0 + wn * WN + j * 16;
            for (int e = lane; e < 256; e += 32) {
                int gr = rb + (e >> 4);
                int gc = cb + (e & 15);
                if (gr < M && gc < N) {
                    float v = stage[e];
                    size_t idx = (size_t)gr * N + gc;
                    if (mode == 0) {
                        Ch[idx] = eqx_from_float<T>(v);
                    } else if (mode == 1) {
                        Cf[idx] = v;
                    } else if (gridDim.z > 1) {
                        atomicAdd(Cf + idx, v);
                    } else {
                        Cf[idx] += v;
                    }
                }
            }
            __syncwarp();
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) gemm_f16_128x128(const half* A, const half* W, half* Ch, float* Cf,
                                                                    int M, int N, int K, int mode) {
    eqx_gemm<half, 128, 128, 64, 32>(A, W, Ch, Cf, M, N, K, mode);
}

extern "C" __global__ void __launch_bounds__(128) gemm_f16_64x64(const half* A, const half* W, half* Ch, float* Cf,
                                                                  int M, int N, int K, int mode) {
    eqx_gemm<half, 64, 64, 32, 32>(A, W, Ch, Cf, M, N, K, mode);
}

extern "C" __global__ void __launch_bounds__(256) gemm_bf16_128x128(const __nv_bfloat16* A, const __nv_bfloat16* W,
                                                                     __nv_bfloat16* Ch, float* Cf, int M, int N, int K,
                                                                     int mode) {
    eqx_gemm<__nv_bfloat16, 128, 128, 64, 32>(A, W, Ch, Cf, M, N, K, mode);
}

extern "C" __global__ void __launch_bounds__(128) gemm_bf16_64x64(const __nv_bfloat16* A, const __nv_bfloat16* W,
                                                                   __nv_bfloat16* Ch, float* Cf, int M, int N, int K,
                                                                   int mode) {
    eqx_gemm<__nv_bfloat16, 64, 64, 32, 32>(A, W, Ch, Cf, M, N, K, mode);
}
