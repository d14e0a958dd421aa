package com.seedsq.engine.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A fixed set of threads that share out indices 0..count-1. The calling thread works too, so {@code threads - 1}
 * pool threads are enough, and indices are handed out one at a time from a counter, so uneven items balance out.
 */
public final class WorkerPool implements AutoCloseable {

    private final int threads;
    private final ExecutorService executor;

    public WorkerPool(int threads) {
        this.threads = Math.max(1, threads);
        this.executor = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(r, "sq-kernel");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    public void forEach(int count, IntConsumer body) {
        if (executor == null || count <= 1) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < count; ) {
                body.accept(i);
            }
        };
        int helpers = Math.min(threads, count) - 1;
        List<Future<?>> futures = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) {
            futures.add(executor.submit(worker));
        }
        worker.run();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for kernel workers", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
