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
                String norm = g.norm() == null ? null : family.tensorName(g.norm(), l);
                if (g.norm() == null && g.linears().stream().allMatch(TensorRole::perExpert)) {
                    // each expert's down projection reads its own activation: one site per expert
                    for (int e = 0; e < config.experts(); e++) {
                        add(sites, family, weights, g, l, e, g.site() + ".e" + e, null);
                    }
                } else {
                    add(sites, family, weights, g, l, -1, g.site(), norm);
                }
            }
        }
        return new LinearSites(sites);
    }

    /** Adds the site if any of its linears exists; expert roles expand to every expert, or to {@code expert}. */
    private static void add(Map<SiteKey, Site> sites, ModelFamily family, WeightSource weights, SmoothingGroup g,
                            int layer, int expert, String siteName, String norm) {
        List<String> names = new ArrayList<>();
        for (TensorRole r : g.linears()) {
            if (r.perExpert()) {
                for (int e = expert < 0 ? 0 : expert; ; e++) {
                    String n = family.tensorName(r, layer, e);
                    if (n == null || !weights.has(n) || (expert >= 0 && e > expert)) {
                        break;
                    }
                    names.add(n);
                }
            } else {
                String n = family.tensorName(r, layer);
                if (n != null && weights.has(n)) {
                    names.add(n);
                }
            }
        }
        if (names.isEmpty()) {
            return; // e.g. a gate that this MLP kind does not have
        }
        SiteKey key = new SiteKey(layer, siteName);
        sites.put(key, new Site(key, g, List.copyOf(names), norm));
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
