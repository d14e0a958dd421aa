package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;

import java.util.List;

/**
 * The model variants a job compares (FP32, and the INT8 variants its quantize step produced), each as a forward
 * pass the evaluate and benchmark steps can run.
 */
public interface Variants {

    List<String> names(JobContext ctx) throws Exception;

    Transformer transformer(JobContext ctx, LoadedModel model, String variant, Kernels kernels) throws Exception;
}
