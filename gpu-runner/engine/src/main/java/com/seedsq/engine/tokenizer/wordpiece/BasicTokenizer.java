package com.seedsq.engine.tokenizer.wordpiece;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Google BERT's {@code BasicTokenizer} for uncased models: drop NUL, U+FFFD and control characters, map whitespace to
 * spaces, put spaces around CJK ideographs, split on whitespace, then per word lower-case, NFD-decompose and drop
 * combining marks (accents), and split off every punctuation character as its own word.
 *
 * <p>The character classes follow {@code tokenization.py} exactly, including its quirk that ASCII symbols such as
 * {@code $ + < = > ^ `} and {@code |} count as punctuation although Unicode files them as symbols.
 */
public final class BasicTokenizer {

    /** Splits {@code text} into words and punctuation marks, lower-cased and accent-stripped. */
    public List<String> tokenize(String text) {
        String cleaned = clean(text);
        List<String> out = new ArrayList<>();
        int n = cleaned.length();
        int i = 0;
        while (i < n) {
            while (i < n && isSplitSpace(cleaned.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !isSplitSpace(cleaned.charAt(i))) {
                i++;
            }
            if (i > start) {
                splitOnPunctuation(stripAccents(cleaned.substring(start, i).toLowerCase(Locale.ROOT)), out);
            }
        }
        return out;
    }

    /** {@code _clean_text} and {@code _tokenize_chinese_chars} in one pass. */
    private static String clean(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                continue;
            }
            if (isWhitespace(cp)) {
                sb.append(' ');
            } else if (isCjk(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        }
        return sb.toString();
    }

    /** Python's {@code str.split()} separators that can survive cleaning: space and the line/paragraph separators. */
    private static boolean isSplitSpace(char c) {
        return c == ' ' || c == '\u2028' || c == '\u2029';
    }

    private static String stripAccents(String word) {
        String nfd = Normalizer.normalize(word, Normalizer.Form.NFD);
        StringBuilder sb = null;
        for (int i = 0; i < nfd.length(); ) {
            int cp = nfd.codePointAt(i);
            int len = Character.charCount(cp);
            if (Character.getType(cp) == Character.NON_SPACING_MARK) {
                if (sb == null) {
                    sb = new StringBuilder(nfd.length()).append(nfd, 0, i);
                }
            } else if (sb != null) {
                sb.appendCodePoint(cp);
            }
            i += len;
        }
        return sb == null ? nfd : sb.toString();
    }

    private static void splitOnPunctuation(String word, List<String> out) {
        int start = 0;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int len = Character.charCount(cp);
            if (isPunctuation(cp)) {
                if (i > start) {
                    out.add(word.substring(start, i));
                }
                out.add(word.substring(i, i + len));
                start = i + len;
            }
            i += len;
        }
        if (start < word.length()) {
            out.add(word.substring(start));
        }
    }

    static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT;
    }

    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** The CJK Unified Ideographs blocks Google's code lists (not Hangul, Hiragana or Katakana). */
    static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
