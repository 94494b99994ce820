package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.equinox.spi.SchedulingPolicy;
import org.junit.jupiter.api.Test;

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

    @Override
    double maxAdmissionGapSeconds() {
        return 35.0; // FCFS: t5 waits for the five backlogs queued before it (measured 28.9 s of a 42.5 s burst)
    }

    @Test
    void selectVictim_otherRequestNeedsMemory_lastAdmittedPreempted() {
        PreemptionScenario s = PreemptionScenario.run(newPolicy(), 1, 8); // the first needs a block in step 6
        assertEquals(s.second, s.victim(), "the last admitted gives way, not the one that needs memory");
    }

    @Test
    void selectVictim_lastAdmittedNeedsMemory_itselfPreempted() {
        PreemptionScenario s = PreemptionScenario.run(newPolicy(), 8, 1);
        assertEquals(s.second, s.victim());
    }
}
