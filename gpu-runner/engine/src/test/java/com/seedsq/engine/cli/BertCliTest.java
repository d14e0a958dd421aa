package com.seedsq.engine.cli;

import com.seedsq.engine.testutil.RandomBert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code sq info|eval|quantize|import-tf-bert} on BERT, with a small random BERT so nothing needs the jar. */
class BertCliTest {

    @TempDir
    Path tmp;

    private Path bert() {
        return new RandomBert(32, 2, 4, 64, 128, "gelu_pytorch_tanh", 8, 20f).write(tmp.resolve("bert"));
    }

    private Path text(int words) throws Exception {
        Path f = tmp.resolve("text.txt");
        Files.writeString(f, RandomBert.text(words, 2));
        return f;
    }

    @Test
    void infoOnAnHfBertDirectory() {
        MainTest.Result r = MainTest.run("info", bert().toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("bert", j.get("architecture").asString());
        assertEquals(2, j.get("layers").asInt());
        assertTrue(j.get("tiedEmbeddings").asBoolean());
        assertTrue(j.get("tokenizer").asString().endsWith("vocab.txt"));
    }

    @Test
    void evalMlmFp32AndQuantizedVariants() throws Exception {
        String model = bert().toString(), text = text(2600).toString(); // 20 blocks of 126
        MainTest.Result fp = MainTest.run("eval", model, "--text", text, "--metric", "mlm", "--sequences", "4",
                "--json");
        assertEquals(0, fp.code(), fp.err());
        JsonNode j = fp.json();
        assertEquals("mlm", j.get("metric").asString());
        assertEquals(4 * 19, j.get("count").asInt());
        assertEquals(j.get("accuracy").asDouble(), j.get("value").asDouble());
        assertTrue(j.get("pseudoPerplexity").asDouble() > 1);
        assertEquals("fp32", j.get("variant").asString());

        MainTest.Result o1 = MainTest.run("eval", model, "--text", text, "--metric", "mlm", "--sequences", "4",
                "--variant", "o1", "--alpha", "auto", "--weights", "channel", "--calib-sequences", "8", "--json");
        assertEquals(0, o1.code(), o1.err());
        JsonNode q = o1.json();
        assertEquals("o1", q.get("variant").asString());
        assertEquals("channel", q.get("weights").asString());
        assertEquals("token", q.get("activations").asString());
        assertEquals(8, q.get("calibSequences").asInt());
        assertEquals(4 * 19, q.get("count").asInt());
        assertNotEquals(j.get("nll").asDouble(), q.get("nll").asDouble(), "INT8 changed nothing");

        MainTest.Result overlap = MainTest.run("eval", model, "--text", text, "--metric", "mlm", "--sequences", "15",
                "--variant", "o2", "--calib-sequences", "8");
        assertEquals(2, overlap.code());
        assertTrue(overlap.err().contains("overlap"), overlap.err());
        MainTest.Result tokens = MainTest.run("eval", model, "--text", text, "--sequences", "2", "--variant", "o1",
                "--calib-tokens", "1000");
        assertEquals(2, tokens.code());
        assertTrue(tokens.err().contains("--calib-sequences"), tokens.err());
        MainTest.Result badSite = MainTest.run("eval", model, "--text", text, "--sequences", "2", "--variant", "o1",
                "--sites", "attn_in,nope", "--calib-sequences", "2");
        assertEquals(2, badSite.code());
        assertTrue(badSite.err().contains("nope") && badSite.err().contains("w2_in"), badSite.err());
        MainTest.Result ppl = MainTest.run("eval", model, "--text", text, "--metric", "perplexity");
        assertEquals(2, ppl.code());
        assertTrue(ppl.err().contains("--metric mlm"), ppl.err());
    }

    @Test
    void quantizeReportsMaskedLmRowsAndExports() throws Exception {
        String model = bert().toString(), text = text(2600).toString();
        Path out = tmp.resolve("int8");
        MainTest.Result r = MainTest.run("quantize", model, "--calib", text, "--calib-sequences", "6", "--sequences",
                "4", "--level", "O2", "--alpha", "0.5", "--sites", "attn_in,ffn_in", "--out", out.toString(),
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("mlm", j.get("metric").asString());
        assertEquals("attn_in,ffn_in", j.get("sites").asString().toLowerCase());
        assertEquals(3, j.get("variants").size());
        for (JsonNode v : j.get("variants")) {
            assertEquals("mlm", v.get("metric").asString());
            assertTrue(v.get("accuracy").isNumber(), v.toString());
            assertEquals(4 * 19, v.get("tokens").asInt());
        }
        JsonNode o2 = j.get("variants").get(2);
        assertEquals("o2", o2.get("variant").asString());
        assertEquals(4, o2.get("alphas").size(), "attn_in and ffn_in of 2 layers smoothed: " + o2.get("alphas"));
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("report.json")));
        assertTrue(Files.isRegularFile(out.resolve("vocab.txt")));
    }

    @Test
    void importRejectsWhatIsNotABertSource() throws Exception {
        Path notAModel = tmp.resolve("x.txt");
        Files.writeString(notAModel, "hello");
        MainTest.Result r = MainTest.run("import-tf-bert", notAModel.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("x.txt"), r.err());
        MainTest.Result noOut = MainTest.run("import-tf-bert", notAModel.toString());
        assertEquals(2, noOut.code());
        assertTrue(noOut.err().contains("--out"), noOut.err());
    }
}
