package com.seedsq.api.jobs;

import com.seedsq.storage.metadata.JobRecord;
import com.seedsq.storage.metadata.Jobs;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Server-Sent Events of a job's progress. The job's row is the single source of truth (a step may run in this
 * process or on a remote runner), so each stream polls it and sends an event whenever it changed, then closes after
 * the final status. Polling twice a second per open stream is cheap next to a quantization job.
 */
@Component
class JobEvents implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JobEvents.class);

    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration MAX_STREAM = Duration.ofHours(6);

    private final Jobs jobs;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1,
            Thread.ofPlatform().daemon().name("sq-sse").factory());

    JobEvents(Jobs jobs) {
        this.jobs = jobs;
    }

    SseEmitter stream(String tenant, String id, Function<JobRecord, Object> view) {
        SseEmitter emitter = new SseEmitter(MAX_STREAM.toMillis());
        AtomicReference<String> last = new AtomicReference<>();
        AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
        Runnable poll = () -> {
            try {
                JobRecord j = jobs.find(tenant, id).orElse(null);
                if (j == null) {
                    emitter.complete();
                    cancel(task);
                    return;
                }
                String fingerprint = j.status() + "|" + j.currentStep() + "|" + j.percent() + "|" + j.message()
                        + "|" + j.etaSeconds();
                if (!Objects.equals(fingerprint, last.getAndSet(fingerprint))) {
                    emitter.send(SseEmitter.event().name("progress").id(j.updatedAt().toString()).data(view.apply(j)));
                }
                if (j.finished()) {
                    emitter.complete();
                    cancel(task);
                }
            } catch (IOException | IllegalStateException e) {
                cancel(task); // the client went away
            } catch (RuntimeException e) {
                // A failed poll (the database away, say) ends the stream with an error instead of leaving the client
                // waiting on a stream that will never speak again; it can reconnect.
                log.warn("job {}: event stream ended by {}", id, e.toString());
                cancel(task);
                emitter.completeWithError(e);
            }
        };
        task.set(timer.scheduleWithFixedDelay(poll, 0, POLL.toMillis(), TimeUnit.MILLISECONDS));
        emitter.onCompletion(() -> cancel(task));
        emitter.onTimeout(() -> cancel(task));
        emitter.onError(e -> cancel(task));
        return emitter;
    }

    private static void cancel(AtomicReference<ScheduledFuture<?>> task) {
        ScheduledFuture<?> f = task.get();
        if (f != null) {
            f.cancel(false);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
