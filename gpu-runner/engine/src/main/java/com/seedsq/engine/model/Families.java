package com.seedsq.engine.model;

import java.util.List;
import java.util.Map;

import static com.seedsq.engine.model.TensorRole.*;

/** The families the engine knows. LLaMA first; OPT, BLOOM, Falcon, GPT-2, NeoX, Mixtral and BERT follow as data. */
public final class Families {

    private Families() {
    }

    /** Hugging Face LLaMA / Mistral / Qwen2 names (Qwen2 adds q/k/v biases, which the forward pass picks up). */
    private static final Map<TensorRole, String> HF_LLAMA_NAMES = Map.ofEntries(
            Map.entry(EMBED, "model.embed_tokens.weight"),
            Map.entry(ATTN_NORM, "model.layers.{l}.input_layernorm.weight"),
            Map.entry(Q, "model.layers.{l}.self_attn.q_proj.weight"),
            Map.entry(Q_BIAS, "model.layers.{l}.self_attn.q_proj.bias"),
            Map.entry(K, "model.layers.{l}.self_attn.k_proj.weight"),
            Map.entry(K_BIAS, "model.layers.{l}.self_attn.k_proj.bias"),
            Map.entry(V, "model.layers.{l}.self_attn.v_proj.weight"),
            Map.entry(V_BIAS, "model.layers.{l}.self_attn.v_proj.bias"),
            Map.entry(O, "model.layers.{l}.self_attn.o_proj.weight"),
            Map.entry(FFN_NORM, "model.layers.{l}.post_attention_layernorm.weight"),
            Map.entry(GATE, "model.layers.{l}.mlp.gate_proj.weight"),
            Map.entry(UP, "model.layers.{l}.mlp.up_proj.weight"),
            Map.entry(DOWN, "model.layers.{l}.mlp.down_proj.weight"),
            Map.entry(FINAL_NORM, "model.norm.weight"),
            Map.entry(LM_HEAD, "lm_head.weight"));

