package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.equinox.spi.SchedulingPolicy;
import org.junit.jupiter.api.Test;

class VtcPolicyTest extends SchedulingPolicyConformanceTest {
    @Override
    SchedulingPolicy newPolicy() {
        return Policies.vtc();
    }

    @Test
    void selectVictim_lowerCounterNeedsMemory_highestCounterTenantPreempted() {
        PreemptionScenario s = PreemptionScenario.run(newPolicy(), 8, 1); // b (counter 16) needs, a has 26
        assertEquals(s.first, s.victim(), "a: the highest counter, though admitted first and not the needy one");
    }

    @Test
    void selectVictim_highestCounterNeedsMemory_itselfPreempted() {
        PreemptionScenario s = PreemptionScenario.run(newPolicy(), 1, 8); // a (counter 24) needs, b has 14
        assertEquals(s.first, s.victim());
    }
}
