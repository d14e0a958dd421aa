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

    private static int num(Map<String, Object> md, String key) {
        Object v = md.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("metadata lacks numeric '" + key + "'");
        }
        return n.intValue();
    }
}
