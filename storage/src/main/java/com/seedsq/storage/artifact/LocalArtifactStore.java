package com.seedsq.storage.artifact;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An {@link ArtifactStore} in a local directory: key {@code a/b/c} is the file {@code root/a/b/c}. The embedded
 * default, and what a single-machine deployment needs.
 *
 * <p>A put writes a hidden temporary file ({@code .sq-*.partial}) next to the target, forces it to disk, then renames
 * it over the target atomically (same folder, so same file system): readers never see a half-written file, and a
 * failed put deletes its temporary file. Listings skip hidden files, which no key can name. Stored files keep the
 * temporary file's owner-only permissions. Unlike S3, a key cannot also be a folder: with {@code a/b} stored, a put
 * to {@code a} fails.
 *
 * <p>{@link #presignedGetUrl} returns empty: a {@code file:} URI would expose a server path, could not expire, and
 * means nothing to a browser on another machine, so callers stream {@link #open} instead.
 */
public final class LocalArtifactStore implements ArtifactStore {

    private static final String TEMP_PREFIX = ".sq-";
    private static final String TEMP_SUFFIX = ".partial";

    private final Path root;

    /** Uses (and creates, if needed) the directory {@code root}. */
    public LocalArtifactStore(Path root) throws IOException {
        this.root = Files.createDirectories(root).toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public StoredObject put(String key, InputStream in, long size) throws IOException {
        Path target = pathOf(ArtifactKeys.requireValidKey(key));
        HashingInputStream hashing = new HashingInputStream(in, size);
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(target.getParent(), TEMP_PREFIX, TEMP_SUFFIX);
        try {
            try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
                hashing.transferTo(out);
                out.getChannel().force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temp, e);
            throw e;
        }
        return new StoredObject(key, hashing.count(), hashing.sha256Hex());
    }

    @Override
    public InputStream open(String key) throws IOException {
        Path path = pathOf(ArtifactKeys.requireValidKey(key));
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(key, null, "no artifact under this key in " + root);
        }
        return Files.newInputStream(path);
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        Path path = pathOf(ArtifactKeys.requireValidKey(key));
        if (!Files.isRegularFile(path)) {
            return Optional.empty();
        }
        return Optional.of(new StoredObject(key, Files.size(path), null));
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        List<StoredObject> objects = new ArrayList<>();
        for (Path file : files(ArtifactKeys.requireValidPrefix(prefix, true))) {
            if (!isHidden(file)) {
                objects.add(new StoredObject(keyOf(file), Files.size(file), null));
            }
        }
        objects.sort(Comparator.comparing(StoredObject::key));
        return objects;
    }

    @Override
    public void delete(String key) throws IOException {
        Path path = pathOf(ArtifactKeys.requireValidKey(key));
        if (Files.isRegularFile(path)) {
            // Empty parent folders stay: removing them would race with a concurrent put into the same folder.
            Files.deleteIfExists(path);
        }
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        Path folder = pathOf(ArtifactKeys.requireValidPrefix(prefix, false));
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        int deleted = 0;
        for (Path path : walk(folder).reversed()) { // children before their folder
            if (Files.isRegularFile(path) && !isHidden(path)) {
                deleted++;
            }
            Files.deleteIfExists(path);
        }
        return deleted;
    }

    @Override
    public Optional<URI> presignedGetUrl(String key, Duration validity) {
        ArtifactKeys.requireValidKey(key);
        ArtifactStore.requireValidity(validity);
        return Optional.empty();
    }

    @Override
    public int abortIncompleteUploads(String prefix) throws IOException {
        int removed = 0;
        for (Path file : files(ArtifactKeys.requireValidPrefix(prefix, true))) {
            String name = file.getFileName().toString();
            if (name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX) && Files.deleteIfExists(file)) {
                removed++;
            }
        }
        return removed;
    }

    private Path pathOf(String validKeyOrPrefix) {
        Path path = root.resolve(validKeyOrPrefix).normalize();
        if (!path.startsWith(root)) {
            // Unreachable for validated keys; kept as a second line of defence against path traversal.
            throw new IllegalArgumentException("artifact key escapes the store root: " + validKeyOrPrefix);
        }
        return path;
    }

    private String keyOf(Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    /** Hidden files and files under hidden folders are not artifacts: keys never have a segment starting with '.'. */
    private boolean isHidden(Path file) {
        for (Path segment : root.relativize(file)) {
            if (segment.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private List<Path> files(String validPrefix) throws IOException {
        Path folder = pathOf(validPrefix);
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        return walk(folder).stream().filter(Files::isRegularFile).toList();
    }

    /** {@code folder} and everything under it, each folder before its contents. */
    private static List<Path> walk(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            return paths.toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void deleteQuietly(Path temp, Exception cause) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
