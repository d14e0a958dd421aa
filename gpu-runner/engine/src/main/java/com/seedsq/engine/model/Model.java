package com.seedsq.engine.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.detect.WeightSources;
import com.seedsq.engine.format.gguf.GgufSentencePiece;
import com.seedsq.engine.format.gguf.GgufTokenizerData;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/** A checkpoint together with what it is: its family and config. Closing it closes (unmaps) the weights. */
public record Model(ModelFamily family, ModelConfig config, WeightSource weights, Path file) implements AutoCloseable {

    /** How one HF {@code model_type} becomes a family (some config flags pick a layout) and a config. */
    private record HfArchitecture(Function<Map<String, Object>, ModelFamily> family,
                                  Function<Map<String, Object>, ModelConfig> config) {
    }

    /**
     * Every HF {@code model_type} the engine runs: one row per architecture (llama, mistral and qwen2 share the
     * LLaMA description; Qwen2's q/k/v biases are picked up when present).
     */
    private static final Map<String, HfArchitecture> HF_ARCHITECTURES = Map.of(
            "llama", new HfArchitecture(cfg -> Families.LLAMA, ModelConfig::fromHfConfig),
            "mistral", new HfArchitecture(cfg -> Families.LLAMA, ModelConfig::fromHfConfig),
            "qwen2", new HfArchitecture(cfg -> Families.LLAMA, ModelConfig::fromHfConfig),
            "opt", new HfArchitecture(Model::opt, ModelConfig::fromOpt),
            "gpt2", new HfArchitecture(cfg -> Families.GPT2, ModelConfig::fromGpt2),
            "gpt_neox", new HfArchitecture(Model::gptNeox, ModelConfig::fromGptNeox),
            "falcon", new HfArchitecture(Model::falcon, ModelConfig::fromFalcon),
            "bloom", new HfArchitecture(cfg -> Boolean.TRUE.equals(cfg.get("apply_residual_connection_post_layernorm"))
                    ? Families.BLOOM_NORMED_RESIDUAL : Families.BLOOM, ModelConfig::fromBloom),
            "mixtral", new HfArchitecture(cfg -> Families.MIXTRAL, ModelConfig::fromMixtral),
            "bert", new HfArchitecture(cfg -> Families.bert(cfg.get("hidden_act") == null ? null
                    : String.valueOf(cfg.get("hidden_act"))), ModelConfig::fromBertConfig));

    /**
     * OPT, with project_in/project_out when word_embed_proj_dim differs from hidden_size and post-LN blocks when
     * do_layer_norm_before is false (OPT-350m has both). {@code _remove_final_layer_norm} with pre-LN is refused.
     */
    private static ModelFamily opt(Map<String, Object> cfg) {
        boolean before = !Boolean.FALSE.equals(cfg.get("do_layer_norm_before"));
        if (before && Boolean.TRUE.equals(cfg.get("_remove_final_layer_norm"))) {
            throw new IllegalArgumentException("_remove_final_layer_norm true with do_layer_norm_before true is not "
                    + "supported");
        }
        boolean projected = cfg.get("word_embed_proj_dim") instanceof Number p
                && cfg.get("hidden_size") instanceof Number h && p.intValue() != h.intValue();
        return Families.opt(projected, before);
    }

    /** use_parallel_residual (default true) or the sequential block with the same two norms. */
    private static ModelFamily gptNeox(Map<String, Object> cfg) {
        ModelFamily f = Families.GPT_NEOX;
        return Boolean.FALSE.equals(cfg.get("use_parallel_residual")) ? f.withParallelAttention(false, f.smoothing())
                : f;
    }

    /**
     * Falcon-7B's layout, the new decoder architecture's (two parallel norms unless num_ln_in_parallel_attn is 1), or
     * the sequential block of {@code parallel_attn: false} (Falcon-RW); {@code alibi: true} puts Falcon's ALiBi in
     * place of RoPE. transformers ignores parallel_attn under new_decoder_architecture; that combination is refused.
     */
    private static ModelFamily falcon(Map<String, Object> cfg) {
        boolean newArch = Boolean.TRUE.equals(cfg.get("new_decoder_architecture"));
        boolean sequential = Boolean.FALSE.equals(cfg.get("parallel_attn"));
        if (sequential && newArch) {
            throw new IllegalArgumentException("parallel_attn false with new_decoder_architecture true is not "
                    + "supported");
        }
        boolean oneNorm = cfg.get("num_ln_in_parallel_attn") instanceof Number n && n.intValue() == 1;
        ModelFamily f = sequential ? Families.FALCON_SEQUENTIAL
                : newArch && !oneNorm ? Families.FALCON_NEW : Families.FALCON;
        return Boolean.TRUE.equals(cfg.get("alibi")) ? f.withPositions(PositionKind.ALIBI_FALCON) : f;
    }

