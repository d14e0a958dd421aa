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
     * llama.cpp's GGUF names for LLaMA. Its converter permutes HF q/k rows back to the interleaved pairs that
     * ggml's RoPE (mode 0) rotates, so a GGUF LLaMA has llama2.c's layout under different names.
     */
    public static final ModelFamily GGUF_LLAMA = new ModelFamily("gguf-llama", "llama", Map.ofEntries(
            Map.entry(EMBED, "token_embd.weight"),
            Map.entry(ATTN_NORM, "blk.{l}.attn_norm.weight"),
            Map.entry(Q, "blk.{l}.attn_q.weight"),
            Map.entry(Q_BIAS, "blk.{l}.attn_q.bias"),
            Map.entry(K, "blk.{l}.attn_k.weight"),
            Map.entry(K_BIAS, "blk.{l}.attn_k.bias"),
            Map.entry(V, "blk.{l}.attn_v.weight"),
            Map.entry(V_BIAS, "blk.{l}.attn_v.bias"),
            Map.entry(O, "blk.{l}.attn_output.weight"),
            Map.entry(FFN_NORM, "blk.{l}.ffn_norm.weight"),
            Map.entry(GATE, "blk.{l}.ffn_gate.weight"),
            Map.entry(UP, "blk.{l}.ffn_up.weight"),
            Map.entry(DOWN, "blk.{l}.ffn_down.weight"),
            Map.entry(FINAL_NORM, "output_norm.weight"),
            Map.entry(LM_HEAD, "output.weight")), NormKind.RMS, NormPlacement.PRE, PositionKind.ROPE_INTERLEAVED,
            MlpKind.SWIGLU, false, true, LLAMA_SMOOTHING);

    /** Names of {@code prefix}{l}.{suffix} per role, for the GPT-style families below. */
    private static Map<TensorRole, String> names(Object... roleAndName) {
        Map<TensorRole, String> m = new java.util.EnumMap<>(TensorRole.class);
        for (int i = 0; i < roleAndName.length; i += 2) {
            m.put((TensorRole) roleAndName[i], (String) roleAndName[i + 1]);
        }
        return m;
    }

    /**
     * OPT (facebook/opt-*): pre-LN LayerNorm, learned positions whose table starts at row 2 (OPT's offset), ReLU,
     * biases everywhere, classifier tied to the embedding. SmoothQuant (paper and reference): self_attn_layer_norm
     * → q,k,v and final_layer_norm → fc1; out_proj and fc2 inputs take explicit scales.
     */
    public static final ModelFamily OPT = new ModelFamily("opt", "opt", names(
            EMBED, "model.decoder.embed_tokens.weight", POSITION_EMBED, "model.decoder.embed_positions.weight",
            ATTN_NORM, "model.decoder.layers.{l}.self_attn_layer_norm.weight",
            ATTN_NORM_BIAS, "model.decoder.layers.{l}.self_attn_layer_norm.bias",
            Q, "model.decoder.layers.{l}.self_attn.q_proj.weight", Q_BIAS, "model.decoder.layers.{l}.self_attn.q_proj.bias",
            K, "model.decoder.layers.{l}.self_attn.k_proj.weight", K_BIAS, "model.decoder.layers.{l}.self_attn.k_proj.bias",
            V, "model.decoder.layers.{l}.self_attn.v_proj.weight", V_BIAS, "model.decoder.layers.{l}.self_attn.v_proj.bias",
            O, "model.decoder.layers.{l}.self_attn.out_proj.weight", O_BIAS, "model.decoder.layers.{l}.self_attn.out_proj.bias",
            FFN_NORM, "model.decoder.layers.{l}.final_layer_norm.weight",
            FFN_NORM_BIAS, "model.decoder.layers.{l}.final_layer_norm.bias",
            UP, "model.decoder.layers.{l}.fc1.weight", UP_BIAS, "model.decoder.layers.{l}.fc1.bias",
            DOWN, "model.decoder.layers.{l}.fc2.weight", DOWN_BIAS, "model.decoder.layers.{l}.fc2.bias",
            FINAL_NORM, "model.decoder.final_layer_norm.weight", FINAL_NORM_BIAS, "model.decoder.final_layer_norm.bias",
            LM_HEAD, "lm_head.weight"),
            NormKind.LAYER, NormPlacement.PRE, PositionKind.LEARNED, MlpKind.RELU, false, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN))),
            new WeightLayout("model.", WeightLayout.QkvPacking.SEPARATE, List.of(),
                    Map.of("model.decoder.embed_positions.weight", 2)));

    /**
     * OPT as its config asks: {@code word_embed_proj_dim} other than the hidden size adds project_in/project_out
     * (OPT-350m); {@code do_layer_norm_before: false} makes the blocks post-LN, {@code norm(x + f(x))} with
     * self_attn_layer_norm after the attention and final_layer_norm after the MLP, and drops the decoder's final
     * LayerNorm (transformers builds none then). Post-LN norms are also the residual stream, so no 1/s folds into
     * them: every site keeps an explicit input scale, as in BERT.
     */
    public static ModelFamily opt(boolean projected, boolean layerNormBefore) {
        if (!projected && layerNormBefore) {
            return OPT;
        }
        Map<TensorRole, String> names = OPT.tensorNamesCopy();
        if (projected) {
            names.put(PROJECT_IN, "model.decoder.project_in.weight");
            names.put(PROJECT_OUT, "model.decoder.project_out.weight");
        }
        if (!layerNormBefore) {
            names.remove(FINAL_NORM);
            names.remove(FINAL_NORM_BIAS);
        }
        return new ModelFamily(OPT.name(), OPT.architecture(), names, OPT.norm(),
                layerNormBefore ? NormPlacement.PRE : NormPlacement.POST, OPT.positions(), OPT.mlp(), false, true,
                layerNormBefore ? OPT.smoothing() : explicitSmoothing(List.of(UP)), OPT.layout());
    }

    /**
     * GPT-2: pre-LN LayerNorm, learned positions, gelu_new (tanh), Conv1D weights stored [in, out] (transposed
     * once when opened), fused c_attn [q | k | v]. Smoothing as OPT: ln_1 → c_attn (q, k, v), ln_2 → c_fc.
     */
    public static final ModelFamily GPT2 = new ModelFamily("gpt2", "gpt2", names(
            EMBED, "transformer.wte.weight", POSITION_EMBED, "transformer.wpe.weight",
            ATTN_NORM, "transformer.h.{l}.ln_1.weight", ATTN_NORM_BIAS, "transformer.h.{l}.ln_1.bias",
            Q, "transformer.h.{l}.attn.c_attn.weight#q", Q_BIAS, "transformer.h.{l}.attn.c_attn.bias#q",
            K, "transformer.h.{l}.attn.c_attn.weight#k", K_BIAS, "transformer.h.{l}.attn.c_attn.bias#k",
            V, "transformer.h.{l}.attn.c_attn.weight#v", V_BIAS, "transformer.h.{l}.attn.c_attn.bias#v",
            O, "transformer.h.{l}.attn.c_proj.weight", O_BIAS, "transformer.h.{l}.attn.c_proj.bias",
            FFN_NORM, "transformer.h.{l}.ln_2.weight", FFN_NORM_BIAS, "transformer.h.{l}.ln_2.bias",
            UP, "transformer.h.{l}.mlp.c_fc.weight", UP_BIAS, "transformer.h.{l}.mlp.c_fc.bias",
            DOWN, "transformer.h.{l}.mlp.c_proj.weight", DOWN_BIAS, "transformer.h.{l}.mlp.c_proj.bias",
            FINAL_NORM, "transformer.ln_f.weight", FINAL_NORM_BIAS, "transformer.ln_f.bias",
            LM_HEAD, "lm_head.weight"),
            NormKind.LAYER, NormPlacement.PRE, PositionKind.LEARNED, MlpKind.GELU_TANH, false, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN))),
            new WeightLayout("transformer.", WeightLayout.QkvPacking.CONTIGUOUS, List.of(
                    "transformer.h.{l}.attn.c_attn.weight", "transformer.h.{l}.attn.c_proj.weight",
                    "transformer.h.{l}.mlp.c_fc.weight", "transformer.h.{l}.mlp.c_proj.weight"), Map.of()));

    /**
     * GPT-NeoX / Pythia: LayerNorm, RoPE on halves of the first rotary_pct of each head, fused query_key_value
     * interleaved per head ([heads, 3, headDim]), exact GELU, and (use_parallel_residual) parallel attention with
     * two norms: {@code x + attn(ln1(x)) + mlp(ln2(x))}. Both norms fold: input_layernorm → q,k,v and
     * post_attention_layernorm → dense_h_to_4h.
     */
    public static final ModelFamily GPT_NEOX = new ModelFamily("gpt_neox", "gpt_neox", names(
            EMBED, "gpt_neox.embed_in.weight",
            ATTN_NORM, "gpt_neox.layers.{l}.input_layernorm.weight",
            ATTN_NORM_BIAS, "gpt_neox.layers.{l}.input_layernorm.bias",
            Q, "gpt_neox.layers.{l}.attention.query_key_value.weight#q",
            Q_BIAS, "gpt_neox.layers.{l}.attention.query_key_value.bias#q",
            K, "gpt_neox.layers.{l}.attention.query_key_value.weight#k",
            K_BIAS, "gpt_neox.layers.{l}.attention.query_key_value.bias#k",
            V, "gpt_neox.layers.{l}.attention.query_key_value.weight#v",
            V_BIAS, "gpt_neox.layers.{l}.attention.query_key_value.bias#v",
            O, "gpt_neox.layers.{l}.attention.dense.weight", O_BIAS, "gpt_neox.layers.{l}.attention.dense.bias",
            FFN_NORM, "gpt_neox.layers.{l}.post_attention_layernorm.weight",
            FFN_NORM_BIAS, "gpt_neox.layers.{l}.post_attention_layernorm.bias",
            UP, "gpt_neox.layers.{l}.mlp.dense_h_to_4h.weight", UP_BIAS, "gpt_neox.layers.{l}.mlp.dense_h_to_4h.bias",
            DOWN, "gpt_neox.layers.{l}.mlp.dense_4h_to_h.weight", DOWN_BIAS, "gpt_neox.layers.{l}.mlp.dense_4h_to_h.bias",
            FINAL_NORM, "gpt_neox.final_layer_norm.weight", FINAL_NORM_BIAS, "gpt_neox.final_layer_norm.bias",
            LM_HEAD, "embed_out.weight"),
            NormKind.LAYER, NormPlacement.PRE, PositionKind.ROPE_HALVES, MlpKind.GELU, true, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN))),
            new WeightLayout("", WeightLayout.QkvPacking.BY_KV_GROUP, List.of(), Map.of()));

    /** Falcon's names; the new decoder architecture (40B/180B) has ln_attn/ln_mlp instead of input_layernorm. */
    private static Map<TensorRole, String> falconNames(boolean twoNorms) {
        String p = "transformer.h.{l}.";
        Map<TensorRole, String> m = names(
                EMBED, "transformer.word_embeddings.weight",
                Q, p + "self_attention.query_key_value.weight#q", Q_BIAS, p + "self_attention.query_key_value.bias#q",
                K, p + "self_attention.query_key_value.weight#k", K_BIAS, p + "self_attention.query_key_value.bias#k",
                V, p + "self_attention.query_key_value.weight#v", V_BIAS, p + "self_attention.query_key_value.bias#v",
                O, p + "self_attention.dense.weight", O_BIAS, p + "self_attention.dense.bias",
                UP, p + "mlp.dense_h_to_4h.weight", UP_BIAS, p + "mlp.dense_h_to_4h.bias",
                DOWN, p + "mlp.dense_4h_to_h.weight", DOWN_BIAS, p + "mlp.dense_4h_to_h.bias",
                FINAL_NORM, "transformer.ln_f.weight", FINAL_NORM_BIAS, "transformer.ln_f.bias",
                LM_HEAD, "lm_head.weight");
        if (twoNorms) {
            m.putAll(names(ATTN_NORM, p + "ln_attn.weight", ATTN_NORM_BIAS, p + "ln_attn.bias",
                    FFN_NORM, p + "ln_mlp.weight", FFN_NORM_BIAS, p + "ln_mlp.bias"));
        } else {
            m.putAll(names(ATTN_NORM, p + "input_layernorm.weight", ATTN_NORM_BIAS, p + "input_layernorm.bias"));
        }
        return m;
    }

    /**
     * Falcon-7B: parallel attention and MLP reading one shared LayerNorm, multi-query attention, fused
     * query_key_value ([q heads | k | v], so each part is a contiguous slice), RoPE on halves, exact GELU, no
     * biases. One site: input_layernorm → query_key_value and dense_h_to_4h.
     */
    public static final ModelFamily FALCON = new ModelFamily("falcon", "falcon", falconNames(false),
            NormKind.LAYER, NormPlacement.PRE, PositionKind.ROPE_HALVES, MlpKind.GELU, true, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V, UP)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("w2_in", null, List.of(DOWN))),
            new WeightLayout("", WeightLayout.QkvPacking.BY_KV_GROUP, List.of(), Map.of()));

    /**
     * Falcon with {@code parallel_attn: false} (Falcon-RW): a sequential block, {@code x + attn(ln1(x))} then
     * {@code + mlp(ln2(.))} with ln2 = post_attention_layernorm. Falcon-RW also has ALiBi ({@code alibi: true},
     * {@link PositionKind#ALIBI_FALCON}), biases and one KV head per query head (query_key_value as [q | k | v] per
     * head); {@code Model.open} sets the positions from the config. SmoothQuant as BLOOM: input_layernorm →
     * query_key_value, post_attention_layernorm → dense_h_to_4h.
     */
    public static final ModelFamily FALCON_SEQUENTIAL = new ModelFamily("falcon", "falcon", withEntries(
            falconNames(false), FFN_NORM, "transformer.h.{l}.post_attention_layernorm.weight",
            FFN_NORM_BIAS, "transformer.h.{l}.post_attention_layernorm.bias"),
            NormKind.LAYER, NormPlacement.PRE, PositionKind.ROPE_HALVES, MlpKind.GELU, false, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN))),
            new WeightLayout("", WeightLayout.QkvPacking.BY_KV_GROUP, List.of(), Map.of()));

    private static Map<TensorRole, String> withEntries(Map<TensorRole, String> base, Object... roleAndName) {
        Map<TensorRole, String> m = new java.util.EnumMap<>(base);
        m.putAll(names(roleAndName));
        return m;
    }

    /**
     * Falcon's new decoder architecture (40B, 180B): grouped KV heads, query_key_value as one block per KV group
     * [its q heads | k | v], and two parallel norms: ln_attn → query_key_value, ln_mlp → dense_h_to_4h.
     */
    public static final ModelFamily FALCON_NEW = new ModelFamily("falcon", "falcon", falconNames(true),
            NormKind.LAYER, NormPlacement.PRE, PositionKind.ROPE_HALVES, MlpKind.GELU, true, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN))),
            new WeightLayout("", WeightLayout.QkvPacking.BY_KV_GROUP, List.of(), Map.of()));

    /**
     * BLOOM: ALiBi instead of positions, a LayerNorm right after the embedding, fused query_key_value per head
     * ([heads, 3, headDim]), BLOOM's tanh GELU, biases. SmoothQuant: input_layernorm → query_key_value,
     * post_attention_layernorm → dense_h_to_4h.
     */
    public static final ModelFamily BLOOM = new ModelFamily("bloom", "bloom", names(
            EMBED, "transformer.word_embeddings.weight",
            EMBED_NORM, "transformer.word_embeddings_layernorm.weight",
            EMBED_NORM_BIAS, "transformer.word_embeddings_layernorm.bias",
            ATTN_NORM, "transformer.h.{l}.input_layernorm.weight", ATTN_NORM_BIAS, "transformer.h.{l}.input_layernorm.bias",
            Q, "transformer.h.{l}.self_attention.query_key_value.weight#q",
            Q_BIAS, "transformer.h.{l}.self_attention.query_key_value.bias#q",
            K, "transformer.h.{l}.self_attention.query_key_value.weight#k",
            K_BIAS, "transformer.h.{l}.self_attention.query_key_value.bias#k",
            V, "transformer.h.{l}.self_attention.query_key_value.weight#v",
            V_BIAS, "transformer.h.{l}.self_attention.query_key_value.bias#v",
            O, "transformer.h.{l}.self_attention.dense.weight", O_BIAS, "transformer.h.{l}.self_attention.dense.bias",
            FFN_NORM, "transformer.h.{l}.post_attention_layernorm.weight",
            FFN_NORM_BIAS, "transformer.h.{l}.post_attention_layernorm.bias",
            UP, "transformer.h.{l}.mlp.dense_h_to_4h.weight", UP_BIAS, "transformer.h.{l}.mlp.dense_h_to_4h.bias",
            DOWN, "transformer.h.{l}.mlp.dense_4h_to_h.weight", DOWN_BIAS, "transformer.h.{l}.mlp.dense_4h_to_h.bias",
            FINAL_NORM, "transformer.ln_f.weight", FINAL_NORM_BIAS, "transformer.ln_f.bias",
            LM_HEAD, "lm_head.weight"),
            NormKind.LAYER, NormPlacement.PRE, PositionKind.ALIBI, MlpKind.GELU_TANH, false, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(UP)),
            new SmoothingGroup("w2_in", null, List.of(DOWN))),
            new WeightLayout("transformer.", WeightLayout.QkvPacking.BY_KV_GROUP, List.of(), Map.of()));

    /**
     * BLOOM with {@code apply_residual_connection_post_layernorm}: each residual add takes the LayerNorm's output
     * instead of its input ({@code n + attn(n)}, {@code n = input_layernorm(x)}; then the same with
     * post_attention_layernorm and the MLP). The norms' outputs are also the residual stream, so no 1/s can fold into
     * them: every site keeps an explicit input scale, as in post-LN BERT.
     */
    public static final ModelFamily BLOOM_NORMED_RESIDUAL = BLOOM.withNormPlacement(NormPlacement.PRE_NORMED_RESIDUAL,
            explicitSmoothing(List.of(UP)));

    /**
     * Mixtral: LLaMA attention (RoPE on halves, GQA) with a sparse MLP: a router picks the top-2 of 8 SwiGLU
     * experts per token. SmoothQuant: post_attention_layernorm → the router and every expert's w1 and w3; each
     * expert's w2 input is its own explicit site.
     */
    public static final ModelFamily MIXTRAL = new ModelFamily("mixtral", "mixtral", names(
            EMBED, "model.embed_tokens.weight",
            ATTN_NORM, "model.layers.{l}.input_layernorm.weight",
            Q, "model.layers.{l}.self_attn.q_proj.weight", K, "model.layers.{l}.self_attn.k_proj.weight",
            V, "model.layers.{l}.self_attn.v_proj.weight", O, "model.layers.{l}.self_attn.o_proj.weight",
            FFN_NORM, "model.layers.{l}.post_attention_layernorm.weight",
            ROUTER, "model.layers.{l}.block_sparse_moe.gate.weight",
            EXPERT_GATE, "model.layers.{l}.block_sparse_moe.experts.{e}.w1.weight",
            EXPERT_DOWN, "model.layers.{l}.block_sparse_moe.experts.{e}.w2.weight",
            EXPERT_UP, "model.layers.{l}.block_sparse_moe.experts.{e}.w3.weight",
            FINAL_NORM, "model.norm.weight", LM_HEAD, "lm_head.weight"),
            NormKind.RMS, NormPlacement.PRE, PositionKind.ROPE_HALVES, MlpKind.MOE, false, true, List.of(
            new SmoothingGroup("attn_in", ATTN_NORM, List.of(Q, K, V)),
            new SmoothingGroup("wo_in", null, List.of(O)),
            new SmoothingGroup("ffn_in", FFN_NORM, List.of(ROUTER, EXPERT_GATE, EXPERT_UP)),
            new SmoothingGroup("w2_in", null, List.of(EXPERT_DOWN))));

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
    private static final List<SmoothingGroup> BERT_SMOOTHING = explicitSmoothing(List.of(UP));

    /**
     * The four sites of a block none of whose norms can take 1/s (post-LN, or a norm whose output is also the
     * residual): attn_in (q, k, v), wo_in, ffn_in ({@code ffnIn}) and w2_in, every one an explicit input scale.
     */
    static List<SmoothingGroup> explicitSmoothing(List<TensorRole> ffnIn) {
        return List.of(
                new SmoothingGroup("attn_in", null, List.of(Q, K, V)),
                new SmoothingGroup("wo_in", null, List.of(O)),
                new SmoothingGroup("ffn_in", null, ffnIn),
                new SmoothingGroup("w2_in", null, List.of(DOWN)));
    }

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
        return List.of(LLAMA, LLAMA2C, GGUF_LLAMA, OPT, GPT2, GPT_NEOX, FALCON, BLOOM, MIXTRAL, BERT);
    }

    public static ModelFamily byName(String name) {
        return all().stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown model family: " + name));
    }
}
