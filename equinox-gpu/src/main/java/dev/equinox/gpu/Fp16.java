package dev.equinox.gpu;

/**
 * IEEE 754 binary16 and bfloat16 conversions with round-to-nearest-even, as {@code __float2half_rn} and
 * {@code __float2bfloat16_rn} do on the GPU. Java 17 has no {@code Float.floatToFloat16}, hence this class. The CPU
 * reference rounds through it at every point where the kernels store fp16.
 */
final class Fp16 {
    private Fp16() {
    }

    /** The binary16 bits nearest to {@code f} (ties to even; overflow to infinity; NaN stays NaN). */
    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            int full = mant | 0x800000;
            int shift = 14 - e;
            int h = full >>> shift;
            int rem = full & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (h & 1) != 0)) {
                h++;
            }
            return (short) (sign | h);
        }
        int h = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++; // a carry into the exponent is the correct result (up to infinity)
        }
        return (short) (sign | h);
    }

    /** The value of binary16 bits {@code h}. */
    static float toFloat(short h) {
        int s = (h & 0x8000) << 16;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        if (e == 0) {
            float v = m * 0x1p-24f;
            return s != 0 ? -v : v;
        }
        if (e == 31) {
            return Float.intBitsToFloat(s | 0x7f800000 | (m << 13));
        }
        return Float.intBitsToFloat(s | ((e - 15 + 127) << 23) | (m << 13));
    }

    /** {@code f} rounded to the nearest binary16 value, as a float. */
    static float round(float f) {
        return toFloat(fromFloat(f));
    }

    /** The bfloat16 bits nearest to {@code f} (ties to even). */
    static short bf16FromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0) {
            return (short) ((bits >>> 16) | 0x40); // quiet NaN
        }
        int lsb = (bits >>> 16) & 1;
        bits += 0x7fff + lsb;
        return (short) (bits >>> 16);
    }

    /** The value of bfloat16 bits {@code b}. */
    static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