    /**
     * Opens a checkpoint ({@link WeightSources} detects the format) and decides its family and config: llama2.c
     * {@code .bin} files, LLaMA GGUF files and Hugging Face directories of the types in {@link #HF_ARCHITECTURES}.
     * Families whose checkpoints fuse or transpose tensors get a {@link LayoutView}, so {@link #weights()} always
     * names tensors by role.
     */
    public static Model open(Path path) {
        WeightSources.Format format = WeightSources.detect(path);
        WeightSource source = WeightSources.open(path);
        try {
            return switch (format) {
                case LLAMA2C -> new Model(Families.LLAMA2C, ModelConfig.fromLlama2c(source.metadata()), source, path);
                case GGUF -> openGguf(source, path);
                case HF_DIRECTORY -> {
                    String type = String.valueOf(source.metadata().get("model_type"));
                    HfArchitecture arch = HF_ARCHITECTURES.get(type);
                    if (arch == null) {
                        throw new ModelFormatException(path, null, "model_type '" + type
                                + "' has no family description yet (known: " + new TreeSet<>(HF_ARCHITECTURES.keySet())
                                + ")");
                    }
                    ModelFamily family;
                    ModelConfig c;
                    try {
                        family = arch.family().apply(source.metadata());
                        c = arch.config().apply(source.metadata());
                    } catch (IllegalArgumentException e) {
                        throw new ModelFormatException(path.resolve("config.json"), null, e.getMessage(), e);
                    }
                    WeightSource weights = LayoutView.of(source, family, c, path);
                    if (!c.tiedEmbeddings() && !weights.has(family.tensorName(TensorRole.LM_HEAD))) {
                        c = c.withTiedEmbeddings(true);
                    }
                    yield new Model(family, c, weights, path);
                }
                default -> throw new ModelFormatException(path, null, format
                        + " checkpoints have no family description yet; the forward pass runs llama2.c, GGUF LLaMA "
                        + "and HF directories");
            };
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** A GGUF of {@code general.architecture = llama} (llama.cpp's names, RoPE on interleaved pairs). */
    private static Model openGguf(WeightSource source, Path path) {
        Map<String, Object> md = source.metadata();
        Object arch = md.get("general.architecture");
        if (!"llama".equals(arch)) {
            throw new ModelFormatException(path, null, "GGUF general.architecture '" + arch
                    + "' is not supported (known: llama)");
        }
        ModelFamily f = Families.GGUF_LLAMA;
        if (source.has("rope_freqs.weight")) { // llama.cpp's per-frequency factors of Llama 3.1-style RoPE scaling
            throw new ModelFormatException(path, "rope_freqs.weight", "RoPE frequency factors are not supported "
                    + "for GGUF (Llama 3.1-style rope scaling); refusing rather than running plain RoPE");
        }
        String embed = f.tensorName(TensorRole.EMBED);
        if (!source.has(embed)) {
            throw new ModelFormatException(path, embed, "missing: family " + f.name() + " needs it");
        }
        ModelConfig c;
        try {
            c = ModelConfig.fromGguf(md, Math.toIntExact(source.tensor(embed).shape()[0]));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(path, null, "GGUF metadata: " + e.getMessage(), e);
        }
        if (!source.has(f.tensorName(TensorRole.LM_HEAD))) {
            c = c.withTiedEmbeddings(true); // llama.cpp omits output.weight when it is tied to the embedding
        }
        return new Model(f, c, source, path);
    }

    /**
     * The tokenizer the checkpoint itself carries (GGUF {@code tokenizer.ggml.*}, sentencepiece vocabularies), or
     * empty when it has none and one must be found beside it.
     */
    public Optional<SentencePieceTokenizer> embeddedTokenizer() {
        return GgufTokenizerData.from(weights.metadata(), file).map(d -> GgufSentencePiece.tokenizer(d, file));
    }

    /** Number of weights the network uses (tensors the family names; a tied classifier counts once). */
    public long parameterCount() {
        long n = 0;
        for (String t : weights.names()) {
            n += weights.tensor(t).elementCount();
        }
        return n;
    }

    /** The dtype of the token embedding, as the checkpoint stores it. */
    public DType dtype() {
        return weights.tensor(family.tensorName(TensorRole.EMBED)).dtype();
    }

    @Override
    public void close() {
        weights.close();
    }
}
