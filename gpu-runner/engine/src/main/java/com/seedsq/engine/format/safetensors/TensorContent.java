package com.seedsq.engine.format.safetensors;

import java.io.IOException;

/**
 * Produces one tensor's bytes on demand. Called exactly once, when the writer reaches the tensor, so a caller can
 * compute (quantize, transpose) a tensor just before it is written and drop it right after.
 */
@FunctionalInterface
public interface TensorContent {

    void writeTo(TensorSink sink) throws IOException;
}
