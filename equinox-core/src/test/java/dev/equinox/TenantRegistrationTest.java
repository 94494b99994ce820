package dev.equinox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tenants registered with weights, updated at run time from any thread; the policy charges per unit of weight. */
class TenantRegistrationTest {

    private static void step(Scheduler s) {
        s.complete(s.nextBatch(), 1, Double.NaN);
    }

    /** Starts {@code threads} threads running {@code body} (given the thread's number) all at once; returns them. */
    private static Thread[] racing(int threads, java.util.function.IntConsumer body) {
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int k = 0; k < threads; k++) {
            int n = k;
            ts[k] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                body.accept(n);
            });
            ts[k].start();
        }
        start.countDown();
        return ts;
    }

    private static void stepIfAny(Scheduler s) {
        Batch b = s.nextBatch();
        if (!b.isEmpty()) {
            s.complete(b, 1, Double.NaN);
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, -1, Double.NaN, Double.POSITIVE_INFINITY})
    void registerTenant_badWeight_throwsNamingTenantAndWeight(double w) {
        Scheduler s = Equinox.builder().build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.registerTenant("acme", w));
        assertTrue(e.getMessage().contains("acme") && e.getMessage().contains(String.valueOf(w)), e.getMessage());
    }

    @Test
    void registerTenant_blankOrNullId_throws() {
        Scheduler s = Equinox.builder().build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.registerTenant(" ", 1)).getMessage().contains("' '"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.registerTenant(null, 1)).getMessage().contains("null"));
    }

    @Test
    void weights_registered_chargesDividedByWeight() {
        Scheduler s = Equinox.builder().policy(Policies.vtc()).build();
        DefaultScheduler d = (DefaultScheduler) s;
        s.registerTenant("light", 1);
        s.registerTenant("heavy", 4);
        s.submit(RequestSpec.of("light", 100, 10)).orElseThrow();
        s.submit(RequestSpec.of("heavy", 100, 10)).orElseThrow();
        step(s);
        assertEquals(100, d.tenantStats("light").counter(), 1e-9);
        assertEquals(25, d.tenantStats("heavy").counter(), 1e-9);
    }

    @Test
    void weights_updatedAtRunTimeFromAnotherThread_appliedFromTheNextStep() throws Exception {
        Scheduler s = Equinox.builder().policy(Policies.vtc()).build();
        DefaultScheduler d = (DefaultScheduler) s;
        s.registerTenant("a", 1);
        s.submit(RequestSpec.of("a", 100, 50)).orElseThrow();
        step(s);
        assertEquals(100, d.tenantStats("a").counter(), 1e-9);
        step(s); // one decode at weight 1: +2
        assertEquals(102, d.tenantStats("a").counter(), 1e-9);
        Thread t = new Thread(() -> s.registerTenant("a", 2));
        t.start();
        t.join();
        step(s); // one decode at weight 2: +1
        assertEquals(103, d.tenantStats("a").counter(), 1e-9);
        s.submit(RequestSpec.of("a", 100, 50)).orElseThrow();
        step(s); // the running request decodes (+2 / 2) and the new one is admitted (+100 / 2)
        assertEquals(103 + 1 + 50, d.tenantStats("a").counter(), 1e-9);
    }

    @Test
    void registerTenant_autoCreatedTenant_weightUpdated() {
        Scheduler s = Equinox.builder().policy(Policies.vtc()).build();
        DefaultScheduler d = (DefaultScheduler) s;
        s.submit(RequestSpec.of("walk-in", 10, 10)).orElseThrow(); // created with weight 1
        s.registerTenant("walk-in", 5);
        step(s);
        assertEquals(2, d.tenantStats("walk-in").counter(), 1e-9);
    }

    @Test
    void tenantIndex_denseAndStable() {
        Scheduler s = Equinox.builder().build();
        s.registerTenant("x", 1);
        RequestHandle y = s.submit(RequestSpec.of("y", 1, 1)).orElseThrow();
        RequestHandle x = s.submit(RequestSpec.of("x", 1, 1)).orElseThrow();
        RequestHandle y2 = s.submit(RequestSpec.of("y", 1, 1)).orElseThrow();
        assertEquals(0, x.tenantIndex());
        assertEquals(1, y.tenantIndex());
        assertEquals(1, y2.tenantIndex());
    }

    @Test
    void weights_continuouslyBacklogged_admissionsFollowWeights() {
        Scheduler s = Equinox.builder().policy(Policies.vtc()).maxRunning(1).tokenBudget(64).chunkSize(64).build();
        s.registerTenant("one", 1);
        s.registerTenant("three", 3);
        for (int i = 0; i < 200; i++) {
            s.submit(RequestSpec.of("one", 10, 1)).orElseThrow();
            s.submit(RequestSpec.of("three", 10, 1)).orElseThrow();
        }
        int[] served = new int[2];
        for (int i = 0; i < 200; i++) {
            Batch b = s.nextBatch();
            served[b.request(0).tenant().equals("one") ? 0 : 1]++;
            s.complete(b, 1, Double.NaN);
        }
        assertEquals(50, served[0], 1);
        assertEquals(150, served[1], 1);
    }

    /**
     * Tenants created by submitting threads while the engine runs, well past the table's first capacity: each is known
     * to the engine and the policy exactly once, with a dense index, and every request ends. (The table grows by
     * doubling; a new tenant publishes its entry before it can be found by id.)
     */
    @Test
    void newTenants_fromManyThreadsWhileTheEngineRuns_allAdoptedWithDenseIndices() throws Exception {
        Scheduler s = Equinox.builder().policy(Policies.vtc()).maxRunning(64).tokenBudget(512).build();
        DefaultScheduler d = (DefaultScheduler) s;
        int tenants = 3000;
        int threads = 4;
        java.util.List<RequestHandle> handles = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread[] submitters = racing(threads, k -> {
            int offset = k * (tenants / threads) / 2; // neighbouring threads overlap on half their tenants
            for (int i = 0; i < tenants / 2; i++) {
                handles.add(s.submit(RequestSpec.of("user-" + (offset + i) % tenants, 8, 2)).orElseThrow());
            }
        });
        boolean submitting = true;
        while (submitting || s.stats().waiting() + s.stats().running() > 0) {
            submitting = false;
            for (Thread t : submitters) {
                submitting |= t.isAlive();
            }
            stepIfAny(s);
        }
        for (Thread t : submitters) {
            t.join();
        }
        stepIfAny(s); // requests submitted after the last look
        while (s.stats().waiting() + s.stats().running() > 0) {
            stepIfAny(s);
        }
        int created = d.tenantsById().size();
        assertEquals(created, d.view.tenantCount());
        boolean[] seen = new boolean[created];
        for (String id : d.tenantsById().keySet()) {
            TenantStats st = d.tenantStats(id);
            assertTrue(st.index() >= 0 && st.index() < created && !seen[st.index()], id + " at " + st.index());
            seen[st.index()] = true;
            assertEquals(id, d.view.tenantId(st.index()));
            assertTrue(st.counter() >= 8, id + ": charged by the policy, counter " + st.counter());
        }
        assertEquals(threads * (tenants / 2), handles.size());
        for (RequestHandle h : handles) {
            assertEquals(RequestStatus.FINISHED, h.status(), "request " + h.id() + " of " + h.tenant());
            assertEquals(h.tenantIndex(), d.tenantStats(h.tenant()).index());
        }
    }

    /**
     * The tenant limit under racing creators: exactly {@code maxTenants} tenants exist afterwards, every accepted
     * request belongs to one of them and runs, and every refusal is {@link Rejection#TENANT_LIMIT} for a tenant that
     * was not created.
     */
    @Test
    void maxTenants_newTenantsFromManyThreads_exactlyTheLimitCreated() throws Exception {
        int limit = 700;
        Scheduler s = Equinox.builder().policy(Policies.vtc()).maxTenants(limit).maxRunning(64).tokenBudget(512).build();
        DefaultScheduler d = (DefaultScheduler) s;
        int threads = 4;
        int perThread = 400;
        java.util.List<Submission> subs = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread[] submitters = racing(threads, k -> {
            int offset = k * perThread / 2; // neighbouring threads overlap on half their tenants
            for (int i = 0; i < perThread; i++) {
                subs.add(s.submit(RequestSpec.of("user-" + (offset + i), 8, 2)));
            }
        });
        for (Thread t : submitters) {
            t.join();
        }
        while (s.stats().waiting() + s.stats().running() > 0 || d.view.tenantCount() < d.tenantsById().size()) {
            stepIfAny(s);
        }
        assertEquals(limit, d.tenantsById().size());
        assertEquals(limit, d.view.tenantCount());
        assertEquals(threads * perThread, subs.size());
        int refused = 0;
        for (Submission sub : subs) {
            if (sub instanceof Submission.Rejected r) {
                refused++;
                assertEquals(Rejection.TENANT_LIMIT, r.reason());
                assertNull(s.tenantStats(r.tenant()), r.tenant() + " was refused yet exists");
            } else {
                RequestHandle h = sub.orElseThrow();
                assertEquals(RequestStatus.FINISHED, h.status(), "request " + h.id() + " of " + h.tenant());
                assertTrue(d.tenantsById().containsKey(h.tenant()));
            }
        }
        assertTrue(refused > 0, "the threads name " + (threads + 1) * perThread / 2 + " tenants, more than the limit");
    }
}
