package com.seedsq.api.remote;

import com.seedsq.engine.kernel.Kernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.steps.SmoothQuantVariants;
import com.seedsq.jobs.quantize.steps.Variants;
import com.seedsq.worker.WorkerApplication;
import org.springframework.boot.SpringApplication;
import org.springframework.context.support.GenericApplicationContext;

/**
 * A runner with an injected fault, for the poison-partition test: building the {@code naive} variant always fails
 * on it, so the evaluation partitions of that variant fail every time they are tried, and nothing else does. The
 * bean is registered here, in the runner's main, not by a configuration class, which the API's own tests would pick
 * up by component scanning.
 */
public final class PoisonRunner {

    static final String POISON = "poisoned: the naive variant always fails on this runner (test fault injection)";

    private PoisonRunner() {
    }

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(WorkerApplication.class);
        app.addInitializers(ctx -> ((GenericApplicationContext) ctx).registerBean("poisonedVariants", Variants.class,
                PoisonRunner::poisonedVariants));
        app.run(args);
    }

    private static Variants poisonedVariants() {
        return new SmoothQuantVariants() {
            @Override
            public Runnable open(JobContext ctx, LoadedModel m, String variant, Kernels fp) throws Exception {
                if (variant.equals("naive")) {
                    throw new IllegalStateException(POISON);
                }
                return super.open(ctx, m, variant, fp);
            }
        };
    }
}
