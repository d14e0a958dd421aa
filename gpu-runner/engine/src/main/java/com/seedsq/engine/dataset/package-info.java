/** Evaluation and calibration sets built from token streams, e.g. the BERT masked-LM protocol. */
package com.seedsq.engine.dataset;
