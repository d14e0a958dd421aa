package com.seedsq.api.testing;

import com.seedsq.engine.format.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a small random-weight Hugging Face LLaMA directory (config.json + model.safetensors), with optional defects,
 * for upload tests that need the safetensors path rather than llama2.c.
 */
public final class TinyHfLlama {

    public enum Defect { NONE, WRONG_SHAPE, MISSING_TENSOR, UNKNOWN_ARCHITECTURE }

    private TinyHfLlama() {
    }

    public static Path write(Path dir, Defect defect) throws IOException {
        Files.createDirectories(dir);
        int d = 16, ff = 32, vocab = 32, kv = 8;
        String type = defect == Defect.UNKNOWN_ARCHITECTURE ? "gpt_bigcode" : "llama";
        Files.writeString(dir.resolve("config.json"), """
                {"architectures":["LlamaForCausalLM"],"model_type":"%s","hidden_size":%d,"intermediate_size":%d,
                 "num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"vocab_size":%d,
                 "max_position_embeddings":64,"rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":false,
                 "torch_dtype":"float32"}""".formatted(type, d, ff, vocab));
        Random r = new Random(3);
        String l = "model.layers.0.";
        SafetensorsWriter w = new SafetensorsWriter();
        add(w, r, "model.embed_tokens.weight", vocab, d);
        w.addF32(l + "input_layernorm.weight", new long[] {d}, ones(d));
        add(w, r, l + "self_attn.q_proj.weight", defect == Defect.WRONG_SHAPE ? d + 1 : d, d);
        add(w, r, l + "self_attn.k_proj.weight", kv, d);
        add(w, r, l + "self_attn.v_proj.weight", kv, d);
        add(w, r, l + "self_attn.o_proj.weight", d, d);
        w.addF32(l + "post_attention_layernorm.weight", new long[] {d}, ones(d));
        add(w, r, l + "mlp.gate_proj.weight", ff, d);
        add(w, r, l + "mlp.up_proj.weight", ff, d);
        if (defect != Defect.MISSING_TENSOR) {
            add(w, r, l + "mlp.down_proj.weight", d, ff);
        }
        w.addF32("model.norm.weight", new long[] {d}, ones(d));
        add(w, r, "lm_head.weight", vocab, d);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static void add(SafetensorsWriter w, Random r, String name, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.1);
        }
        w.addF32(name, new long[] {rows, cols}, v);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
