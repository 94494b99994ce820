package dev.equinox;

import dev.equinox.spi.SchedulingPolicy;

class VtcPolicyTest extends SchedulingPolicyConformanceTest {
    @Override
    SchedulingPolicy newPolicy() {
        return Policies.vtc();
    }
}
