package com.seedsq.engine.forward;

import com.seedsq.engine.format.hf.HfCheckpoint;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.ScalarKernels;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every Hugging Face architecture the engine opens, against logits computed by Hugging Face transformers itself:
 * the independent check of our reading of each architecture (config keys, tensor names and layouts, norms,
 * positions, attention, MLP, head). The other family tests compare against a naive float64 forward pass that we
 * wrote from the same reading of the HF code, so they cannot catch a misreading; this one can.
 *
 * <p>The data under {@code src/test/resources/hf-reference/<case>/} (config.json and model.safetensors as
 * {@code save_pretrained} wrote them, reference.json with the 12 tokens and float32 logits [12][64] of every position)
 * came from transformers 5.17.0 / torch 2.11 via {@code scripts/hf_reference.py}, run on the GPU machine's CPU in
 * float32 (2026-11-27). That script gives each tiny 2-layer model random weights at unit scale, so logits spread
 * over tens of units and a structural error moves them by far more than the tolerance.
 *
 * <p>Each case runs (1) the whole sequence as one prefill and (2), for causal models, a prefill of the first
 * {@value #PREFIX} tokens followed by one-token decode steps, comparing every position's logits both times; BERT
 * (bidirectional) runs the full prefill only. Both the scalar reference kernels and the vector kernels run.
 *
 * <p>Tolerance {@code |a - b| <= 1e-4 * max(1, |ref|)}: both sides compute in float32 but in different summation
 * orders (blocked SIMD dot products here, MKL/oneDNN there) and with different libm exp/erf/tanh/sin/cos, which
 * gives ~1e-7 relative per operation; over 2 layers of width 32-64 and logits up to ~50 that accumulates to a few
 * 1e-6 relative (the worst measured error per case is printed), while any structural mistake (wrong split,
 * frequency, offset, slope, norm or activation) moves logits by 1e-2 or more.
 */
class HfTransformersReferenceTest {

    static final String FOLDER = "hf-reference";
    static final List<String> FILES = List.of("config.json", "model.safetensors", "reference.json");
    static final int PREFIX = 4;
    static final double TOLERANCE = 1e-4;

    /** The cases scripts/hf_reference.py writes; a missing one fails {@link #everyGeneratedCaseIsPresent}. */
    static final Set<String> EXPECTED = new TreeSet<>(List.of("llama", "llama-tied", "llama3-rope-scaling", "mistral",
            "qwen2", "opt", "gpt2", "gpt-neox", "gpt-neox-sequential", "falcon-7b", "falcon-new", "bloom", "mixtral",
            "bert", "llama-linear-rope", "mistral-sliding-window", "qwen2-sliding-window", "bloom-post-ln-residual",
            "falcon-rw-style", "opt-350m-style"));

    /**
     * The case whose reference holds a transformers quirk rather than the model: hf_reference.py runs eager
     * attention, and transformers' eager Falcon path adds ALiBi twice. FalconModel._update_causal_mask already puts
     * {@code alibi / sqrt(head_dim)} into the attention mask (for every implementation, when head_mask is None), and
     * FalconAttention's eager branch then computes {@code (q.k + alibi) / sqrt(head_dim) + mask}. The SDPA path
     * (transformers' default) and tiiuae's original RW code add {@code alibi / sqrt(head_dim)} once, which is what
     * the engine does; this case runs the engine with its slopes doubled, which reproduces the eager logits exactly
     * ({@link #falconRwDiffersFromEagerTransformersOnlyByTheDoubledAlibi} checks the engine as it is misses them).
     */
    static final String EAGER_FALCON_ALIBI_TWICE = "falcon-rw-style";

    /** The reference folder: from the test classpath (target/test-classes), else the source tree. */
    static Path root() {
        URL url = HfTransformersReferenceTest.class.getResource("/" + FOLDER);
        try {
            Path p = url != null && "file".equals(url.getProtocol()) ? Path.of(url.toURI())
                    : Path.of("src", "test", "resources", FOLDER);
            assertTrue(Files.isDirectory(p), "reference folder " + p + " not found");
            return p;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every case directory, sorted; an empty folder is an error, not an empty test. */
    static List<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(root())) {
            List<String> names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            assertFalse(names.isEmpty(), "no reference cases under " + root());
            return names;
        }
    }

    /** One case: its directory (every file checked present) and reference.json. */
    record Case(String name, Path dir, int[] tokens, int vocab, float[][] logits, List<String> tensors,
                String modelClass) {

        static Case load(String name) {
            Path dir = root().resolve(name);
            for (String f : FILES) {
                assertTrue(Files.isRegularFile(dir.resolve(f)), name + ": " + f + " is missing from " + dir);
            }
            Map<String, Object> ref = HfCheckpoint.readJsonObject(dir.resolve("reference.json"));
            int[] tokens = ((List<?>) ref.get("tokens")).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
            int vocab = ((Number) ref.get("vocab")).intValue();
            List<?> rows = (List<?>) ref.get("logits");
            assertEquals(tokens.length, rows.size(), name + ": logits rows");
            float[][] logits = new float[rows.size()][];
            for (int i = 0; i < logits.length; i++) {
                List<?> row = (List<?>) rows.get(i);
                assertEquals(vocab, row.size(), name + ": logits row " + i);
                logits[i] = new float[vocab];
                for (int j = 0; j < vocab; j++) {
                    logits[i][j] = ((Number) row.get(j)).floatValue();
                }
            }
            List<String> tensors = ((List<?>) ref.get("tensors")).stream().map(String::valueOf).toList();
            return new Case(name, dir, tokens, vocab, logits, tensors, String.valueOf(ref.get("model_class")));
        }
    }

    @Test
    void everyGeneratedCaseIsPresent() throws IOException {
        Set<String> missing = new TreeSet<>(EXPECTED);
        missing.removeAll(cases());
        assertTrue(missing.isEmpty(), "reference cases missing: " + missing);
    }

    /** The checkpoint on disk is the one the logits were computed with (same tensor names). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void checkpointHoldsTheReferenceTensors(String name) {
        Case c = Case.load(name);
        try (HfCheckpoint ckpt = HfCheckpoint.open(c.dir())) {
            assertEquals(new TreeSet<>(c.tensors()), new TreeSet<>(ckpt.names()), name + ": tensor names");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTransformers(String name) {
        Case c = Case.load(name);
        try (Model model = Model.open(c.dir())) {
            assertEquals(c.vocab(), model.config().vocabSize(), name + ": vocabulary");
            boolean causal = model.family().causal();
            assertEquals(!c.modelClass().endsWith("ForMaskedLM"), causal, name + " (" + c.modelClass()
                    + "): causal attention");
            for (Supplier<Kernels> kinds : List.<Supplier<Kernels>>of(ScalarKernels::new, () -> new VectorKernels(2))) {
                try (Kernels k = kinds.get()) {
                    String what = name + " " + k.getClass().getSimpleName();
                    Transformer t = Transformer.of(model, k);
                    if (EAGER_FALCON_ALIBI_TWICE.equals(name)) {
                        t.scaleAlibiSlopes(2);
                    }
                    float[] all = t.forward(t.newCache(c.tokens().length), c.tokens(), true);
                    double prefill = compare(c, all, what + " prefill");
                    String decode = "";
                    if (causal) {
                        KvCache cache = t.newCache(c.tokens().length);
                        float[] stepped = new float[all.length];
                        float[] first = t.forward(cache, Arrays.copyOf(c.tokens(), PREFIX), true);
                        System.arraycopy(first, 0, stepped, 0, first.length);
                        for (int i = PREFIX; i < c.tokens().length; i++) {
                            float[] one = t.forward(cache, new int[]{c.tokens()[i]}, true);
                            System.arraycopy(one, 0, stepped, i * c.vocab(), c.vocab());
                        }
                        double worst = compare(c, stepped, what + " prefill " + PREFIX + " + decode");
                        // the rest as a second prefill chunk: blocked attention at a start past 0
                        KvCache chunked = t.newCache(c.tokens().length);
                        float[] joined = Arrays.copyOf(t.forward(chunked, Arrays.copyOf(c.tokens(), PREFIX), true),
                                all.length);
                        float[] rest = t.forward(chunked, Arrays.copyOfRange(c.tokens(), PREFIX, c.tokens().length),
                                true);
                        System.arraycopy(rest, 0, joined, PREFIX * c.vocab(), rest.length);
                        worst = Math.max(worst, compare(c, joined, what + " prefill in chunks of " + PREFIX + " + "
                                + (c.tokens().length - PREFIX)));
                        decode = String.format(", prefill %d + decode or + a chunk %.3g", PREFIX, worst);
                    }
                    System.out.printf("HF reference %-20s %-13s worst |a-b|/max(1,|ref|): prefill %.3g%s%n", name,
                            k.getClass().getSimpleName(), prefill, decode);
                }
            }
        }
    }

    /**
     * The cases that exercise RoPE parameters must depend on them, or passing them proves nothing: plain RoPE in
     * place of llama3 scaling, or transformers' old default θ 10000 in place of the config's 500000, must miss the
     * reference by far more than the tolerance.
     */
    @Test
    void theRopeCasesDependOnTheirRopeParameters() {
        Case l3 = Case.load("llama3-rope-scaling");
        Case tied = Case.load("llama-tied");
        try (Model m3 = Model.open(l3.dir()); Model mt = Model.open(tied.dir()); Kernels k = new ScalarKernels()) {
            assertEquals(RopeScaling.llama3(8, 1, 4, 16), m3.config().ropeScaling());
            assertEquals(500000f, m3.config().ropeTheta());
            assertEquals(500000f, mt.config().ropeTheta());
            assertTrue(mt.config().tiedEmbeddings());
            Transformer plain = Transformer.load(m3.family(), m3.config().withRopeScaling(RopeScaling.NONE),
                    m3.weights(), k, m3.file());
            double unscaled = worstError(l3, plain.forward(plain.newCache(12), l3.tokens(), true));
            assertTrue(unscaled > 1e-2, "llama3 case without its scaling: " + unscaled);
            ModelConfig c = mt.config();
            Transformer theta = Transformer.load(mt.family(), new ModelConfig(c.hiddenSize(), c.layers(), c.heads(),
                    c.kvHeads(), c.headDim(), c.intermediateSize(), c.vocabSize(), c.maxSeq(), c.normEps(), 10000f,
                    true), mt.weights(), k, mt.file());
            double wrongTheta = worstError(tied, theta.forward(theta.newCache(12), tied.tokens(), true));
            assertTrue(wrongTheta > 1e-2, "llama-tied case with theta 10000: " + wrongTheta);
            System.out.printf("HF reference sensitivity: llama3 case with plain RoPE %.3g, llama-tied with θ 10000 "
                    + "%.3g%n", unscaled, wrongTheta);
        }
    }

    /**
     * The linear-RoPE and sliding-window cases must depend on those parameters: plain RoPE in place of linear
     * scaling, or full attention in place of the 4-position window over 12 tokens, must miss the reference.
     */
    @Test
    void theScalingAndWindowCasesDependOnTheirParameters() {
        Case linear = Case.load("llama-linear-rope");
        try (Model m = Model.open(linear.dir()); Kernels k = new ScalarKernels()) {
            assertNotEquals(RopeScaling.NONE, m.config().ropeScaling());
            Transformer plain = Transformer.load(m.family(), m.config().withRopeScaling(RopeScaling.NONE),
                    m.weights(), k, m.file());
            double err = worstError(linear, plain.forward(plain.newCache(12), linear.tokens(), true));
            assertTrue(err > 1e-2, "linear RoPE case without its scaling: " + err);
            System.out.printf("HF reference sensitivity: llama-linear-rope with plain RoPE %.3g%n", err);
        }
        for (String name : List.of("mistral-sliding-window", "qwen2-sliding-window")) {
            Case c = Case.load(name);
            try (Model m = Model.open(c.dir()); Kernels k = new ScalarKernels()) {
                assertEquals(4, m.config().slidingWindow(), name);
                Transformer full = Transformer.load(m.family(), m.config().withSlidingWindow(0), m.weights(), k,
                        m.file());
                double err = worstError(c, full.forward(full.newCache(12), c.tokens(), true));
                assertTrue(err > 1e-2, name + " without its window: " + err);
                System.out.printf("HF reference sensitivity: %s with full attention %.3g%n", name, err);
            }
        }
    }

    /**
     * The cases of a block variant must depend on it: the same checkpoint run with the base family's block (the
     * residual taken from the norm's input, BLOOM's unscaled ALiBi, the parallel block) must miss the reference.
     */
    @Test
    void theBlockVariantCasesDependOnTheirVariant() {
        Model rw = Model.open(root().resolve("falcon-rw-style"));
        rw.close();
        assertEquals(com.seedsq.engine.model.PositionKind.ALIBI_FALCON, rw.family().positions());
        for (var e : Map.of("bloom-post-ln-residual", com.seedsq.engine.model.Families.BLOOM,
                // BLOOM's ALiBi (bias added after the 1/sqrt(d) scale) in place of Falcon's
                "falcon-rw-style", rw.family().withPositions(com.seedsq.engine.model.PositionKind.ALIBI),
                // the parallel block in place of the sequential one
                "falcon-rw-style ", rw.family().withParallelAttention(true, rw.family().smoothing())).entrySet()) {
            Case c = Case.load(e.getKey().strip());
            try (Model m = Model.open(c.dir()); Kernels k = new ScalarKernels()) {
                assertNotEquals(e.getValue(), m.family());
                Transformer base = Transformer.load(e.getValue(), m.config(), m.weights(), k, m.file());
                if (EAGER_FALCON_ALIBI_TWICE.equals(c.name())) {
                    base.scaleAlibiSlopes(2); // as matchesTransformers runs it
                }
                double err = worstError(c, base.forward(base.newCache(12), c.tokens(), true));
                assertTrue(err > 1e-2, e.getKey() + " run as " + e.getValue().name() + ": " + err);
                System.out.printf("HF reference sensitivity: %s with the base block %.3g%n", e.getKey(), err);
            }
        }
    }

    /**
     * The engine as it runs Falcon-RW (ALiBi once, as SDPA and the original model) misses transformers' eager logits,
     * which add it twice; with doubled slopes it matches them ({@link #matchesTransformers}).
     */
    @Test
    void falconRwDiffersFromEagerTransformersOnlyByTheDoubledAlibi() {
        Case c = Case.load(EAGER_FALCON_ALIBI_TWICE);
        try (Model m = Model.open(c.dir()); Kernels k = new ScalarKernels()) {
            Transformer once = Transformer.of(m, k);
            double err = worstError(c, once.forward(once.newCache(12), c.tokens(), true));
            assertTrue(err > 1e-2, "falcon-rw with ALiBi once should miss the eager reference: " + err);
            System.out.printf("HF reference: falcon-rw-style with ALiBi once (SDPA semantics) vs eager %.3g%n", err);
        }
    }

    /** Worst {@code |a - b| / max(1, |ref|)} over all rows of {@code got} ([rows, vocab]); NaN counts as infinite. */
    static double worstError(Case c, float[] got) {
        double worst = 0;
        for (int i = 0; i < c.tokens().length; i++) {
            for (int j = 0; j < c.vocab(); j++) {
                double err = Math.abs((double) got[i * c.vocab() + j] - c.logits()[i][j])
                        / Math.max(1, Math.abs(c.logits()[i][j]));
                worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : Math.max(worst, err);
            }
        }
        return worst;
    }

    /** Worst scaled error of {@code got} ([rows, vocab]) against the reference; fails beyond the tolerance. */
    static double compare(Case c, float[] got, String what) {
        assertEquals(c.tokens().length * c.vocab(), got.length, what + ": logits length");
        double worst = 0;
        int wi = -1, wj = -1;
        for (int i = 0; i < c.tokens().length; i++) {
            for (int j = 0; j < c.vocab(); j++) {
                float ref = c.logits()[i][j], a = got[i * c.vocab() + j];
                double err = Math.abs((double) a - ref) / Math.max(1, Math.abs(ref));
                if (!(err <= worst)) { // NaN counts as the worst
                    worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                    wi = i;
                    wj = j;
                }
            }
        }
        if (worst > TOLERANCE) {
            fail(String.format("%s: worst |a-b|/max(1,|ref|) %.3g > %.0e at position %d, token %d: engine %s, "
                            + "transformers %s", what, worst, TOLERANCE, wi, wj, got[wi * c.vocab() + wj],
                    c.logits()[wi][wj]));
        }
        return worst;
    }
}
