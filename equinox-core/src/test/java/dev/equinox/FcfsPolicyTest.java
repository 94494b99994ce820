package dev.equinox;

import dev.equinox.spi.SchedulingPolicy;

class FcfsPolicyTest extends SchedulingPolicyConformanceTest {
    @Override
    SchedulingPolicy newPolicy() {
        return Policies.fcfs();
    }

    @Override
    boolean honoursWeights() {
        return false;
    }

    @Override
    double maxLightWaitSeconds() {
        return 60.0; // FCFS: behind everything that arrived earlier; bounded by the backlog, not by fairness
    }
}
