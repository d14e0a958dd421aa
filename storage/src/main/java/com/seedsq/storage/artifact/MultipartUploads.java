package com.seedsq.storage.artifact;

import io.minio.MinioAsyncClient;
import io.minio.Xml;
import io.minio.errors.XmlParserException;
import io.minio.http.Method;
import io.minio.messages.ListMultipartUploadsResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * ListMultipartUploads in the form every S3 server accepts, S3Proxy included.
 *
 * <p>The SDK's {@code listMultipartUploadsAsync} always sends {@code delimiter=} and {@code max-uploads=1000}, and
 * S3Proxy 2.6 answers any of {@code delimiter}, {@code max-uploads}, {@code key-marker} or {@code upload-id-marker}
 * with 501 Not Implemented. This subclass, which shares the given client's connection pool and credentials, uses the
 * SDK's protected request method to send only {@code uploads} and {@code prefix}. Without markers it always returns
 * the first page (up to 1,000 uploads on AWS), so callers that page through uploads must abort what they list and
 * list again.
 */
final class MultipartUploads extends MinioAsyncClient {

    MultipartUploads(MinioAsyncClient client) {
        super(client);
    }

    CompletableFuture<ListMultipartUploadsResult> list(String bucket, String prefix) throws Exception {
        return getRegionAsync(bucket, null)
                .thenCompose(region -> {
                    try {
                        return executeAsync(Method.GET, bucket, null, region, null,
                                newMultimap("uploads", "", "prefix", prefix), null, 0);
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                })
                .thenApply(response -> {
                    try (response) {
                        return Xml.unmarshal(ListMultipartUploadsResult.class, response.body().charStream());
                    } catch (XmlParserException e) {
                        throw new CompletionException(e);
                    }
                });
    }
}
