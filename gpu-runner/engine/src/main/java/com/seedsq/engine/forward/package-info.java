/**
 * The FP32 forward pass: {@link com.seedsq.engine.forward.Transformer} interprets a family description over a
 * {@link com.seedsq.engine.forward.KvCache}; one call handles a batch of consecutive tokens (prefill) or a single one
 * (decode). {@link com.seedsq.engine.forward.Generator} does greedy generation.
 */
package com.seedsq.engine.forward;
