/** Latency benchmarks run as plain main classes (not tests): FP prefill/decode next to a measured GEMM ceiling. */
package com.seedsq.engine.bench;
