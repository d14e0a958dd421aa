package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.LinearSites;
import com.seedsq.engine.calib.SiteKey;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.quant.SmoothingFold;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A smoothed model as a {@link WeightSource} overlay, so the forward pass and every loader stay untouched: for each
 * smoothed site, the feeding norm's weight (and bias) come back divided by s, and the site's linears with their
 * input columns multiplied by s (float32, one operation per element, as {@link SmoothingFold} and the reference do);
 * every other tensor passes through. Sites with no norm ({@link SmoothingPlan#explicit()}) get only the column
 * scaling: their input must be multiplied by 1/s by the kernels ({@link Int8LinearKernels} or
 * {@link InputScaleKernels}), or the function changes.
 *
 * <p>Modified norms (vectors) are computed on first use, held on the heap as F32 and reused. Modified linears are
 * computed on every call and not kept: a heap copy of every smoothed linear in F32 would hold as much memory again as
 * an F32 model (twice an F16 one) for as long as the overlay lives, also behind an INT8 model that no longer reads
 * them ({@link QuantizedModel} hands its INT8 forward pass the base tensors for its quantized linears). A caller
 * that reads a linear more than once keeps what it got. {@link #close()} does not close the base source (its
 * {@code Model} owns it).
 */
public final class SmoothedWeights implements WeightSource {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** How one tensor changes: divided by s (a norm) or its columns multiplied by s (a linear). */
    private record Change(SiteKey site, boolean divide) {
    }

    private final WeightSource base;
    private final SmoothingPlan plan;
    private final Map<String, Change> changes = new HashMap<>();
    private final Map<String, TensorData> cache = new ConcurrentHashMap<>();

    public SmoothedWeights(WeightSource base, ModelFamily family, LinearSites sites, SmoothingPlan plan) {
        this.base = base;
        this.plan = plan;
        for (SiteKey key : plan.factors().keySet()) {
            LinearSites.Site site = sites.site(key);
            if (site == null) {
                throw new IllegalArgumentException("smoothing plan names unknown site " + key);
            }
            for (String linear : site.linears()) {
                changes.put(linear, new Change(key, false));
            }
            if (!plan.explicit().contains(key)) {
                changes.put(site.norm(), new Change(key, true));
                String bias = normBias(family, site.group().norm(), key.layer());
                if (bias != null && base.has(bias)) {
                    changes.put(bias, new Change(key, true));
                }
            }
        }
    }

    private static String normBias(ModelFamily family, TensorRole norm, int layer) {
        TensorRole biasRole;
        try {
            biasRole = TensorRole.valueOf(norm.name() + "_BIAS");
        } catch (IllegalArgumentException e) {
            return null;
        }
        return biasRole.perLayer() ? family.tensorName(biasRole, layer) : family.tensorName(biasRole);
    }

    public SmoothingPlan plan() {
        return plan;
    }

    /** The names this overlay changes. */
    public Set<String> changed() {
        return Set.copyOf(changes.keySet());
    }

    @Override
    public Set<String> names() {
        return base.names();
    }

    @Override
    public TensorData tensor(String name) {
        Change c = changes.get(name);
        if (c == null) {
            return base.tensor(name);
        }
        return c.divide() ? cache.computeIfAbsent(name, n -> smooth(base.tensor(n), c)) : smooth(base.tensor(name), c);
    }

    private TensorData smooth(TensorData t, Change c) {
        float[] s = plan.factors(c.site());
        float[] v = t.toFloatArray();
        if (c.divide()) {
            SmoothingFold.intoNorm(v, null, s);
        } else {
            SmoothingFold.intoLinearInput(v, s);
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[v.length * 4]);
        MemorySegment.copy(v, 0, seg, F32_LE, 0, v.length);
        return new TensorData(t.name(), DType.F32, t.shape().clone(), seg);
    }

    @Override
    public Map<String, Object> metadata() {
        return base.metadata();
    }

    @Override
    public void close() {
        cache.clear();
    }
}
