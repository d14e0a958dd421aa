package com.seedsq.engine.model;

import com.seedsq.engine.format.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * RoPE scaling: the inverse-frequency math against values worked out by hand from transformers'
 * {@code _compute_llama3_parameters}, both config spellings (transformers 5's {@code rope_parameters} and the older
 * {@code rope_theta} / {@code rope_scaling}), and the refusal of every rope_type the engine does not implement.
 */
class RopeScalingTest {

    @TempDir
    Path tmp;

    private static void assertRel(double want, float got, String what) {
        assertEquals(want, got, 1e-6 * Math.abs(want), what);
    }

    @Test
    void defaultFrequenciesAreThetaToTheMinus2iOverD() {
        float[] f = RopeScaling.NONE.inverseFrequencies(10000, 8);
        assertEquals(4, f.length);
        assertRel(1, f[0], "i=0");
        assertRel(0.1, f[1], "i=1: 10000^(-2/8)");
        assertRel(0.01, f[2], "i=2: 10000^(-4/8)");
        assertRel(0.001, f[3], "i=3: 10000^(-6/8)");
        // what the kernels used before scaling existed: the same floats
        assertArrayEquals(RopeScaling.defaultInverseFrequencies(10000, 8), f);
    }

    /**
     * Llama 3.1's own numbers: θ 500000, head_dim 128, factor 8, low 1, high 4, original 8192; so wavelengths
     * below 8192/4 = 2048 keep their frequency, those above 8192/1 = 8192 are divided by 8.
     */
    @Test
    void llama3FrequenciesMatchHandComputedValues() {
        float[] f = RopeScaling.llama3(8, 1, 4, 8192).inverseFrequencies(500000, 128);
        assertEquals(64, f.length);
        // i = 0: inv 1, wavelength 2 pi = 6.28 < 2048: high frequency, unchanged
        assertRel(1.0, f[0], "i=0");
        // i = 20: inv 500000^(-40/128) = 0.0165604, wavelength 379.4 < 2048: unchanged
        assertRel(0.016560440080994446, f[20], "i=20");
        // i = 30: inv 500000^(-60/128) = 0.00213112, wavelength 2948.3 in [2048, 8192]: smooth = (8192/2948.3 - 1)
        // / (4 - 1) = 0.592844, inv * ((1 - smooth) / 8 + smooth) = 0.00213112 * 0.643743 = 0.00137189
        assertRel(0.0013718935677611381, f[30], "i=30");
        // i = 48: inv 500000^(-96/128) = 5.3183e-5, wavelength 118143 > 8192: low frequency, divided by 8
        assertRel(5.318295896944989e-05 / 8, f[48], "i=48");
        assertRel(2.455140791131609e-06 / 8, f[63], "i=63");
    }

    /** The case in hf-reference/llama3-rope-scaling: θ 500000, head_dim 16, factor 8, low 1, high 4, original 16. */
    @Test
    void llama3FrequenciesOfTheReferenceCase() {
        float[] f = RopeScaling.llama3(8, 1, 4, 16).inverseFrequencies(500000, 16);
        // i = 0: wavelength 2 pi in [16/4, 16/1]: smooth = (16 / 2pi - 1) / 3 = 0.515493, 1 * (0.484507/8 + 0.515493)
        assertRel(0.5760564010955116, f[0], "i=0");
        // i = 1: inv 500000^(-2/16) = 0.193923, wavelength 32.4 > 16: divided by 8
        assertRel(0.19392274474868576 / 8, f[1], "i=1");
        assertRel(1.031338537721246e-05 / 8, f[7], "i=7");
    }

    @Test
    void linearDividesEveryFrequencyByTheFactor() {
        float[] plain = RopeScaling.NONE.inverseFrequencies(10000, 16);
        float[] lin = RopeScaling.linear(4).inverseFrequencies(10000, 16);
        for (int i = 0; i < plain.length; i++) {
            assertRel(plain[i] / 4.0, lin[i], "i=" + i);
        }
    }

    // ------------------------------------------------------------------------------------------- HF configs

    private static Map<String, Object> llama(Map<String, Object> extra) {
        Map<String, Object> cfg = new HashMap<>(Map.of("model_type", "llama", "hidden_size", 64,
                "num_attention_heads", 4, "num_key_value_heads", 2, "num_hidden_layers", 2, "intermediate_size", 96,
                "vocab_size", 64));
        cfg.putAll(extra);
        return cfg;
    }

