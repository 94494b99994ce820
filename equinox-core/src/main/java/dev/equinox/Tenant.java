package dev.equinox;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tenant: id, dense index, weight and its waiting queue (an intrusive doubly linked list of {@link Req}).
 * The weight is written by any thread ({@link Scheduler#registerTenant}) and applied by the engine thread.
 */
final class Tenant {
    final String id;
    final int index;
    final boolean registered;
    /** Pending submissions plus queued requests: enforced at submit (any thread). */
    final AtomicInteger waitingPermits = new AtomicInteger();
    volatile double requestedWeight;

    // engine-thread state
    double weight;
    Req head;
    Req tail;
    int waiting;
    int activePos = -1;       // index in the scheduler's active-tenant array, -1 if not active
    boolean announced;        // the policy has seen this tenant's weight

    Tenant(String id, int index, double weight, boolean registered) {
        this.id = id;
        this.index = index;
        this.weight = weight;
        this.requestedWeight = weight;
        this.registered = registered;
    }

    void addLast(Req r) {
        r.prev = tail;
        r.next = null;
        if (tail == null) {
            head = r;
        } else {
            tail.next = r;
        }
        tail = r;
        waiting++;
    }

    /**
     * Puts back a request that ran (preempted, or its step failed) ahead of every request that arrived after it:
     * walks from the head past the put-back requests that arrived earlier, so the queue stays in arrival order.
     * The walk is bounded by the tenant's put-back requests, never its whole queue.
     */
    void addInOrder(Req r) {
        Req after = null;
        Req before = head;
        while (before != null && before.seq < r.seq) {
            after = before;
            before = before.next;
        }
        r.prev = after;
        r.next = before;
        if (after == null) {
            head = r;
        } else {
            after.next = r;
        }
        if (before == null) {
            tail = r;
        } else {
            before.prev = r;
        }
        waiting++;
    }

    void remove(Req r) {
        if (r.prev == null) {
            head = r.next;
        } else {
            r.prev.next = r.next;
        }
        if (r.next == null) {
            tail = r.prev;
        } else {
            r.next.prev = r.prev;
        }
        r.prev = null;
        r.next = null;
        waiting--;
    }
}
