package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.equinox.spi.SchedulingPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code Policies.priority()}: the conformance kit (every request at the default priority, so it behaves as FCFS
 * there), then the order it promises: the lowest priority value first across tenants, arrival order among equals
 * and within a tenant's queue.
 */
class PriorityPolicyTest extends SchedulingPolicyConformanceTest {
    @Override
    SchedulingPolicy newPolicy() {
        return Policies.priority();
    }

    @Override
    boolean honoursWeights() {
        return false;
    }

    @Override
    double maxLightWaitSeconds() {
        return 60.0; // as FCFS: at equal priority a request waits behind everything that arrived earlier
    }

    @Override
    double maxAdmissionGapSeconds() {
        return 35.0;
    }

    /** One request runs at a time, each to its end in one step: the admission order is the order of ids here. */
    private static List<String> admissionOrder(RequestSpec... specs) {
        Scheduler s = Equinox.builder().policy(Policies.priority()).maxRunning(1).tokenBudget(64).chunkSize(64).build();
        List<String> order = new ArrayList<>();
        s.addListener(new RequestListener() {
            @Override
            public void onAdmitted(RequestHandle r, long stepId) {
                order.add(r.tenant() + r.spec().promptTokens());
            }
        });
        for (RequestSpec spec : specs) {
            s.submit(spec).orElseThrow();
        }
        for (int i = 0; i < 100 && s.stats().finished() < specs.length; i++) {
            Batch b = s.nextBatch();
            s.complete(b, 1, Double.NaN);
        }
        assertEquals(specs.length, s.stats().finished());
        return order;
    }

    @Test
    void admission_lowestPriorityValueFirstAcrossTenants_thenArrival() {
        List<String> order = admissionOrder(
                RequestSpec.of("a", 1, 1).withPriority(5),
                RequestSpec.of("b", 2, 1).withPriority(1),
                RequestSpec.of("c", 3, 1).withPriority(3),
                RequestSpec.of("d", 4, 1).withPriority(1),
                RequestSpec.of("e", 5, 1).withPriority(-2));
        assertEquals(List.of("e5", "b2", "d4", "c3", "a1"), order);
    }

    @Test
    void admission_withinATenant_arrivalOrderWhateverThePriority() {
        // a's second request has the best priority but waits behind a's first (queues are FIFO per tenant), whose
        // priority 9 puts it after b's 5; FCFS would give a1, a2, b3
        List<String> order = admissionOrder(
                RequestSpec.of("a", 1, 1).withPriority(9),
                RequestSpec.of("a", 2, 1).withPriority(0),
                RequestSpec.of("b", 3, 1).withPriority(5));
        assertEquals(List.of("b3", "a1", "a2"), order);
    }
}
