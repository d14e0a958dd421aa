package com.seedsq.storage.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ArtifactKeysTest {

    @ParameterizedTest
    @ValueSource(strings = {"model.safetensors", "tenants/acme/models/42/model.safetensors", "a/b-c_d/e f/ü.bin",
            "reports/2026-11-27/report.json"})
    void acceptsRelativeSlashSeparatedKeys(String key) {
        assertThat(ArtifactKeys.requireValidKey(key)).isEqualTo(key);
    }

    @Test
    void rejectsEmptyAndNull() {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey(""))
                .withMessageContaining("must not be empty");
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey(null))
                .withMessageContaining("must not be empty");
    }

    @Test
    void rejectsAbsoluteKeys() {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey("/etc/passwd"))
                .withMessageContaining("must be relative");
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "../x", "a/../../x", "a/./b", ".hidden", "a/.sq-1.partial"})
    void rejectsDotSegments(String key) {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey(key))
                .withMessageContaining("starting with '.'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a//b", "a/", "a/b/"})
    void rejectsEmptySegments(String key) {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey(key))
                .withMessageContaining("empty segment");
    }

    @Test
    void rejectsBackslashes() {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey("a\\..\\b"))
                .withMessageContaining("backslash");
    }

    @Test
    void rejectsControlCharactersAndDoesNotEchoThemRaw() {
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey("a\nb"))
                .withMessageContaining("control characters")
                .withMessageContaining("a\\u000ab")
                .withMessageNotContaining("\n");
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey("a\u0000b"))
                .withMessageContaining("control characters");
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey("a\u007fb"))
                .withMessageContaining("control characters");
    }

    @Test
    void rejectsKeysLongerThanS3Allows() {
        String maxAscii = "k".repeat(ArtifactKeys.MAX_KEY_BYTES);
        assertThat(ArtifactKeys.requireValidKey(maxAscii)).isEqualTo(maxAscii);
        // 513 two-byte characters are 1026 UTF-8 bytes, though only 513 chars.
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidKey("é".repeat(513)))
                .withMessageContaining("longer than 1024 UTF-8 bytes");
    }

    @Test
    void prefixesAreFoldersEndingInSlash() {
        assertThat(ArtifactKeys.requireValidPrefix("tenants/acme/", false)).isEqualTo("tenants/acme/");
        assertThat(ArtifactKeys.requireValidPrefix("", true)).isEmpty();
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidPrefix("", false))
                .withMessageContaining("whole store");
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidPrefix("models/1", true))
                .withMessageContaining("must end with '/'");
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidPrefix("/", true))
                .withMessageContaining("must not be empty");
        assertThatIllegalArgumentException().isThrownBy(() -> ArtifactKeys.requireValidPrefix("../", true))
                .withMessageContaining("starting with '.'");
    }
}
