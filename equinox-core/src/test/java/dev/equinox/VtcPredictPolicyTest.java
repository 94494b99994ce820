package dev.equinox;

import dev.equinox.spi.SchedulingPolicy;

class VtcPredictPolicyTest extends SchedulingPolicyConformanceTest {
    @Override
    SchedulingPolicy newPolicy() {
        return Policies.vtcWithPrediction();
    }
}
