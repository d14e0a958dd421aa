package com.seedsq.jobs.model;

import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.metadata.DatasetRecord;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A dataset as the one string the evaluation protocols encode: plain text as stored, JSONL as its {@code text}
 * fields joined by blank lines (the separator WikiText-style evaluation strings use between rows).
 */
public final class DatasetText {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DatasetText() {
    }

    public static String read(ArtifactStore store, DatasetRecord dataset) throws IOException {
        String raw;
        try (InputStream in = store.open(dataset.storageKey())) {
            raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!"jsonl".equals(dataset.format())) {
            return raw;
        }
        List<String> rows = new ArrayList<>();
        for (String line : raw.split("\n")) {
            if (!line.isBlank()) {
                rows.add(JSON.readTree(line).path("text").asString());
            }
        }
        return String.join("\n\n", rows);
    }
}
