package com.seedsq.api.uploads;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;

/**
 * Upload limits. Multipart requests are also capped by {@code spring.servlet.multipart.max-file-size}; the chunked
 * upload API is the way past that.
 *
 * @param maxModelBytes   the most bytes all files of one model may have
 * @param maxDatasetBytes the most bytes one dataset may have
 * @param partMaxBytes    the most bytes one part of a chunked upload may have
 * @param expireAfter     a chunked upload that receives nothing for this long is aborted and its parts deleted
 */
@ConfigurationProperties(prefix = "sq.upload")
public record UploadProperties(long maxModelBytes, long maxDatasetBytes, long partMaxBytes, Duration expireAfter) {

    public UploadProperties {
        expireAfter = expireAfter == null ? Duration.ofHours(24) : expireAfter;
        maxModelBytes = maxModelBytes > 0 ? maxModelBytes : 64L << 30;
        maxDatasetBytes = maxDatasetBytes > 0 ? maxDatasetBytes : 1L << 30;
        partMaxBytes = partMaxBytes > 0 ? partMaxBytes : 256L << 20;
    }
}
