package com.seedsq.jobs.quantize;

import com.seedsq.jobs.spec.JobSpec;
import com.seedsq.storage.artifact.ArtifactStore;
import com.seedsq.storage.metadata.JobRecord;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * What a step works with: the job, its spec, a local working directory, the artifact store, and where the job's
 * artifacts go ({@code tenants/{tenant}/jobs/{jobId}/}). Steps hand results to later steps only through the store
 * (and small values through the Batch execution context), so a restarted job resumes on any runner.
 */
public record JobContext(JobRecord job, JobSpec spec, Path workDir, ArtifactStore store, JsonMapper json) {

    /** The model's files on this runner (every step makes sure they are there before it runs). */
    public Path modelDir() {
        return workDir.resolve("model");
    }

    public String artifactKey(String name) {
        return "tenants/" + job.tenant() + "/jobs/" + job.id() + "/" + name;
    }

    public String artifactPrefix() {
        return "tenants/" + job.tenant() + "/jobs/" + job.id() + "/";
    }

    /** Stores a step's result as a JSON artifact. */
    public void putJson(String name, Object value) throws IOException {
        byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        store.put(artifactKey(name), new ByteArrayInputStream(bytes), bytes.length);
    }

    /** Reads back a JSON artifact an earlier step stored. */
    public <T> T getJson(String name, Class<T> type) throws IOException {
        try (InputStream in = store.open(artifactKey(name))) {
            return json.readValue(in, type);
        }
    }
}
