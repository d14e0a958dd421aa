package com.seedsq.engine.format.gguf;

import com.seedsq.engine.format.ModelFormatException;
import com.seedsq.engine.format.WeightSource;
import com.seedsq.engine.forward.Transformer;
import com.seedsq.engine.kernel.VectorKernels;
import com.seedsq.engine.model.Families;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.model.ModelConfig;
import com.seedsq.engine.model.TensorRole;
import com.seedsq.engine.smoothquant.Fp16Weights;
import com.seedsq.engine.tensor.DType;
import com.seedsq.engine.tensor.TensorData;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceVocab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static com.seedsq.engine.format.gguf.GgufTestWriter.le;
import static com.seedsq.engine.format.gguf.GgufTestWriter.string;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A LLaMA GGUF through {@code Model.open}: stories260K (or, without shared data, a generated tiny llama2.c model)
 * is rewritten the way llama.cpp stores it (its tensor names, ggml dims innermost first, q/k rows in the
 * interleaved RoPE order that llama2.c already uses, vocabulary in {@code tokenizer.ggml.*}) and must give the
 * llama2.c path's logits and tokens.
 */
public class GgufModelTest {

    @TempDir
    Path dir;

    /** stories260K with its tokenizer, or a random tiny model with a generated one. */
    private Path[] llama2c() {
        if (SharedData.available("models/stories260K/stories260K.bin")) {
            return new Path[]{SharedData.model(), SharedData.tokenizer()};
        }
        System.out.println("GgufModelTest: ../shared/data missing, using a generated tiny model");
        Path bin = dir.resolve("tiny.bin"), tok = dir.resolve("tok.bin");
        // a vocabulary of 512 like stories260K's: the tokenizer check encodes English text, which needs the 256 byte
        // pieces and the printable characters (the 40 ids of tinyHeader stop inside the byte pieces)
        var header = new com.seedsq.engine.format.llama2c.Llama2cHeader(32, 48, 2, 4, 2, 512, 64, false);
        RandomLlama2c.write(bin, header, 3);
        RandomLlama2c.writeTokenizer(tok, header.vocabSize());
        return new Path[]{bin, tok};
    }

    /** BF16 code of {@code x}, rounded to nearest even as llama.cpp's converter does (no NaNs here). */
    static short bf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Writes {@code source}'s weights as a llama.cpp-style GGUF; {@code f16}: matrices as F16. */
    public static void writeGguf(Model source, SentencePieceVocab vocab, Path file, boolean f16) throws IOException {
        writeGguf(source, vocab, file, f16 ? DType.F16 : DType.F32);
    }

    /** As above with the matrices stored as {@code matrices} (F32, F16 or BF16; norms stay F32). */
    static void writeGguf(Model source, SentencePieceVocab vocab, Path file, DType matrices) throws IOException {
        ModelConfig c = source.config();
        GgufTestWriter w = new GgufTestWriter().kvString("general.architecture", "llama")
                .kvU32("llama.context_length", c.maxSeq()).kvU32("llama.embedding_length", c.hiddenSize())
                .kvU32("llama.block_count", c.layers()).kvU32("llama.feed_forward_length", c.intermediateSize())
                .kvU32("llama.attention.head_count", c.heads()).kvU32("llama.attention.head_count_kv", c.kvHeads())
                .kvF32("llama.attention.layer_norm_rms_epsilon", c.normEps())
                .kvU32("llama.rope.dimension_count", c.headDim())
                .kvString("tokenizer.ggml.model", "llama");
        ByteArrayOutputStream tokens = new ByteArrayOutputStream(), scores = new ByteArrayOutputStream();
        for (int i = 0; i < vocab.size(); i++) {
            // llama2.c pieces are raw bytes with plain spaces; GGUF pieces are UTF-8 with U+2581
            String utf8 = new String(vocab.piece(i).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            tokens.writeBytes(string(utf8.replace(' ', '\u2581')));
            scores.writeBytes(le(4).putFloat(vocab.score(i)).array());
        }
        w.kvArray("tokenizer.ggml.tokens", 8, vocab.size(), tokens.toByteArray())
                .kvArray("tokenizer.ggml.scores", 6, vocab.size(), scores.toByteArray())
                .kvU32("tokenizer.ggml.bos_token_id", 1).kvU32("tokenizer.ggml.eos_token_id", 2);
        for (TensorRole role : TensorRole.values()) {
            for (int l = 0; l < (role.perLayer() ? c.layers() : 1); l++) {
                String from = role.perLayer() ? Families.LLAMA2C.tensorName(role, l) : Families.LLAMA2C.tensorName(role);
                if (from == null || !source.weights().has(from)) {
                    continue;
                }
                String to = role.perLayer() ? Families.GGUF_LLAMA.tensorName(role, l) : Families.GGUF_LLAMA.tensorName(role);
                TensorData t = source.weights().tensor(from);
                long[] dims = new long[t.shape().length];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = t.shape()[dims.length - 1 - i]; // ggml: innermost first
                }
                float[] v = t.toFloatArray();
                DType dt = dims.length == 2 ? matrices : DType.F32; // llama.cpp keeps norms in F32
                ByteBuffer b = le(v.length * dt.bytes());
                for (float x : v) {
                    switch (dt) {
                        case F16 -> b.putShort(Float.floatToFloat16(x));
                        case BF16 -> b.putShort(bf16(x));
                        default -> b.putFloat(x);
                    }
                }
                w.tensor(to, dims, dt == DType.F16 ? 1 : dt == DType.BF16 ? 30 : 0, b.array());
            }
        }
        w.write(file);
    }

