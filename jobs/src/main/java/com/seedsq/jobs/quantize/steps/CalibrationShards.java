package com.seedsq.jobs.quantize.steps;

import com.seedsq.engine.calib.ActivationStats;
import com.seedsq.engine.calib.Calibrator;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.calib.StatsCache;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.jobs.model.DatasetText;
import com.seedsq.jobs.model.LoadedModel;
import com.seedsq.jobs.objective.Objective;
import com.seedsq.jobs.quantize.JobContext;
import com.seedsq.jobs.quantize.PartitionedWork;
import com.seedsq.jobs.quantize.QuantizeSteps;
import com.seedsq.jobs.quantize.StepProgress;
import com.seedsq.storage.metadata.DatasetRecord;
import com.seedsq.storage.metadata.Datasets;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Calibration cut into shards of consecutive calibration windows. Each shard records the per-channel abs-max over
 * its windows; the merge takes the channel-wise maximum and adds up the counts. A maximum is exact and does not
 * depend on order, so the merged statistics are bit-identical to one unsharded pass over all windows.
 */
public class CalibrationShards implements PartitionedWork {

    private final Datasets datasets;
    private final int shards;
    private final boolean reproducible;

    /** @param reproducible scalar kernels (JIT-independent results) rather than the faster vector kernels */
    public CalibrationShards(Datasets datasets, int shards, boolean reproducible) {
        this.datasets = datasets;
        this.shards = shards;
        this.reproducible = reproducible;
    }

    @Override
    public QuantizeSteps step() {
        return QuantizeSteps.CALIBRATE;
    }

    @Override
    public int partitions(JobContext ctx) {
        return Math.min(shards, ctx.spec().calibration().samples());
    }

    @Override
    public String describe(JobContext ctx, int index, int count) {
        int n = ctx.spec().calibration().samples();
        return "calibration windows " + from(index, count, n) + "–" + (from(index + 1, count, n) - 1) + " of " + n;
    }

    @Override
    public void run(JobContext ctx, int index, int count, StepProgress progress) throws Exception {
        DatasetRecord d = datasets.find(ctx.job().tenant(), ctx.spec().calibration().datasetId())
                .orElseThrow(() -> new IllegalStateException("calibration dataset "
                        + ctx.spec().calibration().datasetId() + " no longer exists"));
        try (LoadedModel m = LoadedModel.open(ctx.modelDir());
             Kernels kernels = reproducible ? new ScalarKernels() : new VectorKernels()) {
            Objective objective = Objective.of(m);
            int[][] windows = objective.calibrationWindows(m, DatasetText.read(ctx.store(), d), ctx.spec());
            // The cache key names the whole calibration (model + all windows); shard 0 computes it for the merge.
            String key = index == 0 ? StatsCache.key(StatsCache.hashModel(m.model().file()), windows,
                    objective.seqLen(m, ctx.spec())) : "";
            int[][] mine = Arrays.copyOfRange(windows, from(index, count, windows.length),
                    from(index + 1, count, windows.length));
            ActivationStats stats = Calibrator.run(m.model(), m.model().weights(), kernels, mine, key,
                    progress::report);
            Path file = stats.save(ctx.workDir().resolve("calibration-shard-" + index + ".safetensors"));
            try (InputStream in = Files.newInputStream(file)) {
                ctx.store().put(ctx.artifactKey(outputKey(index)), in, Files.size(file));
            }
        }
    }

    @Override
    public void merge(JobContext ctx, int count) throws Exception {
        List<ActivationStats> shards = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path local = ctx.workDir().resolve("calibration-shard-" + i + ".merge.safetensors");
            try (InputStream in = ctx.store().open(ctx.artifactKey(outputKey(i)))) {
                Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
            }
            shards.add(ActivationStats.load(local));
            Files.delete(local);
        }
        ActivationStats stats = merge(shards);
        QuantizationArtifacts.putStats(ctx, stats);
        DatasetRecord d = datasets.find(ctx.job().tenant(), ctx.spec().calibration().datasetId()).orElseThrow();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("key", stats.key());
        summary.put("tokens", stats.tokens());
        summary.put("sequences", stats.sequences());
        summary.put("seqLen", stats.seqLen());
        summary.put("dataset", d.name());
        ctx.putJson("calibration.json", summary);
    }

    /**
     * The statistics of all shards' windows, from the shards' own, in shard order: channel-wise maximum, summed
     * counts, the first shard's cache key (the one that names the whole calibration).
     */
    static ActivationStats merge(List<ActivationStats> shards) {
        Map<SiteKey, float[]> absMax = new TreeMap<>();
        long tokens = 0;
        int sequences = 0;
        for (int i = 0; i < shards.size(); i++) {
            ActivationStats shard = shards.get(i);
            if (i > 0 && !shard.absMax().keySet().equals(absMax.keySet())) {
                throw new IllegalStateException("calibration shard " + i + " measured other sites than shard 0");
            }
            tokens += shard.tokens();
            sequences += shard.sequences();
            for (var e : shard.absMax().entrySet()) {
                float[] into = absMax.computeIfAbsent(e.getKey(), k -> new float[e.getValue().length]);
                if (into.length != e.getValue().length) {
                    throw new IllegalStateException("calibration shard " + i + ": site " + e.getKey() + " has "
                            + e.getValue().length + " channels, shard 0 has " + into.length);
                }
                for (int c = 0; c < into.length; c++) {
                    into[c] = Math.max(into[c], e.getValue()[c]);
                }
            }
        }
        return new ActivationStats(shards.getFirst().key(), tokens, sequences, shards.getFirst().seqLen(), absMax);
    }

    private String outputKey(int index) {
        return PartitionedWork.outputKey(step(), index, ".safetensors");
    }

    /** The first window of shard {@code index}: windows are split as evenly as they go. */
    private static int from(int index, int count, int windows) {
        return (int) ((long) index * windows / count);
    }
}
