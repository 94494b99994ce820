package dev.equinox.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Fp16Test {

    @Test
    void fromFloat_knownValues_matchIeeeBinary16() {
        assertEquals(0x3c00, Fp16.fromFloat(1f) & 0xffff);
        assertEquals(0xc000, Fp16.fromFloat(-2f) & 0xffff);
        assertEquals(0x7bff, Fp16.fromFloat(65504f) & 0xffff);
        assertEquals(0x2e66, Fp16.fromFloat(0.1f) & 0xffff);
        assertEquals(0x0001, Fp16.fromFloat(0x1p-24f) & 0xffff);
        assertEquals(0x0000, Fp16.fromFloat(0x1p-26f) & 0xffff);
        assertEquals(0x7c00, Fp16.fromFloat(65520f) & 0xffff, "65520 rounds up to infinity");
        assertEquals(0x7bff, Fp16.fromFloat(65519f) & 0xffff, "65519 rounds down to max");
    }

    @Test
    void fromFloat_tieBetweenTwoHalves_roundsToEven() {
        // 1 + 2^-11 lies exactly between 1 (even mantissa) and 1 + 2^-10 (odd): goes to 1
        assertEquals(0x3c00, Fp16.fromFloat(1f + 0x1p-11f) & 0xffff);
        // 1 + 3 * 2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even): goes up
        assertEquals(0x3c02, Fp16.fromFloat(1f + 3 * 0x1p-11f) & 0xffff);
    }

    @Test
    void roundTrip_everyFiniteHalf_isExact() {
        for (int h = 0; h < 0x10000; h++) {
            short bits = (short) h;
            float f = Fp16.toFloat(bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(f))));
                continue;
            }
            assertEquals(h, Fp16.fromFloat(f) & 0xffff, "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void round_randomFloats_errorWithinHalfUlp() {
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(2, rnd.nextInt(20) - 10));
            float r = Fp16.round(f);
            float ulp = Math.ulp(r) * (1 << 13); // fp16 has 13 fewer mantissa bits than fp32
            assertTrue(Math.abs(r - f) <= ulp / 2 + 0x1p-25f, f + " -> " + r);
        }
    }

    @Test
    void bf16_roundTripAndTies_matchTruncatedFloat() {
        assertEquals(0x3f80, Fp16.bf16FromFloat(1f) & 0xffff);
        assertEquals(1f, Fp16.bf16ToFloat(Fp16.bf16FromFloat(1f)));
        // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even (1)
        assertEquals(0x3f80, Fp16.bf16FromFloat(1f + 0x1p-8f) & 0xffff);
        assertEquals(0x3f81, Fp16.bf16FromFloat(1f + 0x1p-7f) & 0xffff);
        assertTrue(Float.isNaN(Fp16.bf16ToFloat(Fp16.bf16FromFloat(Float.NaN))));
    }
}