    @Test
    void transformers5RopeParametersAreRead() {
        ModelConfig c = ModelConfig.fromHfConfig(llama(Map.of("rope_parameters", Map.of("rope_theta", 500000.0,
                "rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0, "high_freq_factor", 4.0,
                "original_max_position_embeddings", 16))));
        assertEquals(500000f, c.ropeTheta());
        assertEquals(RopeScaling.llama3(8, 1, 4, 16), c.ropeScaling());
        ModelConfig plain = ModelConfig.fromHfConfig(llama(Map.of("rope_parameters",
                Map.of("rope_theta", 123.0, "rope_type", "default"))));
        assertEquals(123f, plain.ropeTheta());
        assertSame(RopeScaling.NONE, plain.ropeScaling());
    }

    @Test
    void olderRopeThetaAndRopeScalingAreRead() {
        Map<String, Object> nullScaling = new HashMap<>(Map.of("rope_theta", 500000.0));
        nullScaling.put("rope_scaling", null);
        ModelConfig c = ModelConfig.fromHfConfig(llama(nullScaling));
        assertEquals(500000f, c.ropeTheta());
        assertSame(RopeScaling.NONE, c.ropeScaling());
        // transformers 4.3x wrote "type"; later 4.x "rope_type"
        assertEquals(RopeScaling.linear(2), ModelConfig.fromHfConfig(llama(Map.of("rope_theta", 10000.0,
                "rope_scaling", Map.of("type", "linear", "factor", 2.0)))).ropeScaling());
        ModelConfig l3 = ModelConfig.fromHfConfig(llama(Map.of("rope_theta", 500000.0, "rope_scaling",
                Map.of("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0, "high_freq_factor", 4.0,
                        "original_max_position_embeddings", 8192))));
        assertEquals(500000f, l3.ropeTheta());
        assertEquals(RopeScaling.llama3(8, 1, 4, 8192), l3.ropeScaling());
        assertEquals(10000f, ModelConfig.fromHfConfig(llama(Map.of())).ropeTheta(), "LlamaConfig's default θ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yarn", "dynamic", "longrope", "su", "proportional"})
    void otherRopeTypesAreRefusedNamingThem(String type) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromHfConfig(
                llama(Map.of("rope_parameters", Map.of("rope_theta", 10000.0, "rope_type", type, "factor", 4.0)))));
        assertTrue(e.getMessage().contains("'" + type + "'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromHfConfig(
                llama(Map.of("rope_scaling", Map.of("type", type, "factor", 4.0)))));
        assertTrue(e.getMessage().contains("'" + type + "'"), e.getMessage());
        // every RoPE family's parser refuses it, not only LLaMA's
        Map<String, Object> p = Map.of("rope_parameters", Map.of("rope_theta", 10000.0, "rope_type", type));
        Map<String, Object> neox = new HashMap<>(Map.of("hidden_size", 32, "num_attention_heads", 4,
                "num_hidden_layers", 2, "intermediate_size", 64, "vocab_size", 64));
        neox.putAll(p);
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromGptNeox(neox));
        Map<String, Object> falcon = new HashMap<>(neox);
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromFalcon(falcon));
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromMixtral(falcon));
    }

    @Test
    void llama3WithoutItsParametersIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromHfConfig(
                llama(Map.of("rope_parameters", Map.of("rope_theta", 500000.0, "rope_type", "llama3", "factor", 8.0,
                        "low_freq_factor", 1.0, "high_freq_factor", 4.0)))));
        assertTrue(e.getMessage().contains("original_max_position_embeddings"), e.getMessage());
    }

    /** Model.open turns the refusal into a ModelFormatException on config.json that still names the rope type. */
    @Test
    void modelOpenRefusesAnUnsupportedRopeTypeNamingIt() throws Exception {
        URL url = getClass().getResource("/hf-reference/llama");
        Path src = url != null ? Path.of(url.toURI()) : Path.of("src/test/resources/hf-reference/llama");
        Path dir = Files.createDirectories(tmp.resolve("yarn"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String cfg = Files.readString(src.resolve("config.json"));
        assertTrue(cfg.contains("\"rope_type\": \"default\""), cfg);
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"rope_type\": \"default\"",
                "\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 16"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.open(dir).close());
        assertTrue(e.getMessage().contains("yarn") && e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void neoxPartialRotaryInEitherSpelling() {
        Map<String, Object> base = Map.of("hidden_size", 64, "num_attention_heads", 4, "num_hidden_layers", 2,
                "intermediate_size", 64, "vocab_size", 64); // head_dim 16
        Map<String, Object> v5 = new HashMap<>(base);
        v5.put("rope_parameters", Map.of("rope_theta", 20000.0, "rope_type", "default", "partial_rotary_factor", 0.5));
        ModelConfig c = ModelConfig.fromGptNeox(v5);
        assertEquals(8, c.rotaryDim());
        assertEquals(20000f, c.ropeTheta());
        Map<String, Object> v4 = new HashMap<>(base);
        v4.putAll(Map.of("rotary_pct", 0.25, "rotary_emb_base", 30000));
        c = ModelConfig.fromGptNeox(v4);
        assertEquals(4, c.rotaryDim());
        assertEquals(30000f, c.ropeTheta());
        Map<String, Object> top = new HashMap<>(base);
        top.putAll(Map.of("partial_rotary_factor", 1.0, "rope_theta", 40000.0));
        c = ModelConfig.fromGptNeox(top);
        assertEquals(16, c.rotaryDim());
        assertEquals(40000f, c.ropeTheta());
    }

    @Test
    void falconAndMixtralReadThetaFromRopeParameters() {
        Map<String, Object> falcon = new HashMap<>(Map.of("hidden_size", 32, "num_attention_heads", 4,
                "num_hidden_layers", 2, "vocab_size", 64, "new_decoder_architecture", true, "num_kv_heads", 2));
        assertEquals(10000f, ModelConfig.fromFalcon(falcon).ropeTheta(), "FalconConfig's default");
        falcon.put("rope_parameters", Map.of("rope_theta", 50000.0, "rope_type", "default"));
        assertEquals(50000f, ModelConfig.fromFalcon(falcon).ropeTheta());
        Map<String, Object> mixtral = new HashMap<>(Map.of("model_type", "mixtral", "hidden_size", 32,
                "num_attention_heads", 4, "num_hidden_layers", 2, "intermediate_size", 48, "vocab_size", 64));
        assertEquals(1e6f, ModelConfig.fromMixtral(mixtral).ropeTheta(), "MixtralConfig's default");
        mixtral.put("rope_parameters", Map.of("rope_theta", 2e6, "rope_type", "default"));
        assertEquals(2e6f, ModelConfig.fromMixtral(mixtral).ropeTheta());
    }

    @Test
    void ggufRopeScalingIsRefused() {
        Map<String, Object> md = new LinkedHashMap<>(Map.of("general.architecture", "llama",
                "llama.embedding_length", 64, "llama.attention.head_count", 4, "llama.block_count", 2,
                "llama.feed_forward_length", 96));
        assertSame(RopeScaling.NONE, ModelConfig.fromGguf(md, 64).ropeScaling());
        md.put("llama.rope.scaling.type", "none");
        assertSame(RopeScaling.NONE, ModelConfig.fromGguf(md, 64).ropeScaling());
        md.put("llama.rope.scaling.type", "yarn");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.fromGguf(md, 64));
        assertTrue(e.getMessage().contains("yarn"), e.getMessage());
    }

    @Test
    void perLayerTypeRopeParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromHfConfig(llama(Map.of("rope_parameters",
                Map.of("full_attention", Map.of("rope_theta", 1e6, "rope_type", "default"),
                        "sliding_attention", Map.of("rope_theta", 1e4, "rope_type", "default"))))));
    }

    @Test
    void badScalingParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> RopeScaling.linear(0));
        assertThrows(IllegalArgumentException.class, () -> RopeScaling.llama3(8, 4, 1, 8192));
        assertThrows(IllegalArgumentException.class, () -> RopeScaling.llama3(8, 1, 4, 0));
        assertEquals(List.of("default", "linear", "llama3"),
                java.util.Arrays.stream(RopeScaling.Type.values()).map(RopeScaling.Type::hfName).toList());
    }
}
