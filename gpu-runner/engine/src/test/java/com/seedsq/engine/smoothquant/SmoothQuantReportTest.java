package com.seedsq.engine.smoothquant;

import com.seedsq.engine.calib.CalibrationSpec;
import com.seedsq.engine.calib.ProgressListener;
import com.seedsq.engine.format.llama2c.Llama2cHeader;
import com.seedsq.engine.model.Model;
import com.seedsq.engine.quant.Granularity;
import com.seedsq.engine.testutil.RandomLlama2c;
import com.seedsq.engine.testutil.SharedData;
import com.seedsq.engine.tokenizer.sentencepiece.SentencePieceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The facade's report: structure on a random model, and the stories260K variant table (full run on request). */
class SmoothQuantReportTest {

    @TempDir
    Path tmp;

    @Test
    void reportOnARandomModelHasEveryPart() throws Exception {
        Path f = tmp.resolve("rand.bin");
        RandomLlama2c.write(f, new Llama2cHeader(32, 48, 2, 4, 2, 40, 64, true), 9);
        int[] ids = new int[1000];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) {
            ids[i] = 2 + (i * 7 + i / 11) % 38;
        }
        SmoothQuant.ReportSpec spec = new SmoothQuant.ReportSpec(new EvalSpec(64, 126), new CalibrationSpec(6, 64),
                0.5, Granularity.TENSOR, SiteSelection.FOLDABLE, List.of(Variant.values()), 2,
                QuantConfig.Execution.INT8);
        List<Double> fractions = new ArrayList<>();
        try (Model model = Model.open(f)) {
            SmoothQuantReport r = SmoothQuant.report(model, ids, ids, 1, spec, tmp.resolve("cache"),
                    (fr, m) -> fractions.add(fr));
            assertEquals(6, r.variants().size());
            for (VariantResult v : r.variants()) {
                assertEquals(126, v.tokens(), v.variant());
                assertEquals(2, v.windows());
                assertTrue(Double.isFinite(v.perplexity()) && v.perplexity() > 1, v.toString());
            }
            assertNull(r.variant("naive").alpha());
            assertEquals("0.5", r.variant("o1").alpha());
            assertEquals(4, r.variant("o1").alphas().size());
            assertEquals("static", r.variant("o3").activations());
            assertEquals(8, r.atlas().size());
            assertEquals(4, r.atlas().stream().filter(SiteAtlas::smoothed).count());
            r.atlas().forEach(a -> assertTrue(a.before().ratio() >= 1 && a.topBefore().size() == 5, a.toString()));
            assertEquals(14, r.errors().size());
            assertEquals("O1", r.errorLevel());
            assertTrue(r.int8Bytes() > 0 && r.int8Bytes() < r.fp32Bytes());
            assertEquals(6 * 64, r.calibTokens());
            assertFalse(r.calibKey().isEmpty());
            assertTrue(Files.exists(tmp.resolve("cache").resolve("calib-" + r.calibKey() + ".safetensors")));
            for (int i = 1; i < fractions.size(); i++) {
                assertTrue(fractions.get(i) >= fractions.get(i - 1) - 1e-12, "progress went back at " + i);
            }
            assertEquals(1.0, fractions.getLast());
            System.out.print(r.table());

            // evaluation head and calibration tail of the same stream must not overlap
            SmoothQuant.ReportSpec overlapping = new SmoothQuant.ReportSpec(new EvalSpec(64, 900),
                    new CalibrationSpec(6, 64), 0.5, Granularity.TENSOR, SiteSelection.FOLDABLE,
                    List.of(Variant.FP32), 0, QuantConfig.Execution.INT8);
            assertThrows(IllegalArgumentException.class,
                    () -> SmoothQuant.report(model, ids, ids, 1, overlapping, null, ProgressListener.NONE));
        }
    }

    /**
     * The full stories260K table (WikiText-2, first 32,640 tokens, calibration = last 64 windows): about a minute or
     * two on two cores, so only with {@code -Dsq.smoothquant.full=true}.
     */
    @Test
    void stories260KVariantTable() {
        assumeTrue(Boolean.getBoolean("sq.smoothquant.full"), "set -Dsq.smoothquant.full=true for the full table");
        String text = SharedData.read(SharedData.require("text/wikitext-2-raw-test.txt"));
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(SharedData.tokenizer());
        try (Model model = Model.open(SharedData.model())) {
            for (Granularity g : new Granularity[]{Granularity.TENSOR, Granularity.CHANNEL}) {
                SmoothQuantReport r = SmoothQuant.report(model, tok, text, text,
                        SmoothQuant.ReportSpec.defaults(0.5).withWeights(g), tmp, ProgressListener.NONE);
                System.out.println("stories260K, WikiText-2, alpha 0.5, weights per " + g + ":");
                System.out.print(r.table());
                double fp32 = r.variant("fp32").perplexity();
                assertEquals(32_640, r.variant("fp32").tokens());
                assertEquals(fp32, r.variant("fp16").perplexity(), 0.01 * fp32);
                // a model without outliers: every W8A8 variant stays within a few percent of FP32
                for (String v : new String[]{"naive", "o1", "o2", "o3"}) {
                    assertEquals(fp32, r.variant(v).perplexity(), 0.05 * fp32, v);
                }
            }
        }
    }
}
