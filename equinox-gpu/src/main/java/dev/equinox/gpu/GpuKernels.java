package dev.equinox.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The PTX modules shipped as resources ({@code dev/equinox/gpu/ptx/<arch>/<module>.ptx}, built by
 * {@code scripts/build-ptx.sh}), loaded into the current CUDA context with {@code cuModuleLoadData} (the driver
 * JIT-compiles them for the actual GPU), and a checked launcher.
 *
 * <p>{@link #SIGNATURES} is the single source of truth for every kernel's parameter list ({@code p} = device
 * pointer, {@code i} = int, {@code f} = float): {@link #launch} checks the argument kinds against it, and a CPU
 * test checks it against the {@code .param} lists in the committed PTX, so a kernel edited without its Java
 * caller fails the build instead of corrupting memory on a GPU.
 */
final class GpuKernels implements AutoCloseable {
    static final String[] MODULES = {"gemm", "layers", "attention"};
    static final Map<String, String> SIGNATURES = new LinkedHashMap<>();

    static {
        for (String g : new String[] {"gemm_f16_128x128", "gemm_f16_64x64", "gemm_bf16_128x128", "gemm_bf16_64x64"}) {
            SIGNATURES.put(g, "ppppiiii");                       // A, W, Ch, Cf, M, N, K, mode
        }
        SIGNATURES.put("embedding_f16", "pppii");                 // tokens, table, x, T, H
        SIGNATURES.put("rmsnorm_f16", "ppppiif");                 // x, w, out, rows, R, H, eps
        SIGNATURES.put("rope_f16", "ppiiiif");                    // qkv, positions, T, nh, nkv, hd, theta
        SIGNATURES.put("kv_append_f16", "ppppiiii");              // qkv, kcache, vcache, slots, T, nh, nkv, hd
        SIGNATURES.put("silu_mul_f16", "ppii");                   // gu, out, T, I
        SIGNATURES.put("argmax_f32", "ppii");                     // logits, out, R, V
        SIGNATURES.put("f32_to_f16", "ppi");                      // in, out, n
        SIGNATURES.put("paged_attention_decode_f16", "pppppppiiiiiif");
        SIGNATURES.put("paged_attention_decode_tiled_f16", "pppppppiiiiiif");
        // qkv, kcache, vcache, out, block_tables, context_lens, query_start, D, max_blocks, bs, nh, nkv, hd, scale
        SIGNATURES.put("paged_attention_prefill_f16", "pppppppiiiiiiif");
        SIGNATURES.put("paged_attention_prefill_warp_f16", "pppppppiiiiiiif");
        // qkv, kcache, vcache, out, block_tables, token_entry, positions, tok_begin, tok_end, max_blocks, bs, nh,
        // nkv, hd, scale
    }

    /** Gemm modes of gemm.cu's epilogue. */
    static final int STORE_HALF = 0;
    static final int STORE_FLOAT = 1;
    static final int ADD_FLOAT = 2;

    private final CUmodule[] modules = new CUmodule[MODULES.length];
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final String arch;

    /** Loads every module for {@code arch} into the current context. */
    GpuKernels(String arch) {
        this.arch = arch;
        for (int m = 0; m < MODULES.length; m++) {
            modules[m] = new CUmodule();
            byte[] text = ptx(arch, MODULES[m]);
            try {
                JCudaDriver.cuModuleLoadData(modules[m], text);
            } catch (jcuda.CudaException e) {
                int[] driver = new int[1];
                JCudaDriver.cuDriverGetVersion(driver);
                throw new GpuUnavailableException("cannot load " + resource(arch, MODULES[m]) + " (PTX ISA "
                        + ptxIsaVersion(text) + ", " + nvccVersion() + ") on CUDA driver " + driver[0]
                        + ": " + e.getMessage() + ". PTX from nvcc 13 needs a CUDA 13 driver; rebuild the PTX with"
                        + " an older nvcc (scripts/build-ptx.sh) for older drivers", e);
            }
        }
        for (String name : SIGNATURES.keySet()) {
            CUfunction f = new CUfunction();
            int rc = -1;
            for (CUmodule module : modules) {
                try {
                    rc = JCudaDriver.cuModuleGetFunction(f, module, name);
                } catch (jcuda.CudaException notHere) {
                    rc = -1;
                }
                if (rc == 0) {
                    break;
                }
            }
            if (rc != 0) {
                throw new IllegalStateException("kernel " + name + " not found in the " + arch + " PTX modules");
            }
            functions.put(name, f);
        }
    }

    String arch() {
        return arch;
    }

    /** PTX target for a device: sm_90 PTX for compute capability 9.0 and newer, sm_80 for 8.x. */
    static String archFor(int major, int minor) {
        if (major >= 9) {
            return "sm_90";
        }
        if (major == 8) {
            return "sm_80";
        }
        throw new IllegalArgumentException("compute capability " + major + "." + minor + " is not supported (needs 8.0+)");
    }

    static String resource(String arch, String module) {
        return "/dev/equinox/gpu/ptx/" + arch + "/" + module + ".ptx";
    }

    /** The PTX text of a module, NUL-terminated as cuModuleLoadData expects. */
    static byte[] ptx(String arch, String module) {
        String path = resource(arch, module);
        try (InputStream in = GpuKernels.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("PTX resource " + path + " is missing; run equinox-gpu/scripts/build-ptx.sh");
            }
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** The {@code .version} directive of a PTX text ("9.0"), or "?" if absent. */
    static String ptxIsaVersion(byte[] ptx) {
        String head = new String(ptx, 0, Math.min(ptx.length, 4096), java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\.version\\s+(\\S+)").matcher(head);
        return m.find() ? m.group(1) : "?";
    }

    /** The nvcc that built the shipped PTX (from the NVCC_VERSION resource), or "nvcc unknown". */
    static String nvccVersion() {
        try (InputStream in = GpuKernels.class.getResourceAsStream("/dev/equinox/gpu/ptx/NVCC_VERSION")) {
            return in == null ? "nvcc unknown" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "nvcc unknown";
        }
    }

    /**
     * Launches {@code l} on the default stream. Arguments: {@link CUdeviceptr} (or null for a null pointer),
     * {@link Integer}, {@link Float}, checked against {@link #SIGNATURES}.
     */
    void launch(LaunchGrid.Launch l, Object... args) {
        String sig = SIGNATURES.get(l.kernel);
        if (l.gridZ > 1 && !(l.kernel.startsWith("gemm_") && args.length == 8 && Integer.valueOf(ADD_FLOAT).equals(args[7]))) {
            throw new IllegalArgumentException(l.kernel + ": split-K (gridZ " + l.gridZ + ") is only valid for a GEMM adding into fp32");
        }
        if (sig == null || sig.length() != args.length) {
            throw new IllegalArgumentException(l.kernel + ": expected " + (sig == null ? "a known kernel" : sig.length() + " arguments")
                    + ", got " + args.length);
        }
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            char kind = sig.charAt(i);
            Object a = args[i];
            if (kind == 'p' && (a == null || a instanceof CUdeviceptr)) {
                params[i] = Pointer.to(a == null ? new CUdeviceptr() : (CUdeviceptr) a);
            } else if (kind == 'i' && a instanceof Integer) {
                params[i] = Pointer.to(new int[] {(Integer) a});
            } else if (kind == 'f' && a instanceof Float) {
                params[i] = Pointer.to(new float[] {(Float) a});
            } else {
                throw new IllegalArgumentException(l.kernel + ": argument " + i + " must be '" + kind + "', got " + a);
            }
        }
        JCudaDriver.cuLaunchKernel(functions.get(l.kernel), l.gridX, l.gridY, l.gridZ, l.blockX, 1, 1, 0, null,
                Pointer.to(params), null);
    }

    @Override
    public void close() {
        for (CUmodule m : modules) {
            if (m != null) {
                JCudaDriver.cuModuleUnload(m);
            }
        }
    }
}
