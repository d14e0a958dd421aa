package com.seedsq.engine.forward;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.kernel.Kernels;
import com.seedsq.engine.kernel.Matrix;
import com.seedsq.engine.model.MlpKind;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.ModelFamily;
import com.seedsq.engine.model.NormKind;
import com.seedsq.engine.model.NormPlacement;
import com.seedsq.engine.model.PositionKind;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.tensor.TensorData;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntConsumer;

import static com.seedsq.engine.model.TensorRole.*;

/**
 * The forward pass, FP32 compute, for any {@link ModelFamily} description: it reads the family's blocks (norm kind
 * and placement, positions, MLP kind, parallel attention) rather than hard-coding LLaMA.
 *
 * <p>{@link #forward} takes a batch of consecutive tokens: many for prefill (every matmul then sees m rows, which is
 * what makes prefill fast), one for decode. Weights stay where the loader put them (memory-mapped); the only heap
 * copies are norm weights and biases.
 */
public final class Transformer {

    /** One block's weights; biases and unused roles are null. */
    record Layer(float[] attnNorm, float[] attnNormBias, Matrix q, float[] qBias, Matrix k, float[] kBias,
                 Matrix v, float[] vBias, Matrix o, float[] oBias, float[] ffnNorm, float[] ffnNormBias,
                 Matrix gate, Matrix up, float[] upBias, Matrix down, float[] downBias,
                 Matrix router, Matrix[] expertGate, Matrix[] expertUp, Matrix[] expertDown) {
    }

    /**
     * What sits between the last block and the logits: an optional final norm (pre-LN decoders), an optional
     * prediction-head transform (BERT MLM: dense, activation, LayerNorm), the classifier and its optional bias.
     */
    record Head(float[] finalNorm, float[] finalNormBias, Matrix transform, float[] transformBias, float[] norm,
                float[] normBias, Matrix projectOut, Matrix classifier, float[] bias) {
    }

