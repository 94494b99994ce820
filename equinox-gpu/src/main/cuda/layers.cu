// Element-wise and row-wise kernels of the Llama decoder: embedding lookup, RMSNorm, rotary embedding (RoPE),
// paged KV-cache append, SiLU-gated MLP activation, fp32-to-fp16 conversion and greedy argmax. Storage is fp16, arithmetic fp32; the
// Java CPU reference (CpuReference) rounds to fp16 at exactly the same points.
#include "common.cuh"

// x[t, :] = float(table[tokens[t], :]). Grid: T blocks; block: any multiple of 32.
extern "C" __global__ void embedding_f16(const int* __restrict__ tokens, const half* __restrict__ table,
                                         float* __restrict__ x, int T, int H) {
    int t = blockIdx.x;
    if (t >= T) return;
    const half* row = table + (size_t)tokens[t] * H;
    for (int i = threadIdx.x; i < H; i += blockDim.x) {
        x[(size_t)t * H + i] = __half2float(row[i]);
    }
}

// out[r, :] = half(x[row, :] * rsqrt(mean(x[row, :]^2) + eps) * w), row = rows ? rows[r] : r.
// Grid: R blocks; block: a multiple of 32 (256).
extern "C" __global__ void rmsnorm_f16(const float* __restrict__ x, const half* __restrict__ w,
                                       half* __restrict__ out, const int* __restrict__ rows, int R, int H,
                                       float eps) {
    int r = blockIdx.x;
    if (r >= R) return;
    int row = rows != nullptr ? rows[r] : r;
    const float* xr = x + (size_t)row * H;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < H; i += blockDim.x) {
        float v = xr[i];
        ss += v * v;
    }
    ss = eqx_block_sum(ss);
    float inv = rsqrtf(ss / (float)H + eps);
    for (int i = threadIdx.x; i < H; i += blockDim.x) {
        out[(size_t)r * H + i] = __float2half_rn(xr[i] * inv * __half2float(w[i]));
    }
}

// Rotary embedding, rotate-half convention (Hugging Face Llama), applied in place to the q and k heads of
// the fused qkv rows [T, (nh + 2 nkv) * hd] (q heads, then k heads, then v heads).
// Grid: (T, nh + nkv); block: hd / 2 threads.
extern "C" __global__ void rope_f16(half* __restrict__ qkv, const int* __restrict__ positions, int T, int nh, int nkv,
                                    int hd, float theta) {
    int t = blockIdx.x;
    int head = blockIdx.y;
    int i = threadIdx.x;
    int half_d = hd >> 1;
    if (t >= T || head >= nh + nkv || i >= half_d) return;
    size_t stride = (size_t)(nh + 2 * nkv) * hd;
    half* p = qkv + t * stride + (size_t)head * hd;
    float inv_freq = powf(theta, -2.0f * (float)i / (float)hd);
    float angle = (float)positions[t] * inv_freq;
    float s, c;
    sincosf(angle, &s, &c);
    float x1 = __half2float(p[i]);
    float x2 = __half2float(p[i + half_d]);
    p[i] = __float2half_rn(x1 * c - x2 * s);
    p[i + half_d] = __float2half_rn(x2 * c + x1 * s);
}

// Writes the k and v heads of each token into the paged cache: cache[slot, kvh, d], slot = block * bs + offset
// (the layout [blocks, bs, nkv, hd] flattened). slots[t] < 0 skips the token.
// Grid: T blocks; block: any (loops over nkv * hd).
extern "C" __global__ void kv_append_f16(const half* __restrict__ qkv, half* __restrict__ kcache,
                                         half* __restrict__ vcache, const int* __restrict__ slots, int T, int nh,
                                         int nkv, int hd) {
    int t = blockIdx.x;
    if (t >= T) return;
    int slot = slots[t];
    if (slot < 0) return;
    size_t stride = (size_t)(nh + 2 * nkv) * hd;
    const half* k = qkv + t * stride + (size_t)nh * hd;
    const half* v = k + (size_t)nkv * hd;
    int width = nkv * hd;
    half* kc = kcache + (size_t)slot * width;
    half* vc = vcache + (size_t)slot * width;
    for (int j = threadIdx.x; j < width; j += blockDim.x) {
        kc[j] = k[j];
        vc[j] = v[j];
    }
}

// out[t, i] = half(silu(g) * u) with g = gu[t, i], u = gu[t, I + i] (the fused gate/up projection).
// Grid-stride over T * I.
extern "C" __global__ void silu_mul_f16(const half* __restrict__ gu, half* __restrict__ out, int T, int I) {
    size_t n = (size_t)T * I;
    for (size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
        size_t t = idx / I;
        size_t i = idx - t * I;
        float g = __half2float(gu[t * 2 * I + i]);
        float u = __half2float(gu[t * 2 * I + I + i]);
        float silu = g / (1.0f + expf(-g));
        out[idx] = __float2half_rn(silu * u);
    }
}

// out[i] = half(in[i]) for i < n: the store step of a split-K GEMM, whose blocks added their partial products
// into a zeroed fp32 buffer (gemm.cu mode 2). Grid-stride; grid: any.
extern "C" __global__ void f32_to_f16(const float* __restrict__ in, half* __restrict__ out, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        out[i] = __float2half_rn(in[i]);
    }
}

// Greedy sampling: out[r] = argmax over logits[r, :]; ties go to the lowest index.
// Grid: R blocks; block: 256 threads.
extern "C" __global__ void argmax_f32(const float* __restrict__ logits, int* __restrict__ out, int R, int V) {
    __shared__ float best_v[256];
    __shared__ int best_i[256];
    int r = blockIdx.x;
    if (r >= R) return;
    const float* row = logits + (size_t)r * V;
    float bv = -INFINITY;
    int bi = 0x7fffffff;
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        float v = row[i];
        if (v > bv) {  // strided ascending: the first maximum seen by this thread has the lowest index
            bv = v;
            bi = i;
        }
    }
    best_v[threadIdx.x] = bv;
    best_i[threadIdx.x] = bi;
    __syncthreads();
    for (int s = blockDim.x >> 1; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            float ov = best_v[threadIdx.x + s];
            int oi = best_i[threadIdx.x + s];
            if (ov > best_v[threadIdx.x] || (ov == best_v[threadIdx.x] && oi < best_i[threadIdx.x])) {
                best_v[threadIdx.x] = ov;
                best_i[threadIdx.x] = oi;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[r] = best_i[0] == 0x7fffffff ? 0 : best_i[0];
    }
}
