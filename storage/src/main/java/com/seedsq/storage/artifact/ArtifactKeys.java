package com.seedsq.storage.artifact;

import java.nio.charset.StandardCharsets;

/**
 * The rules for artifact keys and prefixes, the same for every store so that a key accepted locally is accepted by S3.
 *
 * <p>A key is a relative, slash-separated path such as {@code tenants/acme/models/42/model.safetensors}: not empty,
 * at most 1024 UTF-8 bytes (the S3 limit), no leading slash, no empty segment ({@code a//b}, trailing slash), no
 * segment that starts with a dot (this rules out {@code .} and {@code ..}, and reserves hidden names for a store's
 * in-progress files), no backslash (a Windows separator would turn one S3 key into a path on disk) and no control
 * characters.
 *
 * <p>A prefix names a folder: it is a valid key followed by a slash, or the empty prefix (the whole store, which only
 * {@link ArtifactStore#list} accepts). Prefixes always end at a slash so that {@code models/1/} never matches
 * {@code models/10/}.
 */
public final class ArtifactKeys {

    static final int MAX_KEY_BYTES = 1024;

    private ArtifactKeys() {
    }

    /** Returns {@code key} if it is valid; otherwise throws {@link IllegalArgumentException} saying why. */
    public static String requireValidKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("artifact key must not be empty");
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw invalid(key, "is longer than " + MAX_KEY_BYTES + " UTF-8 bytes");
        }
        if (key.startsWith("/")) {
            throw invalid(key, "must be relative (no leading '/')");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '\\') {
                throw invalid(key, "must not contain a backslash; use '/' to separate segments");
            }
            if (Character.isISOControl(c)) {
                throw invalid(key, "must not contain control characters (found U+%04X at index %d)".formatted((int) c, i));
            }
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty()) {
                throw invalid(key, "must not contain an empty segment ('//' or a trailing '/')");
            }
            if (segment.startsWith(".")) {
                throw invalid(key, "must not contain a segment starting with '.' (such as '..'), found '" + segment + "'");
            }
        }
        return key;
    }

    /**
     * Returns {@code prefix} if it is a valid folder prefix (a valid key followed by '/'); the empty prefix is allowed
     * only when {@code allowEmpty}.
     */
    public static String requireValidPrefix(String prefix, boolean allowEmpty) {
        if (prefix == null || prefix.isEmpty()) {
            if (allowEmpty) {
                return "";
            }
            throw new IllegalArgumentException("prefix must not be empty here: it would select the whole store");
        }
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException(
                    "prefix '" + printable(prefix) + "' must end with '/' so that it selects one folder");
        }
        requireValidKey(prefix.substring(0, prefix.length() - 1));
        return prefix;
    }

    private static IllegalArgumentException invalid(String key, String why) {
        return new IllegalArgumentException("invalid artifact key '" + printable(key) + "': " + why);
    }

    /** The key with control characters escaped, so an error message cannot forge log lines. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.chars().forEach(c -> b.append(Character.isISOControl(c) ? "\\u%04x".formatted(c) : String.valueOf((char) c)));
        return b.toString();
    }
}
