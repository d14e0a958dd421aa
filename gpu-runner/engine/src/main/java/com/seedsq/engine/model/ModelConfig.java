package com.seedsq.engine.model;

import java.util.Map;

/**
 * The numbers of one model. {@code headDim} is usually {@code hiddenSize / heads} but some families decouple it.
 *
 * @param tiedEmbeddings the classifier reuses the token embedding (no LM_HEAD tensor)
 */
public record ModelConfig(int hiddenSize, int layers, int heads, int kvHeads, int headDim, int intermediateSize,
                          int vocabSize, int maxSeq, float normEps, float ropeTheta, boolean tiedEmbeddings) {

    public ModelConfig {
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " not a multiple of kvHeads " + kvHeads);
        }
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
     * transformers' LlamaConfig: kv heads = heads, head_dim = hidden / heads, θ 10000, untied embeddings.
     */
    public static ModelConfig fromHfConfig(Map<String, Object> cfg) {
        int hidden = num(cfg, "hidden_size"), heads = num(cfg, "num_attention_heads");
        return new ModelConfig(hidden, num(cfg, "num_hidden_layers"), heads,
                numOr(cfg, "num_key_value_heads", heads), numOr(cfg, "head_dim", hidden / heads),
                num(cfg, "intermediate_size"), num(cfg, "vocab_size"), numOr(cfg, "max_position_embeddings", 2048),
                (float) dbl(cfg, "rms_norm_eps", 1e-6), (float) dbl(cfg, "rope_theta", 10000),
                Boolean.TRUE.equals(cfg.get("tie_word_embeddings")));
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
                (float) dbl(cfg, "layer_norm_eps", 1e-12), 0f, true);
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
