package com.seedsq.api.testing;

import com.seedsq.engine.format.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes a small random-weight Hugging Face BERT directory (BertForMaskedLM names, config.json, model.safetensors
 * and a WordPiece vocab.txt), and a text made of its words, for masked-LM jobs that need nothing from ../shared.
 */
public final class TinyHfBert {

    /** The vocabulary's ordinary words; the text is drawn from them, so every WordPiece is a whole word. */
    public static final List<String> WORDS = List.of("the", "a", "model", "runs", "fast", "small", "int8", "weights",
            "scale", "token", "layer", "norm", "quiet", "loud", "channel", "value", "and", "of", "is", "on");

    private TinyHfBert() {
    }

    public static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ","));
        vocab.addAll(WORDS);
        int d = 16, ff = 32, layers = 2, v = vocab.size(), positions = 128;
        Files.write(dir.resolve("vocab.txt"), vocab);
        Files.writeString(dir.resolve("config.json"), """
                {"architectures":["BertForMaskedLM"],"model_type":"bert","hidden_size":%d,"intermediate_size":%d,
                 "num_hidden_layers":%d,"num_attention_heads":2,"vocab_size":%d,"max_position_embeddings":%d,
                 "type_vocab_size":2,"hidden_act":"gelu","layer_norm_eps":1e-12}""".formatted(d, ff, layers, v,
                positions));
        Random r = new Random(5);
        SafetensorsWriter w = new SafetensorsWriter();
        add(w, r, "bert.embeddings.word_embeddings.weight", v, d);
        add(w, r, "bert.embeddings.position_embeddings.weight", positions, d);
        add(w, r, "bert.embeddings.token_type_embeddings.weight", 2, d);
        norm(w, "bert.embeddings.LayerNorm", d);
        for (int l = 0; l < layers; l++) {
            String p = "bert.encoder.layer." + l + ".";
            linear(w, r, p + "attention.self.query", d, d);
            linear(w, r, p + "attention.self.key", d, d);
            linear(w, r, p + "attention.self.value", d, d);
            linear(w, r, p + "attention.output.dense", d, d);
            norm(w, p + "attention.output.LayerNorm", d);
            linear(w, r, p + "intermediate.dense", ff, d);
            linear(w, r, p + "output.dense", d, ff);
            norm(w, p + "output.LayerNorm", d);
        }
        linear(w, r, "cls.predictions.transform.dense", d, d);
        norm(w, "cls.predictions.transform.LayerNorm", d);
        w.addF32("cls.predictions.bias", new long[] {v}, new float[v]);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    /** {@code words} words of the vocabulary, in sentences, deterministic. */
    public static String text(int words) {
        Random r = new Random(11);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(WORDS.get(r.nextInt(WORDS.size()))).append(i % 12 == 11 ? ".\n" : " ");
        }
        return sb.toString();
    }

    private static void linear(SafetensorsWriter w, Random r, String name, int out, int in) {
        add(w, r, name + ".weight", out, in);
        w.addF32(name + ".bias", new long[] {out}, new float[out]);
    }

    private static void norm(SafetensorsWriter w, String name, int d) {
        float[] ones = new float[d];
        java.util.Arrays.fill(ones, 1f);
        w.addF32(name + ".weight", new long[] {d}, ones);
        w.addF32(name + ".bias", new long[] {d}, new float[d]);
    }

    private static void add(SafetensorsWriter w, Random r, String name, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.2);
        }
        w.addF32(name, new long[] {rows, cols}, v);
    }
}
