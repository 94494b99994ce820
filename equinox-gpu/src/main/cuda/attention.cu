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
//  - prefill: a block of 4 warps per (16 query tokens, head), K/V tiles shared in shared memory (below);
//    causal: token at position p attends to positions 0..p.
#include "common.cuh"

#define ATT_WARPS 4
#define ATT_MAX_PER_LANE 8  // hd <= 256

struct AttState {
    float m;
    float l;
    float acc[ATT_MAX_PER_LANE];
};

// Keep in sync with KernelAlgorithmTest.attRun (equinox-gpu/src/test/java/dev/equinox/gpu/KernelAlgorithmTest.java): change both together.
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
// Keep in sync with KernelAlgorithmTest.decodePort and .mergeWarps (equinox-gpu/src/test/java/dev/equinox/gpu/KernelAlgorithmTest.java): change both together.
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

// Decode, lane per key: the same grid and merge as paged_attention_decode_f16, but a warp walks its keys in tiles
// of 32 with lane j owning key j of the tile. Lane j reads key j's whole row with 16-byte loads (hd / 8 of them in
// flight per lane, against one 2-byte load per lane per key in the per-key kernel) and scores it against q, held
// in shared memory (every lane reads the same word: a broadcast); the tile's 32 scores need one warp max and one
// warp sum instead of a warp reduction per key. For the values lane `lane` owns the hd / 32 contiguous output
// elements from lane * (hd / 32); each key's value row is read by the whole warp at once, the key's probability
// broadcast from its lane. Warp w takes tiles w, w + 4, ...; hd a multiple of 32, at most 256.
#define DT_KEYS 32
// Keep in sync with KernelAlgorithmTest.decodeTiledPort and .mergeWarps (equinox-gpu/src/test/java/dev/equinox/gpu/KernelAlgorithmTest.java): change both together.

