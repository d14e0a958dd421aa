package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.export.Int8Export;
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

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Smooths and quantizes the model to W8A8 (INT8 weights as bytes, per tensor or per channel; activations per the
 * level) and measures what that costs: the relative output error of every linear on a few calibration windows, and
 * the weights' size before and after.
 */
public class QuantizeStep extends JobStep {

    private static final int ERROR_PROBE_WINDOWS = 4;

    /** Where the exported INT8 model goes among the job's artifacts. */
    public static final String EXPORT_PREFIX = "int8-model/";

    private final Datasets datasets;

    public QuantizeStep(Services services, Datasets datasets) {
        super(services, QuantizeSteps.QUANTIZE);
        this.datasets = datasets;
    }

    @Override
    protected void run(JobContext ctx, StepProgress progress, ExecutionContext jobContext) throws Exception {
        ActivationStats stats = QuantizationArtifacts.stats(ctx);
        try (LoadedModel m = LoadedModel.open(ctx.modelDir());
             VectorKernels fp = new VectorKernels()) {
            QuantConfig config = QuantizationArtifacts.config(ctx.spec(), m.model().family());
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
                progress.report(0.85, "exporting the INT8 model (compressed-tensors)");
                try {
                    Int8Export.Result export = exportModel(ctx, m, qm, stats);
                    out.put("export", Map.of("format", "compressed-tensors (int-quantized)", "prefix", EXPORT_PREFIX,
                            "files", export.files().stream().map(f -> f.getFileName().toString()).toList(),
                            "modelBytes", export.modelBytes(), "ratioToFp32", export.ratioToFp32()));
                } catch (UnsupportedOperationException e) {
                    // families the engine runs but cannot yet write back in their HF layout (fused q/k/v, Conv1D):
                    // the job's measurements stand; the export is reported as skipped, with the reason
                    out.put("export", Map.of("skipped", e.getMessage()));
                }
                ctx.putJson("quantization.json", out);
            }
        }
    }

    /**
     * Writes the INT8 model as a Hugging Face directory in llm-compressor's compressed-tensors layout (with its
     * tokenizer, smoothing factors and activation statistics) and uploads every file under {@link #EXPORT_PREFIX}.
     */
    private static Int8Export.Result exportModel(JobContext ctx, LoadedModel m, QuantizedModel qm,
                                                 ActivationStats stats) throws Exception {
        Path dir = ctx.workDir().resolve("int8-model");
        if (Files.exists(dir)) { // left by an attempt that died: start clean
            try (Stream<Path> old = Files.walk(dir)) {
                old.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        List<Path> tokenizerFiles = new ArrayList<>();
        Path modelDir = ctx.modelDir();
        for (String name : new String[] {m.summary().tokenizer(), "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "tokenizer.model", "vocab.txt"}) {
            if (name != null && Files.exists(modelDir.resolve(name))) {
                tokenizerFiles.add(modelDir.resolve(name));
            }
        }
        Int8Export.Result result = Int8Export.write(qm, dir, tokenizerFiles, stats);
        for (Path f : result.files()) {
            try (InputStream in = Files.newInputStream(f)) {
                ctx.store().put(ctx.artifactKey(EXPORT_PREFIX + dir.relativize(f)), in, Files.size(f));
            }
        }
        return result;
    }

    /** The first few calibration windows: the data the scales were fitted on, so the error is the rounding's own. */
    private int[][] probeWindows(JobContext ctx, LoadedModel m, ActivationStats stats) throws Exception {
        var d = datasets.find(ctx.job().tenant(), ctx.spec().calibration().datasetId()).orElseThrow();
        int[] ids = m.tokenizer().encode(DatasetText.read(ctx.store(), d), true);
        int[][] windows = QuantizationArtifacts.calibrationSpec(ctx.spec()).windows(ids, m.tokenizer().bos());
        return Arrays.copyOf(windows, Math.min(ERROR_PROBE_WINDOWS, windows.length));
    }
}
