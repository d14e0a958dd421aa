package com.seedsq.api.uploads;

import com.seedsq.api.error.ApiProblem;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * File names clients send become parts of storage keys and of paths on runners, so only plain single names pass:
 * no directories, no "..", no control characters. Model directories are flat (config.json, *.safetensors,
 * tokenizer files), so nothing legitimate is refused.
 */
public final class FileNames {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}");

    private FileNames() {
    }

    public static String requireSafe(String name) {
        if (name == null || !SAFE.matcher(name).matches() || name.contains("..")) {
            throw ApiProblem.badRequest("invalid-file-name", "File name '" + printable(name) + "' is not allowed: use "
                    + "a plain name of letters, digits, '.', '_', '+' and '-' (no directories, no '..').",
                    Map.of("file", printable(name)));
        }
        return name;
    }

    private static String printable(String name) {
        if (name == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        name.codePoints().limit(300).forEach(c -> sb.append(Character.isISOControl(c) ? "\\u%04x".formatted(c)
                : Character.toString(c)));
        return sb.toString();
    }
}
