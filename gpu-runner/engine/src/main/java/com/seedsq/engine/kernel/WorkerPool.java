package com.seedsq.engine.kernel;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of threads that share out indices 0..count-1. The calling thread works too, so {@code threads - 1}
 * helper threads are enough, and indices are handed out one at a time from a counter, so uneven items balance out.
 *
 * <p>Written for the forward pass's rhythm: hundreds of short parallel regions per forward (a product, a norm, an
 * activation, each 20 µs to 2 ms), back to back. Between regions a helper spins for up to {@value #SPIN_MICROS} µs
 * before it parks, and the caller spins while the helpers finish their last items, so a region usually starts and
 * ends without waking a parked thread. The executor service this replaces parked after every region: its wake-ups
 * cost ~3-4 ms of a ~60 ms BERT-base INT8 forward (engine README, session 5). A helper idle for longer parks, so an
 * idle pool costs no CPU.
 *
 * <p>One region runs at a time. A call that finds the pool busy (another thread's region, or a region started from
 * inside a body) runs all of its indices on the calling thread: every kernel here gives the same results whichever
 * thread runs an index, so this changes speed only, and it cannot deadlock.
 *
 * <p>Kernels share one pool per thread count ({@link #shared}): two pools, each with helpers spinning, would compete
 * for the same cores.
 */
public final class WorkerPool implements AutoCloseable {

    /** How long a helper spins for the next region before parking, and the caller for the helpers to finish. */
    static final long SPIN_MICROS = 200;
    private static final long SPIN_NANOS = SPIN_MICROS * 1000;

    private static final ConcurrentHashMap<Integer, WorkerPool> SHARED = new ConcurrentHashMap<>();

    private final int threads;
    private final Thread[] helpers;
    private final boolean shared;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger next = new AtomicInteger();
    /** Helpers still working on the current region. */
    private final AtomicInteger running = new AtomicInteger();
    // the current region, published to the helpers by the volatile write of generation
    private IntConsumer body;
    private int count;
    private Thread caller;
    private volatile long generation;
    private volatile Throwable failure;
    private volatile boolean closed;

    /** A pool of its own (tests, benchmarks of the pool itself); kernels use {@link #shared}. */
    public WorkerPool(int threads) {
        this(threads, false);
    }

    private WorkerPool(int threads, boolean shared) {
        this.threads = Math.max(1, threads);
        this.shared = shared;
        this.helpers = new Thread[this.threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Thread(this::helperLoop, "sq-kernel-" + (i + 1));
            helpers[i].setDaemon(true);
            helpers[i].start();
        }
    }

    /** The process-wide pool with {@code threads} threads (the caller counted): its helpers live as long as the JVM. */
    public static WorkerPool shared(int threads) {
        return SHARED.computeIfAbsent(Math.max(1, threads), t -> new WorkerPool(t, true));
    }

    public int threads() {
        return threads;
    }

    public void forEach(int count, IntConsumer body) {
        if (helpers.length == 0 || count <= 1 || closed || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        try {
            this.body = body;
            this.count = count;
            this.caller = Thread.currentThread();
            next.set(0);
            failure = null;
            running.set(helpers.length);
            generation++; // publishes the fields above (volatile write; only this thread writes it, under busy)
            for (Thread h : helpers) {
                LockSupport.unpark(h); // cheap when it spins; wakes it when it parked
            }
            Throwable own = null;
            try {
                work(body, count);
            } catch (Throwable t) {
                own = t;
                next.set(count); // the helpers stop taking items
            }
            awaitHelpers();
            Throwable t = own != null ? own : failure;
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        } finally {
            this.body = null;
            this.caller = null;
            busy.set(false);
        }
    }

    private void work(IntConsumer body, int count) {
        for (int i; (i = next.getAndIncrement()) < count; ) {
            body.accept(i);
        }
    }

    private void awaitHelpers() {
        long start = System.nanoTime();
        while (running.get() != 0) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this); // the last helper unparks us; a stale permit only loops once more
            }
        }
    }

    private void helperLoop() {
        long seen = 0;
        while (true) {
            long start = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            IntConsumer b = body;
            int n = count;
            Thread waiting = caller;
            try {
                work(b, n);
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                }
                next.set(n);
            } finally {
                if (running.decrementAndGet() == 0) {
                    LockSupport.unpark(waiting);
                }
            }
        }
    }

    /** Stops the helpers of a pool of its own; the shared pools live on (other kernels use them). */
    @Override
    public void close() {
        if (shared) {
            return;
        }
        closed = true;
        for (Thread h : helpers) {
            LockSupport.unpark(h);
        }
    }
}
