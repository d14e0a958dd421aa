package com.seedsq.engine.cli;

import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class MainTest {

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
        JsonNode json() {
            return JsonMapper.builder().build().readTree(out);
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void infoAndLogitsOnStories260K() {
        String model = SharedData.model().toString();
        Result info = run("info", model, "--json");
        assertEquals(0, info.code(), info.err());
        JsonNode j = info.json();
        assertEquals("llama", j.get("architecture").asString());
        assertEquals(260_032, j.get("parameters").asLong());
        assertEquals(264_128, j.get("storedFloats").asLong()); // the README counts the legacy RoPE tables too
        assertEquals(5, j.get("layers").asInt());
        assertEquals(64, j.get("hiddenSize").asInt());
        assertEquals(512, j.get("vocabSize").asInt());
        assertEquals("F32", j.get("dtype").asString());

        Result logits = run("logits", model, "--tokens", "1,403,407", "--json");
        assertEquals(0, logits.code(), logits.err());
        JsonNode rows = logits.json().get("logits");
        assertEquals(3, rows.size());
        assertEquals(512, rows.get(0).size());
        // first value of the reference CSV, row 0: -6.22291
        assertEquals(-6.22291, rows.get(0).get(0).asDouble(), 1e-4 * 6.22291);
    }

    @Test
    void evalAndGenerateOnRandomModelWithJsonOnStdout() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Path model = dir.resolve("tiny.bin");
        // a random model and a synthetic 512-piece vocabulary beside it (picked up as the default tokenizer)
        RandomLlama2c.write(model, new com.seedsq.engine.format.llama2c.Llama2cHeader(16, 24, 1, 2, 1, 512, 64, true),
                4);
        RandomLlama2c.writeTokenizer(dir.resolve("tok512.bin"), 512);
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "Once upon a time there was a cat. ".repeat(20));
        Result eval = run("eval", model.toString(), "--text", text.toString(), "--seq-len", "32", "--json");
        assertEquals(0, eval.code(), eval.err());
        JsonNode j = eval.json();
        assertEquals("perplexity", j.get("metric").asString());
        assertTrue(j.get("value").asDouble() > 1);
        assertEquals(j.get("streamTokens").asLong(), j.get("count").asLong());

        // documents split on a separator: each is scored on its own, so BOS-to-first-token is scored per document
        Files.writeString(text, "Once upon a time.<|endoftext|>\n The cat sat.\n<|endoftext|>");
        Result split = run("eval", model.toString(), "--text", text.toString(), "--split", "<|endoftext|>", "--json");
        assertEquals(0, split.code(), split.err());
        assertEquals(2, split.json().get("windows").asInt());

        // an INT8 variant with the LM head in INT8 too reports it; an FP variant refuses the option
        Files.writeString(text, "Once upon a time there was a cat. ".repeat(20));
        Result head = run("eval", model.toString(), "--text", text.toString(), "--seq-len", "32", "--variant", "o1",
                "--calib-tokens", "96", "--max-tokens", "96", "--int8-head", "--json");
        assertEquals(0, head.code(), head.err());
        assertEquals("int8", head.json().get("head").asString());
        Result refused = run("eval", model.toString(), "--text", text.toString(), "--int8-head", "--json");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("--int8-head"), refused.err());

        Result gen = run("generate", model.toString(), "--prompt", "Once", "--steps", "5", "--json");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.json().get("text").asString().startsWith("Once"));
        // prompt = BOS " " "O" "n" "ce" (the only merge the synthetic vocabulary offers), then at most 5 new tokens
        int generated = gen.json().get("generated").asInt();
        assertTrue(generated <= 5);
        assertEquals(5 + generated, gen.json().get("tokens").size());
    }

    @Test
    void quantizeReportsTheVariantsAndExportsTheInt8Model() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("q"));
        Path model = dir.resolve("tiny.bin");
        RandomLlama2c.write(model, new com.seedsq.engine.format.llama2c.Llama2cHeader(16, 24, 1, 2, 1, 512, 64, true),
                4);
        RandomLlama2c.writeTokenizer(dir.resolve("tok512.bin"), 512);
        Path text = tmp.resolve("calib.txt");
        Files.writeString(text, "Once upon a time there was a cat. ".repeat(200));
        Path out = tmp.resolve("int8");
        Result r = run("quantize", model.toString(), "--calib", text.toString(), "--calib-tokens", "248",
                "--seq-len", "32", "--max-tokens", "310", "--level", "O3", "--weights", "channel", "--out",
                out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode variants = r.json().get("variants");
        assertEquals(3, variants.size());
        assertEquals("o3", variants.get(2).get("variant").asString());
        assertTrue(variants.get(2).get("perplexity").asDouble() > 1);
        for (String f : new String[] {"config.json", "model.safetensors", "sq_export.json", "tok512.bin",
                "report.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertTrue(Files.readString(out.resolve("config.json")).contains("compressed-tensors"));
        assertEquals(2, run("quantize", model.toString(), "--calib", text.toString(), "--alpha", "1.5").code());
    }

    @Test
    void badInputExitsWith2AndOneLineNamingTheProblem() throws Exception {
        Path cut = tmp.resolve("cut.bin");
        RandomLlama2c.write(cut, RandomLlama2c.tinyHeader(true), 1);
        byte[] b = Files.readAllBytes(cut);
        Files.write(cut, java.util.Arrays.copyOf(b, b.length - 100)); // cut inside the last block (a RoPE table)
        Result r = run("info", cut.toString(), "--json");
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("cut.bin") && r.err().contains("freq_cis_imag") && r.err().contains("69276 bytes (expected)"), r.err());

        assertEquals(2, run("info").code());
        assertEquals(2, run("frobnicate", cut.toString()).code());
        assertEquals(2, run("info", tmp.resolve("missing.bin").toString()).code());
        Path ok = tmp.resolve("ok.bin");
        RandomLlama2c.write(ok, RandomLlama2c.tinyHeader(true), 1);
        assertEquals(2, run("logits", ok.toString(), "--tokens", "1,x").code());
        assertEquals(2, run("logits", ok.toString(), "--tokens", "1,40").code()); // vocab is 40
        assertEquals(2, run("info", ok.toString(), "--bogus", "1").code());
    }
}
