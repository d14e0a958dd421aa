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

    public static List<ModelFamily> all() {
        return List.of(LLAMA, LLAMA2C);
    }

    public static ModelFamily byName(String name) {
        return all().stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown model family: " + name));
    }
}