    /** Multiply-adds below which attention stays on the calling thread. */
    private static final long PARALLEL_ATTENTION_MIN_WORK = 1L << 15;
    /** Queries per work item of prefill attention, and the fewest rows that take that path. */
    private static final int ATTENTION_BLOCK = 16, ATTENTION_BLOCK_MIN_ROWS = 4;
    /** Per-thread attention score rows, reused across calls (one per (token, head) item would churn the GC). */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[256]);

    private final ModelFamily family;
    private final ModelConfig config;
    private final Kernels kernels;
    private final Matrix embed;
    private final Matrix positionEmbed;
    /** OPT-350m's projection from the narrower word embedding up to the hidden size, or null. */
    private Matrix projectIn;
    /** BERT's embedding extras, null elsewhere: token type 0's row, and the LayerNorm over the summed embeddings. */
    private final float[] tokenType0, embedNorm, embedNormBias;
    private final Layer[] layers;
    private final Head head;
    /** ALiBi's per-head slopes, or null. */
    private float[] alibiSlopes;
    /** RoPE's inverse frequencies (θ with the config's scaling), one per rotated pair; null without RoPE. */
    private final float[] ropeInvFreq;

    private Transformer(ModelFamily family, ModelConfig config, Kernels kernels, Matrix embed, Matrix positionEmbed,
                        float[] tokenType0, float[] embedNorm, float[] embedNormBias, Layer[] layers, Head head) {
        this.family = family;
        this.config = config;
        this.kernels = kernels;
        this.embed = embed;
        this.positionEmbed = positionEmbed;
        this.tokenType0 = tokenType0;
        this.embedNorm = embedNorm;
        this.embedNormBias = embedNormBias;
        this.layers = layers;
        this.head = head;
        PositionKind pk = family.positions();
        this.ropeInvFreq = pk == PositionKind.ROPE_INTERLEAVED || pk == PositionKind.ROPE_HALVES
                ? config.ropeInverseFrequencies() : null;
    }

    public static Transformer of(Model model, Kernels kernels) {
        return load(model.family(), model.config(), model.weights(), kernels, model.file());
    }

    /** Binds a family's tensors from {@code weights}, checking every shape against {@code config} up front. */
    public static Transformer load(ModelFamily family, ModelConfig config, WeightSource weights, Kernels kernels,
                                   Path file) {
        if (family.mlp() == MlpKind.MOE && config.experts() == 0) {
            throw new IllegalArgumentException(family.name() + ": a mixture-of-experts family needs a config with "
                    + "experts");
        }
        Binder b = new Binder(family, weights, file);
        int d = config.hiddenSize(), qd = config.qDim(), kvd = config.kvDim(), ff = config.intermediateSize();
        Layer[] layers = new Layer[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            boolean swiglu = family.mlp() == MlpKind.SWIGLU, moe = family.mlp() == MlpKind.MOE;
            int experts = moe ? config.experts() : 0;
            Matrix[] eGate = new Matrix[experts], eUp = new Matrix[experts], eDown = new Matrix[experts];
            for (int e = 0; e < experts; e++) {
                eGate[e] = b.matrix(EXPERT_GATE, l, e, ff, d);
                eUp[e] = b.matrix(EXPERT_UP, l, e, ff, d);
                eDown[e] = b.matrix(EXPERT_DOWN, l, e, d, ff);
            }
            layers[l] = new Layer(
                    b.vector(ATTN_NORM, l, d, true), b.vector(ATTN_NORM_BIAS, l, d, false),
                    b.matrix(Q, l, qd, d, true), b.vector(Q_BIAS, l, qd, false),
                    b.matrix(K, l, kvd, d, true), b.vector(K_BIAS, l, kvd, false),
                    b.matrix(V, l, kvd, d, true), b.vector(V_BIAS, l, kvd, false),
                    b.matrix(O, l, d, qd, true), b.vector(O_BIAS, l, d, false),
                    // parallel attention: one shared norm (Falcon-7B) or a second one for the MLP (NeoX, Falcon-40B)
                    b.vector(FFN_NORM, l, d, !family.parallelAttention()),
                    b.vector(FFN_NORM_BIAS, l, d, false),
                    swiglu ? b.matrix(GATE, l, ff, d, true) : null,
                    moe ? null : b.matrix(UP, l, ff, d, true), b.vector(UP_BIAS, l, ff, false),
                    moe ? null : b.matrix(DOWN, l, d, ff, true), b.vector(DOWN_BIAS, l, d, false),
                    moe ? b.matrix(ROUTER, l, experts, d, true) : null, eGate, eUp, eDown);
        }
        // the word embedding is narrower than the hidden size when project_in maps it up (OPT-350m)
        int e = family.has(PROJECT_IN) ? b.columns(PROJECT_IN) : d;
        Matrix embed = b.matrix(EMBED, -1, config.vocabSize(), e, true);
        Matrix pos = family.positions() == PositionKind.LEARNED
                ? b.matrix(POSITION_EMBED, -1, config.maxSeq(), d, true) : null;
        Matrix classifier = config.tiedEmbeddings() ? embed : b.matrix(LM_HEAD, -1, config.vocabSize(), e, true);
        boolean transform = family.has(HEAD_TRANSFORM);
        Head head = new Head(b.vector(FINAL_NORM, -1, d, family.has(FINAL_NORM)),
                b.vector(FINAL_NORM_BIAS, -1, d, false),
                transform ? b.matrix(HEAD_TRANSFORM, -1, d, d, true) : null,
                b.vector(HEAD_TRANSFORM_BIAS, -1, d, false),
                transform ? b.vector(HEAD_NORM, -1, d, true) : null, b.vector(HEAD_NORM_BIAS, -1, d, false),
                family.has(PROJECT_OUT) ? b.matrix(PROJECT_OUT, -1, e, d, true) : null, classifier, b.vector(LM_HEAD_BIAS, -1, config.vocabSize(), false));
        Transformer t = new Transformer(family, config, kernels, embed, pos,
                family.has(TOKEN_TYPE_EMBED) ? b.firstRow(TOKEN_TYPE_EMBED, d) : null,
                b.vector(EMBED_NORM, -1, d, family.has(EMBED_NORM)), b.vector(EMBED_NORM_BIAS, -1, d, false),
                layers, head);
        t.projectIn = family.has(PROJECT_IN) ? b.matrix(PROJECT_IN, -1, d, e, true) : null;
        if (family.positions() == PositionKind.ALIBI) {
            t.alibiSlopes = alibiSlopes(config.heads());
        } else if (family.positions() == PositionKind.ALIBI_FALCON) { // slopes[..., None].bfloat16() * positions
            t.alibiSlopes = alibiSlopes(config.heads());
            for (int h = 0; h < t.alibiSlopes.length; h++) {
                t.alibiSlopes[h] = bfloat16(t.alibiSlopes[h]);
            }
        }
        return t;
    }

    /**
     * ALiBi's head slopes (Press et al.; BLOOM's build_alibi_tensor): for n a power of two, {@code 2^(-8i/n)},
     * i = 1..n; otherwise those of the largest power of two below n, then every other slope of twice that many.
     */
    static float[] alibiSlopes(int heads) {
        int closest = Integer.highestOneBit(heads);
        float[] s = new float[heads];
        double base = Math.pow(2, -8.0 / closest);
        for (int i = 0; i < closest; i++) {
            s[i] = (float) Math.pow(base, i + 1);
        }
        double extraBase = Math.pow(2, -4.0 / closest);
        for (int i = closest; i < heads; i++) {
            s[i] = (float) Math.pow(extraBase, 2 * (i - closest) + 1);
        }
        return s;
    }

    /**
     * Multiplies the ALiBi slopes by {@code factor}, for tests only: transformers' eager Falcon attention adds ALiBi
     * twice (see HfTransformersReferenceTest), which slopes times 2 reproduce exactly (a power of two commutes with
     * the bfloat16 rounding).
     */
    void scaleAlibiSlopes(float factor) {
        for (int h = 0; h < alibiSlopes.length; h++) {
            alibiSlopes[h] *= factor;
        }
    }

    /** {@code v} rounded to the nearest bfloat16 (ties to even), as torch rounds a float32 result to bfloat16. */
    static float bfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    /** Looks tensors up by role and checks their shapes, so a wrong checkpoint fails naming the tensor. */
    private record Binder(ModelFamily family, WeightSource weights, Path file) {

        private String name(TensorRole role, int layer) {
            return role.perLayer() ? family.tensorName(role, layer) : family.tensorName(role);
        }

        private TensorData find(TensorRole role, int layer, boolean required) {
            String name = name(role, layer);
            if (name == null || !weights.has(name)) {
                if (required) {
                    throw new ModelFormatException(file, name == null ? role.toString() : name,
                            "missing: family " + family.name() + " needs it");
                }
                return null;
            }
            return weights.tensor(name);
        }

        /** One expert's matrix (required). */
        Matrix matrix(TensorRole role, int layer, int expert, int rows, int cols) {
            String name = family.tensorName(role, layer, expert);
            if (name == null || !weights.has(name)) {
                throw new ModelFormatException(file, name == null ? role.toString() : name,
                        "missing: family " + family.name() + " needs it");
            }
            return checked(weights.tensor(name), rows, cols);
        }

        Matrix matrix(TensorRole role, int layer, int rows, int cols, boolean required) {
            TensorData t = find(role, layer, required);
            if (t == null) {
                return null;
            }
            return checked(t, rows, cols);
        }

        private Matrix checked(TensorData t, int rows, int cols) {
            if (!Arrays.equals(t.shape(), new long[]{rows, cols})) {
                throw new ModelFormatException(file, t.name(), "shape " + Arrays.toString(t.shape())
                        + ", expected [" + rows + ", " + cols + "] from the model config");
            }
            return Matrix.of(t);
        }

        /** The column count of a required [rows, cols] tensor whose width the config does not fix. */
        int columns(TensorRole role) {
            TensorData t = find(role, -1, true);
            if (t.shape().length != 2) {
                throw new ModelFormatException(file, t.name(), "shape " + Arrays.toString(t.shape())
                        + ", expected a matrix");
            }
            return Math.toIntExact(t.shape()[1]);
        }

        /** Row 0 of a [rows, cols] table whose row count the config does not fix (BERT's token types). */
        float[] firstRow(TensorRole role, int cols) {
            TensorData t = find(role, -1, true);
            long[] s = t.shape();
            if (s.length != 2 || s[1] != cols || s[0] < 1) {
                throw new ModelFormatException(file, t.name(), "shape " + Arrays.toString(s)
                        + ", expected [types, " + cols + "] from the model config");
            }
            float[] row = new float[cols];
            Matrix.of(t).row(0, row, 0);
            return row;
        }

        float[] vector(TensorRole role, int layer, int size, boolean required) {
            TensorData t = find(role, layer, required);
            if (t == null) {
                return null;
            }
            if (t.elementCount() != size) {
                throw new ModelFormatException(file, t.name(), "has " + t.elementCount() + " elements, expected "
                        + size + " from the model config");
            }
            return t.toFloatArray();
        }
    }

    public ModelConfig config() {
        return config;
    }

    public ModelFamily family() {
        return family;
    }

    public Kernels kernels() {
        return kernels;
    }

    public KvCache newCache(int capacity) {
        return new KvCache(config.layers(), Math.min(capacity, config.maxSeq()), config.kvDim());
    }

    public KvCache newCache() {
        return newCache(config.maxSeq());
    }

    /**
     * Runs {@code tokens} at positions {@code cache.length()...}, appends their keys and values to the cache and
     * returns logits: [tokens.length, vocab] row-major when {@code allLogits}, else only the last row [vocab].
     */
    public float[] forward(KvCache cache, int[] tokens, boolean allLogits) {
        return forward(cache, tokens, allLogits ? null : new int[]{tokens.length - 1});
    }

    /**
     * As above, returning logits only for the given rows of this batch ([logitRows.length, vocab]; null: every row):
     * a masked LM needs the classifier, its most expensive matmul, only at the masked positions.
     */
    public float[] forward(KvCache cache, int[] tokens, int[] logitRows) {
        int m = tokens.length, d = config.hiddenSize(), start = cache.length();
        if (m == 0) {
            throw new IllegalArgumentException("no tokens");
        }
        if (start + m > cache.capacity()) {
            throw new IllegalArgumentException("sequence of " + (start + m) + " exceeds the cache capacity "
                    + cache.capacity());
        }
        float[] x = embed(tokens, start);
        for (int l = 0; l < layers.length; l++) {
            block(l, layers[l], cache, x, m, start);
        }
        cache.advance(m);

        int rows = logitRows == null ? m : logitRows.length;
        float[] h = x;
        if (logitRows != null) {
            h = new float[rows * d];
            for (int r = 0; r < rows; r++) {
                if (logitRows[r] < 0 || logitRows[r] >= m) {
                    throw new IllegalArgumentException("logit row " + logitRows[r] + " outside the batch of " + m);
                }
                System.arraycopy(x, logitRows[r] * d, h, r * d, d);
            }
        }
        return logits(h, rows);
    }

    /** The head over hidden rows {@code h} [rows, d] (not modified when it is the residual stream). */
    private float[] logits(float[] h, int rows) {
        int d = config.hiddenSize(), vocab = config.vocabSize();
        if (head.finalNorm() != null) {
            float[] normed = new float[rows * d];
            norm(normed, h, head.finalNorm(), head.finalNormBias(), rows);
            h = normed;
        }
        if (head.transform() != null) {
            h = linear(h, rows, head.transform(), head.transformBias());
            activate(h, rows * d);
            norm(h, h, head.norm(), head.normBias(), rows);
        }
        if (head.projectOut() != null) {
            h = linear(h, rows, head.projectOut(), null);
        }
        float[] logits = new float[rows * vocab];
        kernels.matmul(h, rows, head.classifier(), logits);
        if (head.bias() != null) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < vocab; j++) {
                    logits[r * vocab + j] += head.bias()[j];
                }
            }
        }
        return logits;
    }

    /**
     * The residual stream [m, d] entering the first block for {@code tokens} at positions {@code start...}. With
     * {@link #layer} it lets a caller walk the model layer by layer (calibration: every sequence through layer i,
     * then layer i+1), holding hidden states instead of weights.
     */
    public float[] embed(int[] tokens, int start) {
        int m = tokens.length, d = config.hiddenSize();
        float[] x = new float[m * d];
        int e = embed.cols();
        float[] words = projectIn == null ? x : new float[m * e];
        for (int i = 0; i < m; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
            embed.row(tokens[i], words, i * e);
        }
        if (projectIn != null) {
            kernels.matmul(words, m, projectIn, x);
        }
        for (int i = 0; i < m; i++) {
            if (positionEmbed != null) {
                for (int c = 0; c < d; c++) {
                    x[i * d + c] += positionEmbed.get(start + i, c);
                }
            }
            if (tokenType0 != null) {
                for (int c = 0; c < d; c++) {
                    x[i * d + c] += tokenType0[c];
                }
            }
        }
        if (embedNorm != null) {
            norm(x, x, embedNorm, embedNormBias, m);
        }
        return x;
    }

    /**
     * Runs block {@code l} over the residual stream {@code x} [m, d] in place, for tokens at positions
     * {@code start...}, writing their keys and values into layer {@code l} of {@code cache} (whose length the
     * caller manages: {@link #forward} advances it after the last layer).
     */
    public void layer(int l, KvCache cache, float[] x, int m, int start) {
        if (start + m > cache.capacity()) {
            throw new IllegalArgumentException("sequence of " + (start + m) + " exceeds the cache capacity "
                    + cache.capacity());
        }
        block(l, layers[l], cache, x, m, start);
    }

    /** One transformer block, updating the residual stream {@code x} [m, d] in place. */
    private void block(int l, Layer w, KvCache cache, float[] x, int m, int start) {
        int d = config.hiddenSize();
        float[] h = new float[m * d];
        if (family.normPlacement() == NormPlacement.PRE) {
            norm(h, x, w.attnNorm(), w.attnNormBias(), m);
            float[] attn = attention(l, w, cache, h, m, start);
            if (family.parallelAttention()) {
                float[] mlpIn = h; // one shared norm: both branches read the same normed input
                if (w.ffnNorm() != null) {
                    mlpIn = new float[m * d];
                    norm(mlpIn, x, w.ffnNorm(), w.ffnNormBias(), m);
                }
                float[] mlp = mlp(w, mlpIn, m);
                for (int i = 0; i < x.length; i++) {
                    x[i] += attn[i] + mlp[i];
                }
                return;
            }
            add(x, attn);
            norm(h, x, w.ffnNorm(), w.ffnNormBias(), m);
            add(x, mlp(w, h, m));
        } else if (family.normPlacement() == NormPlacement.PRE_NORMED_RESIDUAL) {
            // BLOOM's apply_residual_connection_post_layernorm: the residual is the norm's output, not its input
            norm(h, x, w.attnNorm(), w.attnNormBias(), m);
            float[] attn = attention(l, w, cache, h, m, start);
            for (int i = 0; i < x.length; i++) {
                x[i] = h[i] + attn[i];
            }
            norm(h, x, w.ffnNorm(), w.ffnNormBias(), m);
            float[] mlp = mlp(w, h, m);
            for (int i = 0; i < x.length; i++) {
                x[i] = h[i] + mlp[i];
            }
        } else { // POST (BERT): norm after each residual add
            residualNorm(x, attention(l, w, cache, x, m, start), w.attnNorm(), w.attnNormBias(), m);
            residualNorm(x, mlp(w, x, m), w.ffnNorm(), w.ffnNormBias(), m);
        }
    }

    private float[] attention(int l, Layer w, KvCache cache, float[] h, int m, int start) {
        int qd = config.qDim(), kvd = config.kvDim(), hd = config.headDim();
        int heads = config.heads(), group = config.groupSize();
        float[] q = new float[m * qd], k = new float[m * kvd], v = new float[m * kvd];
        // one call for the three: the kernels may share the input's preparation across them (Kernels.linears)
        kernels.linears(h, m, new Matrix[]{w.q(), w.k(), w.v()}, new float[][]{w.qBias(), w.kBias(), w.vBias()},
                new float[][]{q, k, v});
        PositionKind pk = family.positions();
        if (ropeInvFreq != null) {
            kernels.rope(q, m, qd, heads, hd, start, ropeInvFreq, pk);
            kernels.rope(k, m, kvd, config.kvHeads(), hd, start, ropeInvFreq, pk);
        }
        float[] keys = cache.keys[l], values = cache.values[l];
        int capacity = cache.capacity();
        // transposed (see KvCache), in tiles of 16 channels: 16 write streams along the positions, instead of every
        // write landing on another cache line; the tiles over the pool in prefill (BERT-base: ~2 ms a forward on one
        // thread)
        IntConsumer keyTile = tile -> {
            int c0 = tile * 16, c1 = Math.min(kvd, c0 + 16);
            for (int i = 0; i < m; i++) {
                for (int c = c0; c < c1; c++) {
                    keys[c * capacity + start + i] = k[i * kvd + c];
                }
            }
        };
        int keyTiles = (kvd + 15) / 16;
        if ((long) m * kvd < PARALLEL_ATTENTION_MIN_WORK) {
            for (int tile = 0; tile < keyTiles; tile++) {
                keyTile.accept(tile);
            }
        } else {
            kernels.parallelFor(keyTiles, keyTile);
        }
        System.arraycopy(v, 0, values, start * kvd, m * kvd);

        float[] out = new float[m * qd];
        float scale = (float) (1.0 / Math.sqrt(hd));
        int visibleAll = start + m, window = config.slidingWindow();
        if (m >= ATTENTION_BLOCK_MIN_ROWS) {
            blockedAttention(q, keys, values, capacity, out, m, start, scale, window);
            return linear(out, m, w.o(), w.oBias());
        }
        // one work item per (token, head): enough items to keep every core busy even when decoding one token;
        // tiny attention (small models, short contexts) is cheaper than handing work to other threads
        IntConsumer perItem = item -> {
            int i = item / heads, head = item % heads;
            int kvHead = head / group;
            int end = family.causal() ? start + i + 1 : visibleAll;
            // a sliding window (Mistral) keeps the latest `window` positions, the query's own included
            int first = window > 0 && family.causal() ? Math.max(0, start + i + 1 - window) : 0;
            int visible = end - first;
            float[] scores = SCORES.get();
            if (scores.length < visible) {
                scores = new float[Math.max(visible, 256)];
                SCORES.set(scores);
            }
            int qo = i * qd + head * hd;
            // scores[t - first] = scale * q . key[t], accumulated one head dimension at a time along t
            Arrays.fill(scores, 0, visible, 0f);
            for (int dd = 0; dd < hd; dd++) {
                kernels.axpy(q[qo + dd] * scale, keys, (kvHead * hd + dd) * capacity + first, scores, 0, visible);
            }
            if (alibiSlopes != null && pk == PositionKind.ALIBI_FALCON) {
                // Falcon: (q.k + bf16(slope * t)) / sqrt(hd), the bias rounded per key position as HF builds it
                float slope = alibiSlopes[head];
                for (int t = 0; t < visible; t++) {
                    scores[t] += scale * bfloat16(slope * (first + t));
                }
            } else if (alibiSlopes != null) {
                // slope * (t - position): softmax ignores the per-row shift, so this equals BLOOM's slope * t
                float slope = alibiSlopes[head];
                for (int t = 0; t < visible; t++) {
                    scores[t] += slope * (first + t - (start + i));
                }
            }
            kernels.softmax(scores, 0, visible);
            for (int t = 0; t < visible; t++) {
                kernels.axpy(scores[t], values, (first + t) * kvd + kvHead * hd, out, qo, hd);
            }
        };
        if ((long) m * heads * visibleAll * hd < PARALLEL_ATTENTION_MIN_WORK) {
            for (int item = 0; item < m * heads; item++) {
                perItem.accept(item);
            }
        } else {
            kernels.parallelFor(m * heads, perItem);
        }
        return linear(out, m, w.o(), w.oBias());
    }

    /**
     * Prefill attention in blocks of {@value #ATTENTION_BLOCK} queries of one head, as two small matrix products
     * ({@link Kernels#gemmNN}): scores = scale · Q·Kᵀ over the keys any query of the block sees, then each row's
     * own window (causal end, sliding start) is softmaxed and the rest zeroed, then out = P·V. Register-blocked
     * products instead of an axpy per head dimension took BERT-base's attention from ~34 ms to ~4 ms per forward
     * (engine README). Decode (fewer rows) keeps the per-query loop below.
     */
    private void blockedAttention(float[] q, float[] keys, float[] values, int capacity, float[] out, int m,
                                  int start, float scale, int window) {
        int qd = config.qDim(), kvd = config.kvDim(), hd = config.headDim();
        int heads = config.heads(), group = config.groupSize();
        int blocks = (m + ATTENTION_BLOCK - 1) / ATTENTION_BLOCK;
        PositionKind pk = family.positions();
        IntConsumer perItem = item -> {
            int head = item % heads, i0 = item / heads * ATTENTION_BLOCK;
            int rows = Math.min(ATTENTION_BLOCK, m - i0), kvHead = head / group;
            // keys [lo, hi) cover every row's window; first and end never decrease along the rows
            int lo = firstVisible(start + i0, window), hi = endVisible(start + i0 + rows - 1, start + m);
            int width = hi - lo;
            float[] p = SCORES.get();
            if (p.length < rows * width) {
                p = new float[Math.max(rows * width, 256)];
                SCORES.set(p);
            }
            kernels.gemmNN(q, i0 * qd + head * hd, qd, keys, kvHead * hd * capacity + lo, capacity, p, 0, width,
                    rows, width, hd, scale);
            for (int r = 0; r < rows; r++) {
                int pos = start + i0 + r, row = r * width;
                int first = firstVisible(pos, window) - lo, end = endVisible(pos, start + m) - lo;
                if (alibiSlopes != null) {
                    float slope = alibiSlopes[head];
                    for (int t = first; t < end; t++) {
                        p[row + t] += pk == PositionKind.ALIBI_FALCON
                                ? scale * bfloat16(slope * (lo + t)) // see the per-query loop
                                : slope * (lo + t - pos);
                    }
                }
                Arrays.fill(p, row, row + first, 0f);
                kernels.softmax(p, row + first, end - first);
                Arrays.fill(p, row + end, row + width, 0f);
            }
            kernels.gemmNN(p, 0, width, values, lo * kvd + kvHead * hd, kvd, out, i0 * qd + head * hd, qd, rows, hd,
                    width, 1f);
        };
        if ((long) m * heads * (start + m) * hd < PARALLEL_ATTENTION_MIN_WORK) {
            for (int item = 0; item < blocks * heads; item++) {
                perItem.accept(item);
            }
        } else {
            kernels.parallelFor(blocks * heads, perItem);
        }
    }

    /** The first key position a query at {@code pos} sees: 0, or the start of its sliding window (causal only). */
    private int firstVisible(int pos, int window) {
        return window > 0 && family.causal() ? Math.max(0, pos + 1 - window) : 0;
    }

    /** One past the last key position a query at {@code pos} sees, with {@code filled} positions in the cache. */
    private int endVisible(int pos, int filled) {
        return family.causal() ? pos + 1 : filled;
    }

    private float[] mlp(Layer w, float[] h, int m) {
        if (family.mlp() == MlpKind.MOE) {
            return experts(w, h, m);
        }
        int ff = config.intermediateSize();
        float[] up = linear(h, m, w.up(), w.upBias());
        float[] act = up;
        if (family.mlp() == MlpKind.SWIGLU) {
            act = linear(h, m, w.gate(), null);
            kernels.swiglu(act, up, m * ff);
        } else {
            activate(up, m * ff);
        }
        return linear(act, m, w.down(), w.downBias());
    }

    /**
     * Mixtral's sparse MLP: each token goes to the {@code expertsPerToken} experts with the largest router logits,
     * weighted by the softmax over those logits (HF's softmax over all experts, then top-k renormalised, is the same
     * thing). Each expert runs once over the rows routed to it, so prefill keeps batched matmuls.
     */
    private float[] experts(Layer w, float[] h, int m) {
        int d = config.hiddenSize(), ff = config.intermediateSize();
        int experts = config.experts(), k = config.expertsPerToken();
        float[] logits = linear(h, m, w.router(), null);
        int[][] chosen = new int[m][k];
        float[][] weight = new float[m][k];
        for (int i = 0; i < m; i++) {
            boolean[] taken = new boolean[experts];
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (!taken[e] && (best < 0 || logits[i * experts + e] > logits[i * experts + best])) {
                        best = e;
                    }
                }
                taken[best] = true;
                chosen[i][j] = best;
                weight[i][j] = logits[i * experts + best];
            }
            kernels.softmax(weight[i], 0, k);
        }
        float[] out = new float[m * d];
        for (int e = 0; e < experts; e++) {
            int[] rows = new int[m];
            float[] rowWeight = new float[m];
            int n = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) {
                    if (chosen[i][j] == e) {
                        rows[n] = i;
                        rowWeight[n++] = weight[i][j];
                    }
                }
            }
            if (n == 0) {
                continue;
            }
            float[] xe = new float[n * d];
            for (int r = 0; r < n; r++) {
                System.arraycopy(h, rows[r] * d, xe, r * d, d);
            }
            float[] gate = linear(xe, n, w.expertGate()[e], null);
            kernels.swiglu(gate, linear(xe, n, w.expertUp()[e], null), n * ff);
            float[] y = linear(gate, n, w.expertDown()[e], null);
            for (int r = 0; r < n; r++) {
                kernels.axpy(rowWeight[r], y, r * d, out, rows[r] * d, d);
            }
        }
        return out;
    }

    /** The family's elementwise activation in place (also BERT's MLM head transform, which uses hidden_act). */
    private void activate(float[] v, int n) {
        switch (family.mlp()) {
            case GELU -> kernels.gelu(v, n);
            case GELU_TANH -> kernels.geluTanh(v, n);
            case RELU -> kernels.relu(v, n);
            default -> throw new UnsupportedOperationException(family.mlp() + " has no elementwise activation");
        }
    }

    private float[] linear(float[] x, int m, Matrix w, float[] bias) {
        float[] out = new float[m * w.rows()];
        kernels.linear(x, m, w, bias, out);
        return out;
    }

    private void norm(float[] out, float[] x, float[] weight, float[] bias, int m) {
        if (family.norm() == NormKind.RMS) {
            kernels.rmsnorm(out, x, weight, m, config.hiddenSize(), config.normEps());
        } else {
            kernels.layernorm(out, x, weight, bias, m, config.hiddenSize(), config.normEps());
        }
    }

    /** Post-LN: {@code x = norm(x + delta)} in place, in one pass over the rows for LayerNorm. */
    private void residualNorm(float[] x, float[] delta, float[] weight, float[] bias, int m) {
        if (family.norm() == NormKind.LAYER) {
            kernels.addLayernorm(x, delta, weight, bias, m, config.hiddenSize(), config.normEps());
        } else {
            add(x, delta);
            norm(x, x, weight, bias, m);
        }
    }

    private static void add(float[] x, float[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }
}
