package com.seedsq.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The spinning worker pool: every index runs exactly once, whether the helpers spin or have parked; failures reach the
 * caller and leave the pool usable; a nested or concurrent region runs on its caller instead of deadlocking.
 */
class WorkerPoolTest {

    private static void assertEachOnce(WorkerPool pool, int count) {
        AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(count, 1));
        pool.forEach(count, i -> seen.incrementAndGet(i));
        for (int i = 0; i < count; i++) {
            assertEquals(1, seen.get(i), "index " + i + " of " + count + " on " + pool.threads() + " threads");
        }
    }

    @Test
    void everyIndexRunsOnceForAnyCountAndThreadCount() throws InterruptedException {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int count : new int[]{0, 1, 2, 3, 7, 64, 1000}) {
                    assertEachOnce(pool, count);
                }
                // regions back to back (helpers spinning) and after a pause (helpers parked)
                for (int r = 0; r < 2000; r++) {
                    assertEachOnce(pool, 5);
                }
                Thread.sleep(3 * WorkerPool.SPIN_MICROS / 1000 + 5);
                assertEachOnce(pool, 17);
            }
        }
    }

    @Test
    void helpersDoShareTheWork() {
        try (WorkerPool pool = new WorkerPool(2)) {
            java.util.Set<Thread> ran = java.util.concurrent.ConcurrentHashMap.newKeySet();
            for (int r = 0; r < 50 && ran.size() < 2; r++) {
                pool.forEach(64, i -> {
                    ran.add(Thread.currentThread());
                    long until = System.nanoTime() + 20_000;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
            }
            assertEquals(2, ran.size(), "the helper never took an item");
        }
    }

    @Test
    void aFailureReachesTheCallerAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int bad : new int[]{0, 5, 99}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.forEach(100,
                        i -> {
                            if (i == bad) {
                                throw new IllegalArgumentException("item " + i);
                            }
                        }));
                assertEquals("item " + bad, e.getMessage());
                assertEachOnce(pool, 100);
            }
        }
    }

    @Test
    void nestedRegionsRunOnTheirCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger inner = new AtomicInteger();
            pool.forEach(8, i -> pool.forEach(10, j -> inner.incrementAndGet()));
            assertEquals(80, inner.get());
        }
    }

    @Test
    void concurrentCallersEachGetTheirWorkDone() throws Exception {
        WorkerPool pool = WorkerPool.shared(2);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                done.add(callers.submit(() -> {
                    for (int r = 0; r < 300; r++) {
                        assertEachOnce(pool, 1 + r % 40);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
        pool.close(); // a shared pool outlives close: other kernels use it
        assertEachOnce(pool, 33);
        assertSame(pool, WorkerPool.shared(2));
    }

    @Test
    void closeStopsTheHelpersOfAPoolOfItsOwn() throws InterruptedException {
        long before = liveHelpers();
        WorkerPool pool = new WorkerPool(3);
        assertEachOnce(pool, 10);
        assertEquals(before + 2, liveHelpers(), "a 3-thread pool starts 2 helpers");
        pool.close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (liveHelpers() > before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before, liveHelpers(), "helpers still alive 5 s after close");
        assertEachOnce(pool, 10); // after close, a region still completes, on the caller
    }

    private static long liveHelpers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("sq-kernel-")).count();
    }
}
