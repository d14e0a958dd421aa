/**
 * safetensors: {@link com.seedsq.engine.format.safetensors.SafetensorsFile} maps and validates a file up front and
 * serves zero-copy tensors; {@link com.seedsq.engine.format.safetensors.SafetensorsWriter} streams tensors (from
 * mapped segments, arrays, or producers called just in time) into a new file that appears atomically. Used for
 * imported models, INT8 exports and statistics artifacts alike.
 */
package com.seedsq.engine.format.safetensors;
