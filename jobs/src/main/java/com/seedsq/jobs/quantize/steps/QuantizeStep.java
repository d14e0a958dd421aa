package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.smoothquant.QuantConfig;
import com.seedsq.engine.smoothquant.QuantizedModel;
import com.seedsq.engine.smoothquant.SmoothQuant;
import com.seedsq.jobs.model.DatasetText;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.JobStep;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.storage.metadata.Datasets;
import org.springframework.batch.infrastructure.item.ExecutionContext;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Smooths and quantizes the model to W8A8 (INT8 weights as bytes, per tensor or per channel; activations per the
 * level) and measures what that costs: the relative output error of every linear on a few calibration windows, and
 * the weights' size before and after.
 */
public class QuantizeStep extends JobStep {

    private static final int ERROR_PROBE_WINDOWS = 4;

    private final Datasets datasets;

    public QuantizeStep(Services services, Datasets datasets) {
        super(services, QuantizeSteps.QUANTIZE);
        this.datasets = datasets;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        ActivationStats stats = QuantizationArtifacts.stats(ctx);
        try (LoadedModel m = LoadedModel.open(ctx.workDir().resolve("model"));
             VectorKernels fp = new VectorKernels()) {
            QuantConfig config = QuantizationArtifacts.config(ctx.spec(), m.model().family().name());
            try (QuantizedModel qm = SmoothQuant.quantize(m.model(), stats, QuantizationArtifacts.plan(ctx), config,
                    (f, msg) -> progress.report(0.7 * f, msg))) {
                progress.report(0.7, "measuring per-linear quantization error");
                long fpBytes = 0;
                for (String t : m.model().weights().names()) {
                    fpBytes += m.model().weights().tensor(t).data().byteSize();
                }
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("level", config.level().name());
                out.put("alpha", config.alphaText());
                out.put("weights", config.weights().strategy());
                out.put("kernel", qm.kernelName());
                out.put("fpBytes", fpBytes);
                out.put("int8Bytes", qm.int8Bytes());
                out.put("linearErrors", SmoothQuant.linearErrors(qm, probeWindows(ctx, m, stats), fp));
                ctx.putJson("quantization.json", out);
            }
        }
    }

    /** The first few calibration windows: the data the scales were fitted on, so the error is the rounding's own. */
    private int[][] probeWindows(JobContext ctx, LoadedModel m, ActivationStats stats) throws Exception {
        var d = datasets.find(ctx.job().tenant(), ctx.spec().calibration().datasetId()).orElseThrow();
        int[] ids = m.tokenizer().encode(DatasetText.read(ctx.store(), d), true);
        int[][] windows = QuantizationArtifacts.calibrationSpec(ctx.spec()).windows(ids, m.tokenizer().bos());
        return Arrays.copyOf(windows, Math.min(ERROR_PROBE_WINDOWS, windows.length));
    }
}
