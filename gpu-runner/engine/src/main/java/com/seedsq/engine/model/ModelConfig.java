package com.seedsq.engine.model;

import java.util.Map;

/**
 * The numbers of one model. {@code headDim} is usually {@code hiddenSize / heads} but some families decouple it.
 *
 * @param tiedEmbeddings the classifier reuses the token embedding (no LM_HEAD tensor)
 * @param rotaryDim      leading dimensions of each head that RoPE rotates (GPT-NeoX's rotary_pct; else headDim)
 * @param experts        experts per MoE layer (0 without MoE)
 * @param expertsPerToken experts each token is routed to (Mixtral: 2)
 * @param ropeScaling    how RoPE's inverse frequencies are rescaled ({@link RopeScaling#NONE}: plain θ^(-2i/d))
 * @param slidingWindow  each position attends to at most this many latest positions, itself included (Mistral's
 *                       sliding_window); 0: no window
 */
public record ModelConfig(int hiddenSize, int layers, int heads, int kvHeads, int headDim, int intermediateSize,
                          int vocabSize, int maxSeq, float normEps, float ropeTheta, boolean tiedEmbeddings,
                          int rotaryDim, int experts, int expertsPerToken, RopeScaling ropeScaling,
                          int slidingWindow) {

    public ModelConfig {
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " not a multiple of kvHeads " + kvHeads);
        }
        if (rotaryDim < 0 || rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimensions " + rotaryDim + " must be even and at most the head "
                    + "dimension " + headDim);
        }
        if (experts > 0 && (expertsPerToken < 1 || expertsPerToken > experts)) {
            throw new IllegalArgumentException(expertsPerToken + " experts per token out of " + experts);
        }
        if (ropeScaling == null) {
            throw new IllegalArgumentException("ropeScaling is null (RopeScaling.NONE for plain RoPE)");
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding window " + slidingWindow + " < 0");
        }
    }

    /** A dense model with RoPE (if any) over whole heads. */
    public ModelConfig(int hiddenSize, int layers, int heads, int kvHeads, int headDim, int intermediateSize,
                       int vocabSize, int maxSeq, float normEps, float ropeTheta, boolean tiedEmbeddings) {
        this(hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize, maxSeq, normEps, ropeTheta,
                tiedEmbeddings, headDim, 0, 0, RopeScaling.NONE, 0);
    }

    /** The same config with RoPE on the first {@code dims} dimensions of each head. */
    public ModelConfig withRotaryDim(int dims) {
        return new ModelConfig(hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize, maxSeq,
                normEps, ropeTheta, tiedEmbeddings, dims, experts, expertsPerToken, ropeScaling, slidingWindow);
    }

    /** The same config with mixture-of-experts MLPs. */
    public ModelConfig withExperts(int count, int perToken) {
        return new ModelConfig(hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize, maxSeq,
                normEps, ropeTheta, tiedEmbeddings, rotaryDim, count, perToken, ropeScaling, slidingWindow);
    }

    /** The same config with RoPE's frequencies rescaled by {@code scaling}. */
    public ModelConfig withRopeScaling(RopeScaling scaling) {
        return new ModelConfig(hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize, maxSeq,
                normEps, ropeTheta, tiedEmbeddings, rotaryDim, experts, expertsPerToken, scaling, slidingWindow);
    }

    /** The same config with a sliding attention window of {@code window} positions (0: none). */
    public ModelConfig withSlidingWindow(int window) {
        return new ModelConfig(hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize, maxSeq,
                normEps, ropeTheta, tiedEmbeddings, rotaryDim, experts, expertsPerToken, ropeScaling, window);
    }

    /** RoPE's inverse frequencies for pairs 0 .. rotaryDim/2 - 1: θ and {@link #ropeScaling} together. */
    public float[] ropeInverseFrequencies() {
        return ropeScaling.inverseFrequencies(ropeTheta, rotaryDim);
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Query heads per KV head: query head h reads KV head {@code h / groupSize()}. */
    public int groupSize() {
        return heads / kvHeads;
    }

    public AttentionKind attentionKind() {
        return AttentionKind.of(heads, kvHeads);
    }

    /** From a llama2.c checkpoint's metadata; llama2.c hard-codes eps 1e-5 and θ 10000. */
    public static ModelConfig fromLlama2c(Map<String, Object> md) {
        int dim = num(md, "dim"), heads = num(md, "n_heads");
        return new ModelConfig(dim, num(md, "n_layers"), heads, num(md, "n_kv_heads"), dim / heads,
                num(md, "hidden_dim"), num(md, "vocab_size"), num(md, "seq_len"), 1e-5f, 10000f,
                Boolean.TRUE.equals(md.get("shared_classifier")));
    }

    /**
     * From a Hugging Face {@code config.json} of the LLaMA kind (llama, mistral, qwen2). Defaults follow
     * transformers' LlamaConfig: kv heads = heads, head_dim = hidden / heads, θ 10000, untied embeddings. θ and the
     * RoPE scaling come from transformers 5's {@code rope_parameters} or the older {@code rope_theta} /
     * {@code rope_scaling} ({@link RopeScaling#fromHf}: an unsupported rope_type is refused); Mistral's and Qwen2's
     * sliding window from {@link #hfSlidingWindow}.
     */
    public static ModelConfig fromHfConfig(Map<String, Object> cfg) {
        int hidden = num(cfg, "hidden_size"), heads = num(cfg, "num_attention_heads");
        return new ModelConfig(hidden, num(cfg, "num_hidden_layers"), heads,
                numOr(cfg, "num_key_value_heads", heads), numOr(cfg, "head_dim", hidden / heads),
                num(cfg, "intermediate_size"), num(cfg, "vocab_size"), numOr(cfg, "max_position_embeddings", 2048),
                (float) dbl(cfg, "rms_norm_eps", 1e-6), (float) RopeScaling.hfTheta(cfg, 10000),
                Boolean.TRUE.equals(cfg.get("tie_word_embeddings")))
                .withRopeScaling(RopeScaling.fromHf(cfg)).withSlidingWindow(hfSlidingWindow(cfg));
    }

    /**
     * The sliding attention window of an HF config as transformers applies it, 0 for none: {@code sliding_window}
     * (null: none) for mistral and mixtral; for qwen2 only with {@code use_sliding_window} true, on the layers
     * {@code layer_types} marks {@code sliding_attention} (older configs: layers from {@code max_window_layers} on).
     * LlamaConfig has no window, so a llama config's key is ignored as transformers ignores it. One window for
     * every layer is supported; a mix of full and sliding layers is refused.
     */
    static int hfSlidingWindow(Map<String, Object> cfg) {
        String type = String.valueOf(cfg.get("model_type"));
        if ("llama".equals(type) || !(cfg.get("sliding_window") instanceof Number n)) {
            return 0;
        }
        if ("qwen2".equals(type) && !Boolean.TRUE.equals(cfg.get("use_sliding_window"))) {
            return 0;
        }
        int window = n.intValue();
        if (window <= 0 || window != n.doubleValue()) {
            throw new IllegalArgumentException("sliding_window " + n + " is not a positive integer");
        }
        int layers = num(cfg, "num_hidden_layers"), sliding = layers;
        if (cfg.get("layer_types") instanceof java.util.List<?> types) {
            sliding = (int) types.stream().filter("sliding_attention"::equals).count();
        } else if ("qwen2".equals(type)) {
            sliding = Math.max(0, layers - numOr(cfg, "max_window_layers", 0));
        }
        if (sliding == 0) {
            return 0;
        }
        if (sliding != layers) {
            throw new IllegalArgumentException(sliding + " of " + layers + " layers use sliding_window " + window
                    + " and the others full attention: per-layer attention windows are not supported");
        }
        return window;
    }

    /**
     * From GGUF metadata ({@code <arch>.block_count} etc., arch = {@code general.architecture}). The vocabulary
     * size is {@code <arch>.vocab_size} or, as llama.cpp does, the number of tokenizer tokens; without both, the
     * caller takes it from the embedding. RoPE scaling ({@code <arch>.rope.scaling.type} other than none) is refused.
     */
    public static ModelConfig fromGguf(Map<String, Object> md, int vocabFallback) {
        String a = md.get("general.architecture") + ".";
        Object scaling = md.get(a + "rope.scaling.type");
        if (scaling != null && !"none".equals(scaling)
                || md.get(a + "rope.scale_linear") instanceof Number s && s.doubleValue() != 1) {
            throw new IllegalArgumentException("RoPE scaling (" + a + "rope.scaling.type " + scaling + ", "
                    + a + "rope.scale_linear " + md.get(a + "rope.scale_linear")
                    + ") is not supported for GGUF; refusing rather than running plain RoPE");
        }
        int hidden = num(md, a + "embedding_length"), heads = num(md, a + "attention.head_count");
        int vocab = md.get("tokenizer.ggml.tokens") instanceof java.util.List<?> t ? t.size() : vocabFallback;
        return new ModelConfig(hidden, num(md, a + "block_count"), heads,
                numOr(md, a + "attention.head_count_kv", heads), numOr(md, a + "attention.key_length", hidden / heads),
                num(md, a + "feed_forward_length"), numOr(md, a + "vocab_size", vocab),
                numOr(md, a + "context_length", 2048), (float) dbl(md, a + "attention.layer_norm_rms_epsilon", 1e-5),
                (float) dbl(md, a + "rope.freq_base", 10000), false);
    }

    /**
     * OPT ({@code model_type: opt}): ffn_dim, LayerNorm eps 1e-5 (not configurable), classifier tied by default.
     * OPT-350m's projected embeddings (word_embed_proj_dim != hidden_size, project_in/out) and post-LN
     * ({@code do_layer_norm_before: false}) are the family's business ({@code Families.opt}); the embedding width
     * is read from project_in's shape.
     */
    public static ModelConfig fromOpt(Map<String, Object> cfg) {
        int hidden = num(cfg, "hidden_size"), heads = num(cfg, "num_attention_heads");
        if (numOr(cfg, "word_embed_proj_dim", hidden) <= 0) {
            throw new IllegalArgumentException("word_embed_proj_dim " + cfg.get("word_embed_proj_dim")
                    + " is not positive");
        }
        return new ModelConfig(hidden, num(cfg, "num_hidden_layers"), heads, heads, hidden / heads,
                num(cfg, "ffn_dim"), num(cfg, "vocab_size"), numOr(cfg, "max_position_embeddings", 2048), 1e-5f, 0f,
                !Boolean.FALSE.equals(cfg.get("tie_word_embeddings")));
    }

    /** GPT-2: n_embd, n_layer, n_head, n_inner (null: 4 n_embd), n_positions; always tied. */
    public static ModelConfig fromGpt2(Map<String, Object> cfg) {
        int hidden = num(cfg, "n_embd"), heads = num(cfg, "n_head");
        for (String unsupported : new String[]{"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"}) {
            if (Boolean.TRUE.equals(cfg.get(unsupported))) {
                throw new IllegalArgumentException(unsupported + " true is not supported");
            }
        }
        return new ModelConfig(hidden, num(cfg, "n_layer"), heads, heads, hidden / heads,
                numOr(cfg, "n_inner", 4 * hidden), num(cfg, "vocab_size"), numOr(cfg, "n_positions", 1024),
                (float) dbl(cfg, "layer_norm_epsilon", 1e-5), 0f, true);
    }

    /**
     * GPT-NeoX: a fraction of each head rotated (default 0.25: transformers 5's
     * {@code rope_parameters.partial_rotary_factor}, else {@code partial_rotary_factor}, else the older
     * {@code rotary_pct}), θ from {@code rope_parameters.rope_theta}, else {@code rotary_emb_base}, else
     * {@code rope_theta}; RoPE scaling as {@link RopeScaling#fromHf}; untied.
     */
    public static ModelConfig fromGptNeox(Map<String, Object> cfg) {
        int hidden = num(cfg, "hidden_size"), heads = num(cfg, "num_attention_heads"), hd = hidden / heads;
        double theta = RopeScaling.hfRopeParameters(cfg).get("rope_theta") instanceof Number n ? n.doubleValue()
                : dbl(cfg, "rotary_emb_base", dbl(cfg, "rope_theta", 10000));
        double pct = RopeScaling.hfRopeParameters(cfg).get("partial_rotary_factor") instanceof Number n
                ? n.doubleValue() : dbl(cfg, "partial_rotary_factor", dbl(cfg, "rotary_pct", 0.25));
        return new ModelConfig(hidden, num(cfg, "num_hidden_layers"), heads, heads, hd,
                num(cfg, "intermediate_size"), num(cfg, "vocab_size"), numOr(cfg, "max_position_embeddings", 2048),
                (float) dbl(cfg, "layer_norm_eps", 1e-5), (float) theta,
                Boolean.TRUE.equals(cfg.get("tie_word_embeddings")))
                .withRotaryDim((int) (hd * pct)).withRopeScaling(RopeScaling.fromHf(cfg));
    }

    /**
     * Falcon: KV heads from new_decoder_architecture (num_kv_heads) or multi_query (1), ffn_hidden_size (default
     * 4 hidden), tied by default, θ and RoPE scaling as {@link RopeScaling#fromHf} (unused by ALiBi Falcons,
     * falcon-rw, whose positions {@code Model.open} picks).
     */
    public static ModelConfig fromFalcon(Map<String, Object> cfg) {
        int hidden = num(cfg, "hidden_size");
        int heads = numOr(cfg, "num_attention_heads", numOr(cfg, "n_head", 0));
        if (heads == 0) {
            throw new IllegalArgumentException("metadata lacks numeric 'num_attention_heads'");
        }
        int kv = Boolean.TRUE.equals(cfg.get("new_decoder_architecture")) ? numOr(cfg, "num_kv_heads", heads)
                : !Boolean.FALSE.equals(cfg.get("multi_query")) ? 1 : heads;
        return new ModelConfig(hidden, numOr(cfg, "num_hidden_layers", numOr(cfg, "n_layer", 0)), heads, kv,
                hidden / heads, numOr(cfg, "ffn_hidden_size", 4 * hidden), num(cfg, "vocab_size"),
                numOr(cfg, "max_position_embeddings", 2048), (float) dbl(cfg, "layer_norm_epsilon", 1e-5),
                (float) RopeScaling.hfTheta(cfg, 10000), !Boolean.FALSE.equals(cfg.get("tie_word_embeddings")))
                .withRopeScaling(RopeScaling.fromHf(cfg));
    }

    /**
     * BLOOM: hidden_size (or n_embed), n_layer, n_head, MLP 4 hidden, tied. ALiBi has no position table; the
     * cache length is seq_length (default 2048). apply_residual_connection_post_layernorm picks the family
     * ({@code Families.BLOOM_NORMED_RESIDUAL}), not the config.
     */
    public static ModelConfig fromBloom(Map<String, Object> cfg) {
        int hidden = numOr(cfg, "hidden_size", numOr(cfg, "n_embed", 0));
        if (hidden == 0) {
            throw new IllegalArgumentException("metadata lacks numeric 'hidden_size'");
        }
        int heads = numOr(cfg, "n_head", numOr(cfg, "num_attention_heads", 0));
        int layers = numOr(cfg, "n_layer", numOr(cfg, "num_hidden_layers", 0));
        if (heads == 0 || layers == 0) {
            throw new IllegalArgumentException("metadata lacks numeric 'n_head' or 'n_layer'");
        }
        return new ModelConfig(hidden, layers, heads, heads, hidden / heads, 4 * hidden, num(cfg, "vocab_size"),
                numOr(cfg, "seq_length", 2048), (float) dbl(cfg, "layer_norm_epsilon", 1e-5), 0f,
                !Boolean.FALSE.equals(cfg.get("tie_word_embeddings")));
    }

    /**
     * Mixtral: LLaMA's keys (defaults per MixtralConfig: eps 1e-5, θ 1e6; RoPE scaling and sliding window as for
     * LLaMA) plus num_local_experts, num_experts_per_tok.
     */
    public static ModelConfig fromMixtral(Map<String, Object> cfg) {
        int hidden = num(cfg, "hidden_size"), heads = num(cfg, "num_attention_heads");
        return new ModelConfig(hidden, num(cfg, "num_hidden_layers"), heads,
                numOr(cfg, "num_key_value_heads", heads), numOr(cfg, "head_dim", hidden / heads),
                num(cfg, "intermediate_size"), num(cfg, "vocab_size"), numOr(cfg, "max_position_embeddings", 4096),
                (float) dbl(cfg, "rms_norm_eps", 1e-5), (float) RopeScaling.hfTheta(cfg, 1e6),
                Boolean.TRUE.equals(cfg.get("tie_word_embeddings")))
                .withExperts(numOr(cfg, "num_local_experts", 8), numOr(cfg, "num_experts_per_tok", 2))
                .withRopeScaling(RopeScaling.fromHf(cfg)).withSlidingWindow(hfSlidingWindow(cfg));
    }

    /** The same config with the classifier tied to (or untied from) the embedding. */
    public ModelConfig withTiedEmbeddings(boolean tied) {
        return new ModelConfig(hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize, maxSeq,
                normEps, ropeTheta, tied, rotaryDim, experts, expertsPerToken, ropeScaling, slidingWindow);
    }

    /**
     * From a Hugging Face BERT {@code config.json}. Defaults follow transformers' BertConfig: layer_norm_eps 1e-12,
     * 512 positions; BERT has no RoPE (θ unused) and MHA only. The MLM decoder is tied to the word embeddings
     * unless the checkpoint has its own ({@code Model.open} decides).
     */
    public static ModelConfig fromBertConfig(Map<String, Object> cfg) {
        int hidden = num(cfg, "hidden_size"), heads = num(cfg, "num_attention_heads");
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("config.json: hidden_size " + hidden
                    + " is not a multiple of num_attention_heads " + heads);
        }
        return new ModelConfig(hidden, num(cfg, "num_hidden_layers"), heads, heads, hidden / heads,
                num(cfg, "intermediate_size"), num(cfg, "vocab_size"), numOr(cfg, "max_position_embeddings", 512),
                (float) dbl(cfg, "layer_norm_eps", 1e-12), 0f,
                !Boolean.FALSE.equals(cfg.get("tie_word_embeddings")));
    }

    private static int numOr(Map<String, Object> md, String key, int fallback) {
        return md.get(key) instanceof Number n ? n.intValue() : fallback;
    }

    private static double dbl(Map<String, Object> md, String key, double fallback) {
        return md.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }

    private static int num(Map<String, Object> md, String key) {
        Object v = md.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("metadata lacks numeric '" + key + "'");
        }
        return n.intValue();
    }
}
