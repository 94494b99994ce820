// Paged attention over the block-table KV cache (vLLM-style layout [blocks, block_size, nkv, hd] per layer).
//
// Both kernels read the keys and values of a sequence through its block table: position j lives in slot
// block_tables[e * max_blocks + j / bs] * bs + j % bs. The current step's tokens were appended to the cache
// first (kv_append_f16), so a prefill chunk sees the earlier chunks' context and itself.
//
// Each warp runs an online softmax (running max m, running sum l, running output acc) over its keys; lane
// `lane` owns the output elements d = i * 32 + lane (hd a multiple of 32, at most 256). GQA: query head h
// reads kv head h / (nh / nkv).
//
//  - decode: one block of 4 warps per (sequence, head); the warps split the context and merge their partial
//    softmax states through shared memory (flash-decoding inside one block).
//  - prefill: one warp per (query token, head); causal: token at position p attends to positions 0..p.
#include "common.cuh"

#define ATT_WARPS 4
#define ATT_MAX_PER_LANE 8  // hd <= 256

struct AttState {
    float m;
    float l;
    float acc[ATT_MAX_PER_LANE];
};

__device__ __forceinline__ void att_run(AttState& st, const float* q, const half* __restrict__ kcache,
                                        const half* __restrict__ vcache, const int* __restrict__ table, int bs,
                                        int nkv, int kvh, int hd, int j0, int jstep, int ctx, int lane) {
    const int per_lane = hd >> 5;
    for (int j = j0; j < ctx; j += jstep) {
        int block = table[j / bs];
        size_t base = ((size_t)block * bs + (j % bs)) * nkv * hd + (size_t)kvh * hd;
        const half* kp = kcache + base;
        const half* vp = vcache + base;
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < ATT_MAX_PER_LANE; i++) {
            if (i < per_lane) {
                dot += q[i] * __half2float(kp[i * 32 + lane]);
            }
        }
        float s = eqx_warp_sum(dot);
        float m_new = fmaxf(st.m, s);
        float corr = __expf(st.m - m_new);
        float p = __expf(s - m_new);
        st.l = st.l * corr + p;
#pragma unroll
        for (int i = 0; i < ATT_MAX_PER_LANE; i++) {
            if (i < per_lane) {
                st.acc[i] = st.acc[i] * corr + p * __half2float(vp[i * 32 + lane]);
            }
        }
        st.m = m_new;
    }
}

__device__ __forceinline__ void att_init(AttState& st) {
    st.m = -INFINITY;
    st.l = 0.0f;
#pragma unroll
    for (int i = 0; i < ATT_MAX_PER_LANE; i++) st.acc[i] = 0.0f;
}

__device__ __forceinline__ void att_load_q(float* q, const half* __restrict__ qkv, int t, int head, int nh, int nkv,
                                           int hd, float scale, int lane) {
    size_t stride = (size_t)(nh + 2 * nkv) * hd;
    const half* qp = qkv + t * stride + (size_t)head * hd;
    const int per_lane = hd >> 5;
#pragma unroll
    for (int i = 0; i < ATT_MAX_PER_LANE; i++) {
        q[i] = i < per_lane ? __half2float(qp[i * 32 + lane]) * scale : 0.0f;
    }
}

// Grid: (D, nh); block: 128 threads. Entry e (a decode sequence) has its single token at query_start[e] and
// context_lens[e] keys (its own included).
extern "C" __global__ void __launch_bounds__(128) paged_attention_decode_f16(
        const half* __restrict__ qkv, const half* __restrict__ kcache, const half* __restrict__ vcache,
        half* __restrict__ out, const int* __restrict__ block_tables, const int* __restrict__ context_lens,
        const int* __restrict__ query_start, int D, int max_blocks, int bs, int nh, int nkv, int hd, float scale) {
    __shared__ float sm_m[ATT_WARPS];
    __shared__ float sm_l[ATT_WARPS];
    __shared__ float sm_acc[ATT_WARPS][256];
    int e = blockIdx.x;
    int head = blockIdx.y;
    if (e >= D || head >= nh) return;
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int t = query_start[e];
    int ctx = context_lens[e];
    int kvh = head / (nh / nkv);
    float q[ATT_MAX_PER_LANE];
    att_load_q(q, qkv, t, head, nh, nkv, hd, scale, lane);
    AttState st;
    att_init(st);
    att_run(st, q, kcache, vcache, block_tables + (size_t)e * max_blocks, bs, nkv, kvh, hd, warp, ATT_WARPS, ctx, lane);
    const int per_lane = hd >> 5;
    if (lane == 0) {
        sm_m[warp] = st.m;
        sm_l[warp] = st.l;
    }
#pragma unroll
    for (int i = 0; i < ATT_MAX_PER_LANE; i++) {
        if (i < per_lane) sm_acc[warp][i * 32 + lane] = st.acc[i];
    }
    __syncthreads();
    float M = -INFINITY;
#pragma unroll
    for (int w = 0; w < ATT_WARPS; w++) M = fmaxf(M, sm_m[w]);
    float L = 0.0f;
    float f[ATT_WARPS];
#pragma unroll
    for (int w = 0; w < ATT_WARPS; w++) {
        f[w] = sm_l[w] > 0.0f ? __expf(sm_m[w] - M) : 0.0f;  // a warp without keys contributes nothing
        L += sm_l[w] * f[w];
    }
    float invL = L > 0.0f ? 1.0f / L : 0.0f;
    half* op = out + (size_t)t * nh * hd + (size_t)head * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float v = 0.0f;
#pragma unroll
        for (int w = 0; w < ATT_WARPS; w++) v += sm_acc[w][d] * f[w];
        op[d] = __float2half_rn(v * invL);
    }
}

// Grid: (ceil((tok_end - tok_begin) / 4), nh); block: 128 threads (one warp per query token).
// Token t belongs to entry token_entry[t] and sits at positions[t]; it attends causally to 0..positions[t].
extern "C" __global__ void __launch_bounds__(128) paged_attention_prefill_f16(
        const half* __restrict__ qkv, const half* __restrict__ kcache, const half* __restrict__ vcache,
        half* __restrict__ out, const int* __restrict__ block_tables, const int* __restrict__ token_entry,
        const int* __restrict__ positions, int tok_begin, int tok_end, int max_blocks, int bs, int nh, int nkv, int hd,
        float scale) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int t = tok_begin + blockIdx.x * ATT_WARPS + warp;
    int head = blockIdx.y;
    if (t >= tok_end || head >= nh) return;  // whole warp exits together
    int e = token_entry[t];
    int ctx = positions[t] + 1;
    int kvh = head / (nh / nkv);
    float q[ATT_MAX_PER_LANE];
    att_load_q(q, qkv, t, head, nh, nkv, hd, scale, lane);
    AttState st;
    att_init(st);
    att_run(st, q, kcache, vcache, block_tables + (size_t)e * max_blocks, bs, nkv, kvh, hd, 0, 1, ctx, lane);
    float invL = st.l > 0.0f ? 1.0f / st.l : 0.0f;
    half* op = out + (size_t)t * nh * hd + (size_t)head * hd;
    const int per_lane = hd >> 5;
#pragma unroll
    for (int i = 0; i < ATT_MAX_PER_LANE; i++) {
        if (i < per_lane) op[i * 32 + lane] = __float2half_rn(st.acc[i] * invL);
    }
}
