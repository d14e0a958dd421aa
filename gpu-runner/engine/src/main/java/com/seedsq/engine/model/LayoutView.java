package com.seedsq.engine.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.tensor.TensorData;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A checkpoint as its family's roles name it: applies a {@link WeightLayout} over the stored tensors. Fused q/k/v
 * tensors are replaced by their {@code #q}/{@code #k}/{@code #v} parts, [in, out] weights come back [out, in], unused
 * leading rows are dropped and a missing base-model prefix is added. Derived tensors are made on first use and kept.
 * Closing the view frees its copies and closes the base source.
 */
public final class LayoutView implements WeightSource {

    private static final List<TensorRole> QKV_ROLES = List.of(TensorRole.Q, TensorRole.K, TensorRole.V,
            TensorRole.Q_BIAS, TensorRole.K_BIAS, TensorRole.V_BIAS);

    private final WeightSource base;
    private final WeightLayout layout;
    private final ModelConfig config;
    private final Path file;
    /** Exposed name → base name, for tensors that pass through (possibly renamed, transposed or trimmed). */
    private final Map<String, String> plain = new LinkedHashMap<>();
    private final Set<String> names;
    private final List<Pattern> transposed = new ArrayList<>();
    private final Map<Pattern, Integer> skipRows = new LinkedHashMap<>();
    private final Map<String, TensorData> derived = new ConcurrentHashMap<>();
    private final Map<String, TensorData> fusedSources = new ConcurrentHashMap<>();
    private final Arena arena = Arena.ofShared();

    private LayoutView(WeightSource base, ModelFamily family, ModelConfig config, Path file) {
        this.base = base;
        this.layout = family.layout();
        this.config = config;
        this.file = file;
        String prefix = layout.basePrefix();
        boolean addPrefix = !prefix.isEmpty() && base.names().stream().noneMatch(n -> n.startsWith(prefix));
        for (String n : base.names()) {
            plain.put(addPrefix && !n.equals("lm_head.weight") ? prefix + n : n, n);
        }
        layout.transposed().forEach(p -> transposed.add(pattern(p)));
        layout.skipRows().forEach((p, rows) -> skipRows.put(pattern(p), rows));
        Set<String> all = new LinkedHashSet<>(plain.keySet());
        if (layout.qkv() != WeightLayout.QkvPacking.SEPARATE) {
            for (int l = 0; l < config.layers(); l++) {
                for (TensorRole r : QKV_ROLES) {
                    String part = family.tensorName(r, l);
                    int hash = part == null ? -1 : part.indexOf('#');
                    if (hash > 0 && plain.containsKey(part.substring(0, hash))) {
                        all.remove(part.substring(0, hash));
                        all.add(part);
                    }
                }
            }
        }
        this.names = Collections.unmodifiableSet(all);
    }

    /** {@code base} as {@code family} names it; a plain layout returns {@code base} itself. */
    public static WeightSource of(WeightSource base, ModelFamily family, ModelConfig config, Path file) {
        return family.layout().equals(WeightLayout.PLAIN) ? base : new LayoutView(base, family, config, file);
    }

    private static Pattern pattern(String namePattern) {
        return Pattern.compile(Pattern.quote(namePattern).replace("{l}", "\\E\\d+\\Q"));
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public TensorData tensor(String name) {
        if (!names.contains(name)) {
            throw new ModelFormatException(file, name, "no such tensor in this checkpoint");
        }
        TensorData t = derived.get(name);
        if (t == null) {
            derived.putIfAbsent(name, derive(name));
            t = derived.get(name);
        }
        return t;
    }

    private TensorData derive(String name) {
        int hash = name.indexOf('#');
        if (hash > 0) {
            // the fused source is kept too, so that q, k and v share one transposed copy (GPT-2)
            String source = name.substring(0, hash);
            TensorData fused = fusedSources.get(source);
            if (fused == null) {
                fusedSources.putIfAbsent(source, stored(source));
                fused = fusedSources.get(source);
            }
            return qkvPart(name, fused, name.substring(hash + 1));
        }
        return stored(name);
    }

    /** A stored tensor under its exposed name, transposed or trimmed as the layout says. */
    private TensorData stored(String name) {
        TensorData t = base.tensor(plain.get(name));
        for (Pattern p : transposed) {
            if (p.matcher(name).matches() && t.shape().length == 2) {
                return transpose(name, t);
            }
        }
        for (var e : skipRows.entrySet()) {
            if (e.getKey().matcher(name).matches()) {
                long[] s = t.shape();
                int skip = e.getValue();
                if (s.length != 2 || s[0] < skip) {
                    throw new ModelFormatException(file, t.name(), "shape " + Arrays.toString(s) + " has no "
                            + skip + " leading rows to skip");
                }
                long rowBytes = s[1] * t.dtype().bytes();
                return new TensorData(name, t.dtype(), new long[]{s[0] - skip, s[1]},
                        t.data().asSlice(skip * rowBytes)); // a view: no copy
            }
        }
        return new TensorData(name, t.dtype(), t.shape(), t.data());
    }

    /**
     * [in, out] → [out, in]. A transposition cannot be a view of the mapped bytes, so this copies once (off-heap,
     * in the stored dtype).
     */
    private TensorData transpose(String name, TensorData t) {
        int rows = Math.toIntExact(t.shape()[0]), cols = Math.toIntExact(t.shape()[1]);
        int b = t.dtype().bytes();
        MemorySegment src = t.data();
        MemorySegment dst = arena.allocate((long) rows * cols * b, 8);
        // blocks of BLOCK source rows: read them row by row in bulk, then write each output row's BLOCK elements
        // in bulk, so both sides move contiguous runs rather than one element at a time
        final int block = 64;
        byte[] in = new byte[block * cols * b];
        byte[] out = new byte[block * b];
        for (int r0 = 0; r0 < rows; r0 += block) {
            int n = Math.min(block, rows - r0);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (long) r0 * cols * b, in, 0, n * cols * b);
            for (int j = 0; j < cols; j++) {
                for (int i = 0; i < n; i++) {
                    System.arraycopy(in, (i * cols + j) * b, out, i * b, b);
                }
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, ((long) j * rows + r0) * b, n * b);
            }
        }
        return new TensorData(name, t.dtype(), new long[]{cols, rows}, dst);
    }

    /** Rows of {@code part} (q, k or v) out of a fused [rows, in] weight or [rows] bias. */
    private TensorData qkvPart(String name, TensorData fused, String part) {
        int[] g = layout.qkv().geometry(config);
        int groups = g[0], perGroup = g[1] + g[2] + g[3];
        int hd = config.headDim();
        long[] s = fused.shape();
        long expected = (long) groups * perGroup * hd;
        if (s.length == 0 || s.length > 2 || s[0] != expected) {
            throw new ModelFormatException(file, fused.name(), "shape " + Arrays.toString(s) + ", expected "
                    + expected + (s.length == 2 ? " rows" : " elements") + " (" + groups + " groups of " + perGroup
                    + " heads x " + hd + ") from the model config");
        }
        int first, count;
        switch (part) {
            case "q" -> { first = 0; count = g[1]; }
            case "k" -> { first = g[1]; count = g[2]; }
            case "v" -> { first = g[1] + g[2]; count = g[3]; }
            default -> throw new ModelFormatException(file, name, "unknown fused part '" + part + "'");
        }
        long rowBytes = (s.length == 2 ? s[1] : 1) * fused.dtype().bytes();
        long blockBytes = (long) count * hd * rowBytes;
        long[] shape = s.length == 2 ? new long[]{(long) groups * count * hd, s[1]} : new long[]{(long) groups * count * hd};
        if (groups == 1) {
            return new TensorData(name, fused.dtype(), shape, fused.data().asSlice(first * hd * rowBytes, blockBytes));
        }
        // One block per group: the part's rows are strided, so they are gathered once (off-heap, stored dtype).
        MemorySegment dst = arena.allocate(groups * blockBytes, 8);
        for (int grp = 0; grp < groups; grp++) {
            long from = ((long) grp * perGroup + first) * hd * rowBytes;
            MemorySegment.copy(fused.data(), from, dst, grp * blockBytes, blockBytes);
        }
        return new TensorData(name, fused.dtype(), shape, dst);
    }

    /** Whether the layout drops leading rows of {@code name} (OPT's position table). */
    public boolean trimmed(String name) {
        return skipRows.keySet().stream().anyMatch(p -> p.matcher(name).matches());
    }

    /**
     * {@code name}'s tensor as the checkpoint stores it (no rows skipped), under {@code name}: what an export in the
     * source layout writes. Only for tensors that pass through; q/k/v parts and transposed weights have no stored
     * form of their own.
     */
    public TensorData asStored(String name) {
        String baseName = plain.get(name);
        if (baseName == null || name.indexOf('#') > 0 || transposed.stream().anyMatch(p -> p.matcher(name).matches())) {
            throw new IllegalArgumentException(name + " has no stored form of its own in " + file);
        }
        TensorData t = base.tensor(baseName);
        return new TensorData(name, t.dtype(), t.shape(), t.data());
    }

    @Override
    public Map<String, Object> metadata() {
        return base.metadata();
    }

    @Override
    public void close() {
        derived.clear();
        fusedSources.clear();
        arena.close();
        base.close();
    }
}