extern "C" __global__ void __launch_bounds__(128) paged_attention_decode_tiled_f16(
        const half* __restrict__ qkv, const half* __restrict__ kcache, const half* __restrict__ vcache,
        half* __restrict__ out, const int* __restrict__ block_tables, const int* __restrict__ context_lens,
        const int* __restrict__ query_start, int D, int max_blocks, int bs, int nh, int nkv, int hd, float scale) {
    __shared__ float sm_q[256];
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
    const int* table = block_tables + (size_t)e * max_blocks;
    {
        size_t stride = (size_t)(nh + 2 * nkv) * hd;
        const half* qp = qkv + t * stride + (size_t)head * hd;
        for (int d = threadIdx.x; d < hd; d += blockDim.x) sm_q[d] = __half2float(qp[d]) * scale;
    }
    __syncthreads();
    const int per_lane = hd >> 5;  // output elements per lane, contiguous from lane * per_lane
    float m = -INFINITY;
    float l = 0.0f;
    float acc[ATT_MAX_PER_LANE];
#pragma unroll
    for (int i = 0; i < ATT_MAX_PER_LANE; i++) acc[i] = 0.0f;
    for (int j0 = warp * DT_KEYS; j0 < ctx; j0 += ATT_WARPS * DT_KEYS) {
        int j = j0 + lane;
        float s = -INFINITY;
        if (j < ctx) {
            int block = table[j / bs];
            const half* kp = kcache + ((size_t)block * bs + (j % bs)) * nkv * hd + (size_t)kvh * hd;
            float dot = 0.0f;
#pragma unroll 16
            for (int d0 = 0; d0 < hd; d0 += 8) {  // unrolled: the row's 16-byte loads are issued together
                uint4 raw = *reinterpret_cast<const uint4*>(kp + d0);
                const half2* h2 = reinterpret_cast<const half2*>(&raw);
#pragma unroll
                for (int u = 0; u < 4; u++) {
                    float2 f = __half22float2(h2[u]);
                    dot += sm_q[d0 + 2 * u] * f.x + sm_q[d0 + 2 * u + 1] * f.y;
                }
            }
            s = dot;
        }
        float m_tile = eqx_warp_max(s);
        float m_new = fmaxf(m, m_tile);
        float corr = __expf(m - m_new);  // m = -inf on the first tile: corr = 0, acc and l are 0 anyway
        float p = j < ctx ? __expf(s - m_new) : 0.0f;
        l = l * corr + eqx_warp_sum(p);
#pragma unroll
        for (int i = 0; i < ATT_MAX_PER_LANE; i++) acc[i] *= corr;
        int keys = min(DT_KEYS, ctx - j0);
#pragma unroll 8
        for (int k = 0; k < keys; k++) {
            float pk = __shfl_sync(0xffffffffu, p, k);
            int jk = j0 + k;
            int block = table[jk / bs];
            const half* vp = vcache + ((size_t)block * bs + (jk % bs)) * nkv * hd + (size_t)kvh * hd + lane * per_lane;
            if (per_lane == 4) {  // hd 128, the common head size: one 8-byte load
                uint2 raw = *reinterpret_cast<const uint2*>(vp);
                const half2* h2 = reinterpret_cast<const half2*>(&raw);
                float2 a = __half22float2(h2[0]);
                float2 b = __half22float2(h2[1]);
                acc[0] += pk * a.x;
                acc[1] += pk * a.y;
                acc[2] += pk * b.x;
                acc[3] += pk * b.y;
            } else {
#pragma unroll
                for (int i = 0; i < ATT_MAX_PER_LANE; i++) {
                    if (i < per_lane) acc[i] += pk * __half2float(vp[i]);
                }
            }
        }
        m = m_new;
    }
    if (lane == 0) {
        sm_m[warp] = m;
        sm_l[warp] = l;
    }
#pragma unroll
    for (int i = 0; i < ATT_MAX_PER_LANE; i++) {
        if (i < per_lane) sm_acc[warp][lane * per_lane + i] = acc[i];
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

// Prefill: a block of 4 warps takes PF_TOKENS = 16 consecutive query tokens of one head (4 per warp). When they
// belong to one entry (the usual case: a chunk's tokens are contiguous in the step), the block walks that entry's
// keys in tiles of PF_KEYS = 32: the 128 threads copy a tile of K and V from the paged cache into shared memory
// once for all 16 queries; then lane j scores key j against each of the warp's 4 queries (one warp reduction per
// tile and query instead of one per key) and the warp folds the tile into its online softmax, lane `lane` again
// owning output elements d = i * 32 + lane. K rows are padded by one 32-bit word so that the 32 lanes reading 32
// different rows at the same column hit 32 different banks. A block whose tokens straddle two entries (at most one
// per chunk boundary) runs the per-token warp path of the decode kernel instead.
#define PF_QPW 4
#define PF_TOKENS (ATT_WARPS * PF_QPW)
#define PF_KEYS 32
#define PF_MAX_HD 256

// Grid: (ceil((tok_end - tok_begin) / PF_TOKENS), nh); block: 128 threads.
// Token t belongs to entry token_entry[t] and sits at positions[t]; it attends causally to 0..positions[t].
// Keep in sync with KernelAlgorithmTest.prefillBlockPort (equinox-gpu/src/test/java/dev/equinox/gpu/KernelAlgorithmTest.java): change both together.
extern "C" __global__ void __launch_bounds__(128) paged_attention_prefill_f16(
        const half* __restrict__ qkv, const half* __restrict__ kcache, const half* __restrict__ vcache,
        half* __restrict__ out, const int* __restrict__ block_tables, const int* __restrict__ token_entry,
        const int* __restrict__ positions, int tok_begin, int tok_end, int max_blocks, int bs, int nh, int nkv, int hd,
        float scale) {
    __shared__ __align__(16) half ks[PF_KEYS * (PF_MAX_HD + 2)];
    __shared__ __align__(16) half vs[PF_KEYS * PF_MAX_HD];
    __shared__ __align__(16) half qs[PF_TOKENS * PF_MAX_HD];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int head = blockIdx.y;
    const int t0 = tok_begin + blockIdx.x * PF_TOKENS;
    if (t0 >= tok_end || head >= nh) return;  // uniform over the block
    const int t_end = min(t0 + PF_TOKENS, tok_end);
    const int e = token_entry[t0];
    const int kvh = head / (nh / nkv);
    const int per_lane = hd >> 5;
    const int* table = block_tables + (size_t)e * max_blocks;
    if (token_entry[t_end - 1] != e) {
        // Tokens of two entries: one warp per token, as the decode kernel's warps do.
        for (int i = 0; i < PF_QPW; i++) {
            int t = t0 + warp * PF_QPW + i;
            if (t >= t_end) break;  // uniform over the warp
            const int* tab = block_tables + (size_t)token_entry[t] * max_blocks;
            float q[ATT_MAX_PER_LANE];
            att_load_q(q, qkv, t, head, nh, nkv, hd, scale, lane);
            AttState st;
            att_init(st);
            att_run(st, q, kcache, vcache, tab, bs, nkv, kvh, hd, 0, 1, positions[t] + 1, lane);
            float invL = st.l > 0.0f ? 1.0f / st.l : 0.0f;
            half* op = out + (size_t)t * nh * hd + (size_t)head * hd;
#pragma unroll
            for (int a = 0; a < ATT_MAX_PER_LANE; a++) {
                if (a < per_lane) op[a * 32 + lane] = __float2half_rn(st.acc[a] * invL);
            }
        }
        return;
    }
    // The block's queries (unscaled fp16, as stored; the score is scaled in fp32) and their positions.
    const size_t stride = (size_t)(nh + 2 * nkv) * hd;
    for (int idx = threadIdx.x; idx < PF_TOKENS * hd; idx += blockDim.x) {
        int r = idx / hd;
        int d = idx - r * hd;
        int t = t0 + r;
        qs[r * hd + d] = t < t_end ? qkv[t * stride + (size_t)head * hd + d] : __float2half_rn(0.0f);
    }
    int pos[PF_QPW];
    int ctx = 0;  // keys the block needs: positions are increasing within a chunk, but take the max to be safe
    for (int r = 0; r < PF_TOKENS; r++) {
        int t = t0 + r;
        int p = t < t_end ? positions[t] : -1;
        ctx = max(ctx, p + 1);
        if (r / PF_QPW == warp) pos[r % PF_QPW] = p;
    }
    float m[PF_QPW];
    float l[PF_QPW];
    float acc[PF_QPW][ATT_MAX_PER_LANE];
#pragma unroll
    for (int i = 0; i < PF_QPW; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
#pragma unroll
        for (int a = 0; a < ATT_MAX_PER_LANE; a++) acc[i][a] = 0.0f;
    }
    const int kstride = hd + 2;  // halves; (hd + 2) / 2 32-bit words is odd: conflict-free column reads
    const int vec = hd >> 3;     // 16-byte vectors per row
    for (int kb = 0; kb < ctx; kb += PF_KEYS) {
        __syncthreads();  // the previous tile (and, the first time, qs) is complete / consumed
        for (int idx = threadIdx.x; idx < PF_KEYS * vec; idx += blockDim.x) {
            int j = idx / vec;
            int c = idx - j * vec;
            int gj = kb + j;
            uint4 kv4 = make_uint4(0, 0, 0, 0);
            uint4 vv4 = make_uint4(0, 0, 0, 0);
            if (gj < ctx) {
                size_t base = ((size_t)table[gj / bs] * bs + (gj % bs)) * nkv * hd + (size_t)kvh * hd + c * 8;
                kv4 = *reinterpret_cast<const uint4*>(kcache + base);
                vv4 = *reinterpret_cast<const uint4*>(vcache + base);
            }
            unsigned* kd = reinterpret_cast<unsigned*>(ks + j * kstride + c * 8);  // 4-byte aligned only
            kd[0] = kv4.x;
            kd[1] = kv4.y;
            kd[2] = kv4.z;
            kd[3] = kv4.w;
            *reinterpret_cast<uint4*>(vs + j * hd + c * 8) = vv4;
        }
        __syncthreads();
        // Scores: lane j against key kb + j, for the warp's PF_QPW queries.
        float s[PF_QPW];
#pragma unroll
        for (int i = 0; i < PF_QPW; i++) s[i] = 0.0f;
        const half2* krow = reinterpret_cast<const half2*>(ks + lane * kstride);
        const half2* qrow = reinterpret_cast<const half2*>(qs + warp * PF_QPW * hd);
        for (int d2 = 0; d2 < (hd >> 1); d2++) {
            float2 kf = __half22float2(krow[d2]);
#pragma unroll
            for (int i = 0; i < PF_QPW; i++) {
                float2 qf = __half22float2(qrow[i * (hd >> 1) + d2]);
                s[i] = fmaf(qf.x, kf.x, fmaf(qf.y, kf.y, s[i]));
            }
        }
        const int gj = kb + lane;
        float p[PF_QPW];
#pragma unroll
        for (int i = 0; i < PF_QPW; i++) {
            bool valid = gj <= pos[i];
            float si = valid ? s[i] * scale : -INFINITY;
            float m_new = fmaxf(m[i], eqx_warp_max(si));
            // m_new is -inf only while no key is visible yet (a padding row): keep the state at zero, no NaN
            float corr = m[i] == -INFINITY ? 0.0f : __expf(m[i] - m_new);
            p[i] = valid ? __expf(si - m_new) : 0.0f;
            l[i] = l[i] * corr + eqx_warp_sum(p[i]);
#pragma unroll
            for (int a = 0; a < ATT_MAX_PER_LANE; a++) acc[i][a] *= corr;
            m[i] = m_new;
        }
        // Values: every lane adds p_j * v_j for the tile's keys (zeros past ctx, and p_j = 0 there).
        const int keys = min(PF_KEYS, ctx - kb);
        for (int j = 0; j < keys; j++) {
            float pj[PF_QPW];
#pragma unroll
            for (int i = 0; i < PF_QPW; i++) pj[i] = __shfl_sync(EQX_FULL_MASK, p[i], j);
            const half* vrow = vs + j * hd;
#pragma unroll
            for (int a = 0; a < ATT_MAX_PER_LANE; a++) {
                if (a < per_lane) {
                    float v = __half2float(vrow[a * 32 + lane]);
#pragma unroll
                    for (int i = 0; i < PF_QPW; i++) acc[i][a] = fmaf(pj[i], v, acc[i][a]);
                }
            }
        }
    }
#pragma unroll
    for (int i = 0; i < PF_QPW; i++) {
        int t = t0 + warp * PF_QPW + i;
        if (t < t_end) {
            float invL = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
            half* op = out + (size_t)t * nh * hd + (size_t)head * hd;
#pragma unroll
            for (int a = 0; a < ATT_MAX_PER_LANE; a++) {
                if (a < per_lane) op[a * 32 + lane] = __float2half_rn(acc[i][a] * invL);
            }
        }
    }
}

// The first prefill kernel, kept for comparison (LaunchGrid.PREFILL_WARP, system property
// equinox.gpu.prefillKernel=warp): one warp per (query token, head), 4 tokens per block, every warp reading its
// whole context from the cache one key at a time. Grid: (ceil((tok_end - tok_begin) / 4), nh); block: 128.
// Keep in sync with KernelAlgorithmTest.decodeAttentionSplitAndMerge_everyContextLength_equalsPagedReference (its
// single-warp att_run over 0..pos, then acc / l) (equinox-gpu/src/test/java/dev/equinox/gpu/KernelAlgorithmTest.java).
extern "C" __global__ void __launch_bounds__(128) paged_attention_prefill_warp_f16(
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
