package dev.equinox;

import dev.equinox.spi.SchedulingPolicy;

class HolisticPolicyTest extends SchedulingPolicyConformanceTest {
    @Override
    SchedulingPolicy newPolicy() {
        return Policies.equinox();
    }
}
