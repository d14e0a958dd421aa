/** One entry point for any checkpoint a user hands over: {@link com.seedsq.engine.format.detect.WeightSources}. */
package com.seedsq.engine.format.detect;