    /** SmoothQuant's LLaMA sites: the two RMSNorms fold; o_proj and down_proj inputs take explicit scales. */
    private static final List<SmoothingGroup> LLAMA_SMOOTHING = List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(GATE, UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN)));

    /** Hugging Face LLaMA: pre-RMSNorm, RoPE on halves, SwiGLU, MHA/GQA by config. */
    public static final ModelFamily LLAMA = new ModelFamily("llama", "llama", HF_LLAMA_NAMES, NormKind.RMS,
            NormPlacement.PRE, PositionKind.ROPE_HALVES, MlpKind.SWIGLU, false, true, LLAMA_SMOOTHING);

    /**
     * llama2.c checkpoints: LLaMA with RoPE on interleaved pairs. {@code Llama2cCheckpoint} exposes HF names, so
     * only the position layout differs.
     */
    public static final ModelFamily LLAMA2C = LLAMA.withName("llama2c").withPositions(PositionKind.ROPE_INTERLEAVED);

    /**
     * Hugging Face {@code BertForMaskedLM} names (what {@code TfBertImporter} writes). The MLM head's decoder is tied
     * to the word embeddings unless the checkpoint carries {@code cls.predictions.decoder.weight}.
     */
    private static final Map<TensorRole, String> HF_BERT_NAMES = Map.ofEntries(
            Map.entry(EMBED, "bert.embeddings.word_embeddings.weight"),
            Map.entry(POSITION_EMBED, "bert.embeddings.position_embeddings.weight"),
            Map.entry(TOKEN_TYPE_EMBED, "bert.embeddings.token_type_embeddings.weight"),
            Map.entry(EMBED_NORM, "bert.embeddings.LayerNorm.weight"),
            Map.entry(EMBED_NORM_BIAS, "bert.embeddings.LayerNorm.bias"),
            Map.entry(Q, "bert.encoder.layer.{l}.attention.self.query.weight"),
            Map.entry(Q_BIAS, "bert.encoder.layer.{l}.attention.self.query.bias"),
            Map.entry(K, "bert.encoder.layer.{l}.attention.self.key.weight"),
            Map.entry(K_BIAS, "bert.encoder.layer.{l}.attention.self.key.bias"),
            Map.entry(V, "bert.encoder.layer.{l}.attention.self.value.weight"),
            Map.entry(V_BIAS, "bert.encoder.layer.{l}.attention.self.value.bias"),
            Map.entry(O, "bert.encoder.layer.{l}.attention.output.dense.weight"),
            Map.entry(O_BIAS, "bert.encoder.layer.{l}.attention.output.dense.bias"),
            // post-LN: ATTN_NORM follows the attention residual, FFN_NORM the MLP residual
            Map.entry(ATTN_NORM, "bert.encoder.layer.{l}.attention.output.LayerNorm.weight"),
            Map.entry(ATTN_NORM_BIAS, "bert.encoder.layer.{l}.attention.output.LayerNorm.bias"),
            Map.entry(UP, "bert.encoder.layer.{l}.intermediate.dense.weight"),
            Map.entry(UP_BIAS, "bert.encoder.layer.{l}.intermediate.dense.bias"),
            Map.entry(DOWN, "bert.encoder.layer.{l}.output.dense.weight"),
            Map.entry(DOWN_BIAS, "bert.encoder.layer.{l}.output.dense.bias"),
            Map.entry(FFN_NORM, "bert.encoder.layer.{l}.output.LayerNorm.weight"),
            Map.entry(FFN_NORM_BIAS, "bert.encoder.layer.{l}.output.LayerNorm.bias"),
            Map.entry(HEAD_TRANSFORM, "cls.predictions.transform.dense.weight"),
            Map.entry(HEAD_TRANSFORM_BIAS, "cls.predictions.transform.dense.bias"),
            Map.entry(HEAD_NORM, "cls.predictions.transform.LayerNorm.weight"),
            Map.entry(HEAD_NORM_BIAS, "cls.predictions.transform.LayerNorm.bias"),
            Map.entry(LM_HEAD, "cls.predictions.decoder.weight"),
            Map.entry(LM_HEAD_BIAS, "cls.predictions.bias"));

    /**
     * BERT's sites. Post-LN: every LayerNorm output is also the residual stream, so no 1/s can fold into it without
     * changing the residual; all four sites keep an explicit per-channel input scale fused into activation
     * quantization. Same site names as LLaMA: attn_in = q/k/v input, wo_in = attention output dense input,
     * ffn_in = intermediate dense input, w2_in = output dense input.
     */
    private static final List<SmoothingGroup> BERT_SMOOTHING = List.of(
            new SmoothingGroup("attn_in", null, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", null, List.of(UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN)));

    /**
     * BERT encoder with its masked-LM head: learned positions + token type 0 + embedding LayerNorm, post-LN blocks,
     * bidirectional attention, GELU MLP (the exact erf form here; {@link #bert(String)} picks the tanh form when the
     * checkpoint's config says so), MLM head transform (dense, GELU, LayerNorm) and a decoder with output bias.
     */
    public static final ModelFamily BERT = new ModelFamily("bert", "bert", HF_BERT_NAMES, NormKind.LAYER,
            NormPlacement.POST, PositionKind.LEARNED, MlpKind.GELU, false, false, BERT_SMOOTHING);

    /**
     * BERT with the activation its {@code config.json} names ({@code hidden_act}): {@code gelu} is the exact erf form,
     * {@code gelu_new}, {@code gelu_pytorch_tanh} and {@code gelu_fast} the tanh approximation, {@code relu} ReLU.
     */
    public static ModelFamily bert(String hiddenAct) {
        MlpKind kind = switch (hiddenAct == null ? "gelu" : hiddenAct) {
            case "gelu" -> MlpKind.GELU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> MlpKind.GELU_TANH;
            case "relu" -> MlpKind.RELU;
            default -> throw new IllegalArgumentException("config.json hidden_act '" + hiddenAct
                    + "' is not supported (known: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)");
        };
        return BERT.withMlp(kind);
    }

    public static List<ModelFamily> all() {
        return List.of(LLAMA, LLAMA2C, BERT);
    }

    public static ModelFamily byName(String name) {
        return all().stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown model family: " + name));
    }
}