    @Test
    void ggufLlamaGivesTheLlama2cLogitsAndTokens() throws IOException {
        Path[] src = llama2c();
        SentencePieceVocab vocab = SentencePieceVocab.load(src[1]);
        try (Model ref = Model.open(src[0]); VectorKernels k = new VectorKernels(2)) {
            Path f32 = dir.resolve("m-f32.gguf"), f16 = dir.resolve("m-f16.gguf"), bf = dir.resolve("m-bf16.gguf");
            writeGguf(ref, vocab, f32, false);
            writeGguf(ref, vocab, f16, true);
            writeGguf(ref, vocab, bf, DType.BF16);
            int[] tokens = {1, 403, 407, 261, 9, 300, 11, 7};
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] %= ref.config().vocabSize();
            }
            float[] expected = Transformer.of(ref, k).forward(Transformer.of(ref, k).newCache(), tokens, true);
            // F16 reference: the llama2.c matrices rounded to half as the GGUF writer rounds them (norms stay F32)
            Fp16Weights half = new Fp16Weights(ref.weights());
            WeightSource matricesF16 = new WeightSource() {
                public Set<String> names() {
                    return ref.weights().names();
                }

                public TensorData tensor(String name) {
                    TensorData t = ref.weights().tensor(name);
                    return t.shape().length == 2 ? half.tensor(name) : t;
                }

                public Map<String, Object> metadata() {
                    return ref.weights().metadata();
                }

                public void close() {
                }
            };
            Transformer refF16 = Transformer.load(ref.family(), ref.config(), matricesF16, k, ref.file());
            float[] expectedF16 = refF16.forward(refF16.newCache(), tokens, true);
            // BF16 reference: the same matrices as BF16 tensors built here from the same rounding
            WeightSource matricesBf16 = new WeightSource() {
                public Set<String> names() {
                    return ref.weights().names();
                }

                public TensorData tensor(String name) {
                    TensorData t = ref.weights().tensor(name);
                    if (t.shape().length != 2) {
                        return t;
                    }
                    float[] v = t.toFloatArray();
                    java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(new short[v.length]);
                    for (int i = 0; i < v.length; i++) {
                        seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, i, bf16(v[i]));
                    }
                    return new TensorData(name, DType.BF16, t.shape(), seg);
                }

                public Map<String, Object> metadata() {
                    return ref.weights().metadata();
                }

