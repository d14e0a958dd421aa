package com.seedsq.jobs.quantize;

import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.steps.Variants;

import java.util.List;

/** The FP32 original alone: the baseline every INT8 variant is measured against. */
public class FpVariants implements Variants {

    @Override
    public List<String> names(JobContext ctx) {
        return List.of("fp32");
    }

    @Override
    public Transformer transformer(JobContext ctx, LoadedModel model, String variant, Kernels kernels) {
        if (!variant.equals("fp32")) {
            throw new IllegalArgumentException("unknown variant " + variant);
        }
        return Transformer.of(model.model(), kernels);
    }
}
