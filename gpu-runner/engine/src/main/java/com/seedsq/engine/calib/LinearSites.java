package com.seedsq.engine.calib;

import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.SmoothingGroup;
import com.seedsq.engine.model.TensorRole;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which checkpoint tensor is which linear-input site, derived from the family's smoothing map
 * ({@link ModelFamily#smoothing()}): e.g. for LLaMA, {@code model.layers.3.self_attn.k_proj.weight} reads
 * {@code L3.attn_in}. Every linear of every block is in exactly one site; embeddings and the LM head are in none,
 * which is what keeps them in floating point.
 */
public final class LinearSites {

    /** One site: its key, its group description, and the names of the linears that read it (present ones only). */
    public record Site(SiteKey key, SmoothingGroup group, List<String> linears, String norm) {
    }

    private final Map<SiteKey, Site> sites;
    private final Map<String, Site> byTensor;

    private LinearSites(Map<SiteKey, Site> sites) {
        this.sites = Collections.unmodifiableMap(sites);
        Map<String, Site> t = new LinkedHashMap<>();
        for (Site s : sites.values()) {
            for (String n : s.linears()) {
                t.put(n, s);
            }
        }
        this.byTensor = Collections.unmodifiableMap(t);
    }

    public static LinearSites of(ModelFamily family, ModelConfig config, WeightSource weights) {
        Map<SiteKey, Site> sites = new LinkedHashMap<>();
        for (int l = 0; l < config.layers(); l++) {
            for (SmoothingGroup g : family.smoothing()) {
                List<String> names = new ArrayList<>();
                for (TensorRole r : g.linears()) {
                    String n = family.tensorName(r, l);
                    if (n != null && weights.has(n)) {
                        names.add(n);
                    }
                }
                if (names.isEmpty()) {
                    continue; // e.g. a gate that this MLP kind does not have
                }
                String norm = g.norm() == null ? null : family.tensorName(g.norm(), l);
                SiteKey key = new SiteKey(l, g.site());
                sites.put(key, new Site(key, g, List.copyOf(names), norm));
            }
        }
        return new LinearSites(sites);
    }

    public Map<SiteKey, Site> sites() {
        return sites;
    }

    /** The site whose activation this linear reads, or null for a tensor that is not a block linear. */
    public Site siteOf(String tensorName) {
        return byTensor.get(tensorName);
    }

    public Site site(SiteKey key) {
        return sites.get(key);
    }

    /** Names of every block linear, in layer and site order. */
    public List<String> linears() {
        return List.copyOf(byTensor.keySet());
    }
}
