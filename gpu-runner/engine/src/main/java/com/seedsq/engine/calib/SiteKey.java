package com.seedsq.engine.calib;

/**
 * One linear-input site of one layer: the activation that a {@link com.seedsq.engine.model.SmoothingGroup}'s linears
 * read (e.g. layer 3's {@code attn_in}, shared by q/k/v). Written {@code L3.attn_in}.
 */
public record SiteKey(int layer, String site) implements Comparable<SiteKey> {

    public static SiteKey parse(String s) {
        int dot = s.indexOf('.');
        if (!s.startsWith("L") || dot < 2) {
            throw new IllegalArgumentException("not a site key (L<layer>.<site>): " + s);
        }
        return new SiteKey(Integer.parseInt(s.substring(1, dot)), s.substring(dot + 1));
    }

    @Override
    public String toString() {
        return "L" + layer + "." + site;
    }

    @Override
    public int compareTo(SiteKey o) {
        int c = Integer.compare(layer, o.layer);
        return c != 0 ? c : site.compareTo(o.site);
    }
}