                public void close() {
                }
            };
            Transformer refBf16 = Transformer.load(ref.family(), ref.config(), matricesBf16, k, ref.file());
            float[] expectedBf16 = refBf16.forward(refBf16.newCache(), tokens, true);
            for (Path p : new Path[]{f32, f16, bf}) {
                try (Model g = Model.open(p)) {
                    assertEquals(Families.GGUF_LLAMA, g.family());
                    assertEquals(ref.config(), g.config(), "config from GGUF metadata");
                    assertEquals(p == f32 ? DType.F32 : p == f16 ? DType.F16 : DType.BF16, g.dtype());
                    Transformer t = Transformer.of(g, k);
                    float[] got = t.forward(t.newCache(), tokens, true);
                    // Same weights, same RoPE layout, same kernels: equal up to the order of the vector lane sums,
                    // which the Vector API leaves unspecified (interpreted and compiled code may differ by an ulp).
                    float[] want = p == f32 ? expected : p == f16 ? expectedF16 : expectedBf16;
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 1e-5f * Math.max(1, Math.abs(want[i])), p.getFileName() + " " + i);
                    }

                    SentencePieceTokenizer embedded = g.embeddedTokenizer().orElseThrow();
                    SentencePieceTokenizer reference = new SentencePieceTokenizer(vocab);
                    String text = "Once upon a time, there was a little girl named Lily.";
                    assertArrayEquals(reference.encode(text, true), embedded.encode(text, true));
                    assertEquals(1, embedded.bos());
                }
            }
        }
    }

    /**
     * W8A8 export of a GGUF model: written under HF LLaMA names with q/k rows permuted to the halves layout, it opens
     * as an HF LLaMA INT8 model that computes what the in-memory quantized GGUF model computes (attention sums in
     * another order: float noise, bound 1e-2 relative as in Int8ExportTest).
     */
    @Test
    void quantizedGgufExportsAsAnHfLlamaCheckpoint() throws IOException {
        Path bin = dir.resolve("tiny.bin"), tok = dir.resolve("tok.bin"), gguf = dir.resolve("tiny.gguf");
        RandomLlama2c.write(bin, RandomLlama2c.tinyHeader(false), 5);
        RandomLlama2c.writeTokenizer(tok, RandomLlama2c.tinyHeader(false).vocabSize());
        try (Model ref = Model.open(bin)) {
            writeGguf(ref, SentencePieceVocab.load(tok), gguf, false);
        }
        try (Model m = Model.open(gguf); VectorKernels k = new VectorKernels(2)) {
            java.util.Random rnd = new java.util.Random(1);
            int[][] windows = new int[4][20];
            for (int[] w : windows) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = rnd.nextInt(m.config().vocabSize());
                }
            }
            var stats = com.seedsq.engine.calib.Calibrator.run(m, k, windows,
                    com.seedsq.engine.calib.ProgressListener.NONE);
            var qc = com.seedsq.engine.smoothquant.QuantConfig.of(com.seedsq.engine.smoothquant.QuantLevel.O1, 0.85,
                    com.seedsq.engine.quant.Granularity.CHANNEL);
            Path out = dir.resolve("int8");
            try (var qm = com.seedsq.engine.smoothquant.SmoothQuant.quantize(m, stats, qc,
                    com.seedsq.engine.calib.ProgressListener.NONE)) {
                com.seedsq.engine.export.Int8Export.write(qm, out, java.util.List.of());
                try (var hf = com.seedsq.engine.export.Int8Import.open(out,
                        com.seedsq.engine.export.Int8Import.Options.defaults().asStored())) {
                    assertEquals(Families.LLAMA, hf.model().family());
                    assertTrue(hf.model().weights().has("model.layers.0.self_attn.q_proj.weight"));
                    double maxDiff = 0, maxAbs = 0;
                    for (int[] w : windows) {
                        Transformer a = qm.transformer(k), b = hf.transformer(k);
                        float[] x = a.forward(a.newCache(), w, true), y = b.forward(b.newCache(), w, true);
                        for (int i = 0; i < x.length; i++) {
                            maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
                            maxAbs = Math.max(maxAbs, Math.abs(x[i]));
                        }
                    }
                    assertTrue(maxDiff < 1e-2 * Math.max(1, maxAbs), "HF-layout import differs by " + maxDiff);
                }
            }
        }
    }

    @Test
    void ggufOfAnotherArchitectureOrWithoutItsKeysIsRefusedNamingWhatIsWrong() throws IOException {
        Path gpt2 = dir.resolve("gpt2.gguf");
        new GgufTestWriter().kvString("general.architecture", "gpt2").tensorF32("token_embd.weight", new long[]{2, 3},
                1, 2, 3, 4, 5, 6).write(gpt2);
        var e = assertThrows(ModelFormatException.class, () -> Model.open(gpt2));
        assertTrue(e.getMessage().contains("general.architecture 'gpt2'"), e.getMessage());

        Path noLayers = dir.resolve("nolayers.gguf");
        new GgufTestWriter().kvString("general.architecture", "llama").kvU32("llama.embedding_length", 3)
                .kvU32("llama.attention.head_count", 1).kvU32("llama.feed_forward_length", 4)
                .tensorF32("token_embd.weight", new long[]{3, 2}, 1, 2, 3, 4, 5, 6).write(noLayers);
        e = assertThrows(ModelFormatException.class, () -> Model.open(noLayers));
        assertTrue(e.getMessage().contains("llama.block_count"), e.getMessage());
    }
}
