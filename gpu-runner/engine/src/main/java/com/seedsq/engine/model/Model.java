package com.seedsq.engine.model;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.format.detect.WeightSources;
import com.seedsq.engine.tensor.DType;

import java.nio.file.Path;
import java.util.Set;

/** A checkpoint together with what it is: its family and config. Closing it closes (unmaps) the weights. */
public record Model(ModelFamily family, ModelConfig config, WeightSource weights, Path file) implements AutoCloseable {

    /** Hugging Face {@code model_type}s that are LLaMA-shaped (Qwen2's q/k/v biases are picked up when present). */
    private static final Set<String> HF_LLAMA_TYPES = Set.of("llama", "mistral", "qwen2");

    /**
     * Opens a checkpoint ({@link WeightSources} detects the format) and decides its family and config: llama2.c
     * {@code .bin} files and Hugging Face LLaMA-type directories today; other families join as descriptions land.
     */
    public static Model open(Path path) {
        WeightSources.Format format = WeightSources.detect(path);
        WeightSource source = WeightSources.open(path);
        try {
            return switch (format) {
                case LLAMA2C -> new Model(Families.LLAMA2C, ModelConfig.fromLlama2c(source.metadata()), source, path);
                case HF_DIRECTORY -> {
                    Object type = source.metadata().get("model_type");
                    if ("bert".equals(type)) {
                        yield openBert(source, path);
                    }
                    if (!HF_LLAMA_TYPES.contains(String.valueOf(type))) {
                        throw new ModelFormatException(path, null, "model_type '" + type
                                + "' has no family description yet (known: bert, " + HF_LLAMA_TYPES + ")");
                    }
                    ModelConfig c = ModelConfig.fromHfConfig(source.metadata());
                    if (!c.tiedEmbeddings() && !source.has(Families.LLAMA.tensorName(TensorRole.LM_HEAD))) {
                        c = new ModelConfig(c.hiddenSize(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                                c.intermediateSize(), c.vocabSize(), c.maxSeq(), c.normEps(), c.ropeTheta(), true);
                    }
                    yield new Model(Families.LLAMA, c, source, path);
                }
                default -> throw new ModelFormatException(path, null, format
                        + " checkpoints have no family description yet; the forward pass runs llama2.c and HF LLaMA");
            };
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** HF BERT: the family's activation from config.json; the MLM decoder is tied unless the checkpoint has one. */
    private static Model openBert(WeightSource source, Path path) {
        ModelFamily family;
        ModelConfig c;
        try {
            family = Families.bert((String) source.metadata().get("hidden_act"));
            c = ModelConfig.fromBertConfig(source.metadata());
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new ModelFormatException(path.resolve("config.json"), null, e.getMessage());
        }
        boolean tied = !source.has(family.tensorName(TensorRole.LM_HEAD));
        c = new ModelConfig(c.hiddenSize(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.intermediateSize(),
                c.vocabSize(), c.maxSeq(), c.normEps(), c.ropeTheta(), tied);
        return new Model(family, c, source, path);
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
