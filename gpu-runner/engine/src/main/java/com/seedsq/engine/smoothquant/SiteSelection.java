package com.seedsq.engine.smoothquant;

import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.SmoothingGroup;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which linear-input sites get smoothed: {@link #NONE}, {@link #FOLDABLE}, {@link #ALL}, or {@link #only} some site
 * names (e.g. BERT's {@code attn_in,ffn_in}). The three constants are singletons, so {@code ==} works on them.
 */
public final class SiteSelection {

    /** None: plain quantization (the naive baseline). */
    public static final SiteSelection NONE = new SiteSelection("NONE", g -> false);
    /** The paper's choice: only sites a norm feeds, where 1/s folds into the norm at no cost (LLaMA attn_in, ffn_in). */
    public static final SiteSelection FOLDABLE = new SiteSelection("FOLDABLE", SmoothingGroup::foldable);
    /** Also the sites with no norm (o_proj, down_proj inputs; every BERT site): 1/s stays an explicit input scale. */
    public static final SiteSelection ALL = new SiteSelection("ALL", g -> true);

    private final String name;
    private final Predicate<SmoothingGroup> includes;

    private SiteSelection(String name, Predicate<SmoothingGroup> includes) {
        this.name = name;
        this.includes = includes;
    }

    /** Only the sites with these names (foldable or not). */
    public static SiteSelection only(Set<String> siteNames) {
        if (siteNames.isEmpty()) {
            return NONE;
        }
        Set<String> names = new TreeSet<>(siteNames);
        return new SiteSelection(String.join(",", names), g -> names.contains(g.site()));
    }

    /**
     * The selection to use when none is given: the paper's FOLDABLE where the family has foldable sites (pre-LN
     * decoders), else ALL (post-LN BERT has none, so FOLDABLE would smooth nothing).
     */
    public static SiteSelection defaultFor(ModelFamily family) {
        return family.smoothing().stream().anyMatch(SmoothingGroup::foldable) ? FOLDABLE : ALL;
    }

    /**
     * {@code none}, {@code foldable}, {@code all}, or a comma-separated list of site names, which must all be sites
     * of {@code family}.
     */
    public static SiteSelection parse(String s, ModelFamily family) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "none":
                return NONE;
            case "foldable":
                return FOLDABLE;
            case "all":
                return ALL;
            default:
                break;
        }
        Set<String> known = new TreeSet<>();
        family.smoothing().forEach(g -> known.add(g.site()));
        Set<String> names = new TreeSet<>();
        for (String n : t.split(",")) {
            if (n.isBlank()) {
                continue;
            }
            if (!known.contains(n.trim())) {
                throw new IllegalArgumentException("sites: '" + n.trim() + "' is not a site of " + family.name()
                        + " (known: " + known + ", or none|foldable|all)");
            }
            names.add(n.trim());
        }
        return only(names);
    }

    public boolean includes(SmoothingGroup g) {
        return includes.test(g);
    }

    /** NONE, FOLDABLE, ALL, or the site names joined by commas. */
    public String name() {
        return name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SiteSelection other && other.name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
