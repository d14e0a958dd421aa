package com.seedsq.engine.testutil;

import com.seedsq.engine.format.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small random-weight BERT written as a Hugging Face {@code BertForMaskedLM} directory (config.json,
 * model.safetensors with HF names, vocab.txt), so BERT code paths run without the 408 MB jar. Weights are kept in
 * {@link #weights()} for oracles. Vocabulary: the five specials, then {@link #WORDS}.
 */
public final class RandomBert {

    public static final List<String> WORDS = List.of("the", "cat", "dog", "sat", "on", "mat", "a", "red", "big",
            "small", "ran", "to", "house", "and", "it", "was", "happy", "sad", "day", "night", "sun", "moon", "tree",
            "bird", "sang", ".", ",");

    public final int hidden, layers, heads, ff, vocab, maxPos;
    public final String hiddenAct;
    private final Map<String, float[]> weights = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public RandomBert(int hidden, int layers, int heads, int ff, int maxPos, String hiddenAct, long seed) {
        this(hidden, layers, heads, ff, maxPos, hiddenAct, seed, 0f);
    }

    /**
     * @param outlier if non-zero, hidden channel 1 of every LayerNorm gain is multiplied by it: a crude version of
     *                BERT's outlier channels (308/381), which makes naive per-tensor activation quantization lossy
     */
    public RandomBert(int hidden, int layers, int heads, int ff, int maxPos, String hiddenAct, long seed,
                      float outlier) {
        this.hidden = hidden;
        this.layers = layers;
        this.heads = heads;
        this.ff = ff;
        this.vocab = 5 + WORDS.size();
        this.maxPos = maxPos;
        this.hiddenAct = hiddenAct;
        Random rnd = new Random(seed);
        int d = hidden;
        add("bert.embeddings.word_embeddings.weight", rnd, 0, 1, vocab, d);
        add("bert.embeddings.position_embeddings.weight", rnd, 0, 0.3, maxPos, d);
        add("bert.embeddings.token_type_embeddings.weight", rnd, 0, 0.3, 2, d);
        norm("bert.embeddings.LayerNorm", rnd, d, outlier);
        for (int l = 0; l < layers; l++) {
            String p = "bert.encoder.layer." + l + ".";
            for (String qkv : List.of("query", "key", "value")) {
                linear(p + "attention.self." + qkv, rnd, d, d);
            }
            linear(p + "attention.output.dense", rnd, d, d);
            norm(p + "attention.output.LayerNorm", rnd, d, outlier);
            linear(p + "intermediate.dense", rnd, ff, d);
            linear(p + "output.dense", rnd, d, ff);
            norm(p + "output.LayerNorm", rnd, d, outlier);
        }
        linear("cls.predictions.transform.dense", rnd, d, d);
        norm("cls.predictions.transform.LayerNorm", rnd, d, 0f);
        add("cls.predictions.bias", rnd, 0, 0.3, vocab);
    }

    private void linear(String module, Random rnd, int out, int in) {
        add(module + ".weight", rnd, 0, 1 / Math.sqrt(in), out, in);
        add(module + ".bias", rnd, 0, 0.1, out);
    }

    private void norm(String module, Random rnd, int d, float outlier) {
        add(module + ".weight", rnd, 1, 0.1, d);
        add(module + ".bias", rnd, 0, 0.1, d);
        if (outlier != 0f) {
            weights.get(module + ".weight")[1] *= outlier;
        }
    }

    private void add(String name, Random rnd, double mean, double std, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + std * rnd.nextGaussian());
        }
        weights.put(name, v);
        shapes.put(name, shape);
    }

    public Map<String, float[]> weights() {
        return weights;
    }

    /** Writes config.json, model.safetensors and vocab.txt into {@code dir} (created); returns it. */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            weights.forEach((name, v) -> w.addF32(name, shapes.get(name), v));
            w.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve("config.json"), """
                    {"architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": %d,
                     "hidden_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d,
                     "intermediate_size": %d, "hidden_act": "%s", "max_position_embeddings": %d,
                     "type_vocab_size": 2, "layer_norm_eps": 1e-12, "tie_word_embeddings": true}
                    """.formatted(vocab, hidden, layers, heads, ff, hiddenAct, maxPos));
            List<String> lines = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
            lines.addAll(WORDS);
            Files.write(dir.resolve("vocab.txt"), lines);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code words} random vocabulary words separated by spaces: text the vocabulary tokenizes without [UNK]. */
    public static String text(int words, long seed) {
        Random rnd = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(i == 0 ? "" : " ").append(WORDS.get(rnd.nextInt(WORDS.size())));
        }
        return sb.toString();
    }
}
