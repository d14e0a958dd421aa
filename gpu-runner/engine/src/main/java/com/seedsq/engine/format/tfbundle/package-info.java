/**
 * TensorFlow tensor bundles (SavedModel {@code variables/}): {@link com.seedsq.engine.format.tfbundle.TfBundle}
 * reads the LevelDB-format index and mapped data shards with CRC-32C checks, and
 * {@link com.seedsq.engine.format.tfbundle.TfBertImporter} turns Google's BERT into a Hugging Face BERT directory,
 * which is the only BERT format the rest of the engine reads.
 */
package com.seedsq.engine.format.tfbundle;
