/** Evaluation metrics; perplexity follows the windowing protocol of the shared reference data. */
package com.seedsq.engine.eval;
