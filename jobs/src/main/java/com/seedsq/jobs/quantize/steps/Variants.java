package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;

import java.util.List;

/**
 * The model variants a job compares (the FP32 original, naive W8A8, and SmoothQuant at the job's level), each as a
 * forward pass the evaluate and benchmark steps can run.
 */
public interface Variants {

    List<String> names(JobContext ctx) throws Exception;

    /** Builds the variant; close it to release its INT8 weights and kernels. */
    Runnable open(JobContext ctx, LoadedModel model, String variant, Kernels fp) throws Exception;

    /**
     * @param kernel    which kernel runs the linears (for the report)
     * @param resources what to close after use, or null
     */
    record Runnable(Transformer transformer, String kernel, AutoCloseable resources) implements AutoCloseable {

        /**
         * Bytes this variant holds for its weights now: the INT8 model's {@link QuantizedModel#residentBytes()}, or
         * for the FP original its tensors as loaded (memory-mapped).
         */
        public long weightBytes(LoadedModel model) {
            QuantizedModel q = quantized();
            if (q != null) {
                return q.residentBytes();
            }
            long n = 0;
            for (String t : model.model().weights().names()) {
                n += model.model().weights().tensor(t).data().byteSize();
            }
            return n;
        }

        /** The INT8 model behind this variant, or null for the FP original (what a GPU runner uploads). */
        public QuantizedModel quantized() {
            return resources instanceof QuantizedModel q ? q : null;
        }

        @Override
        public void close() throws Exception {
            if (resources != null) {
                resources.close();
            }
        }
    }
}
