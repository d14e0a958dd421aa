package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.engine.smoothquant.SmoothingPlan;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;

import java.util.List;
import java.util.Locale;

/**
 * fp32 (the original), naive (W8A8 per-tensor, no smoothing: the baseline SmoothQuant must beat) and the job's
 * SmoothQuant level (o1, o2 or o3) built from the stored statistics and smoothing plan.
 */
public class SmoothQuantVariants implements Variants {

    @Override
    public List<String> names(JobContext ctx) {
        return List.of("fp32", "naive", ctx.spec().level().toLowerCase(Locale.ROOT));
    }

    @Override
    public Runnable open(JobContext ctx, LoadedModel m, String variant, Kernels fp) throws Exception {
        if (variant.equals("fp32")) {
            return new Runnable(Transformer.of(m.model(), fp), fp.getClass().getSimpleName(), null);
        }
        QuantConfig config;
        SmoothingPlan plan;
        if (variant.equals("naive")) {
            config = QuantConfig.naive();
            plan = SmoothingPlan.none();
        } else if (variant.equalsIgnoreCase(ctx.spec().level())) {
            config = QuantizationArtifacts.config(ctx.spec(), m.model().family());
            plan = QuantizationArtifacts.plan(ctx);
        } else {
            throw new IllegalArgumentException("unknown variant " + variant);
        }
        QuantizedModel qm = SmoothQuant.quantize(m.model(), QuantizationArtifacts.stats(ctx), plan, config,
                ProgressListener.NONE);
        return new Runnable(qm.transformer(fp), qm.kernelName(), qm);
    }
}
