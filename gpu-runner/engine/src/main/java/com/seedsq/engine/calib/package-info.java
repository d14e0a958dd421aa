/**
 * Calibration: run text through the FP model and record, for every linear-input site (LLaMA: {@code attn_in} shared
 * by q/k/v, {@code wo_in}, {@code ffn_in} shared by gate/up, {@code w2_in}), the per-input-channel abs-max over all
 * calibration tokens.
 *
 * <p>The forward pass is not modified: every linear goes through {@code Kernels.matmul(x, m, W, out)} with
 * {@code W.name()} the checkpoint tensor name, so {@link com.seedsq.engine.calib.CalibrationKernels} (a kernel
 * decorator) sees each linear's input, and {@link com.seedsq.engine.calib.LinearSites} maps names to sites with the
 * family's smoothing map. Windows come from the tail of the token stream ({@link
 * com.seedsq.engine.calib.CalibrationSpec}); statistics persist as safetensors in a {@link
 * com.seedsq.engine.calib.StatsCache} keyed by a hash of model + windows + seqLen.
 *
 * <p>{@link com.seedsq.engine.calib.Calibrator} walks the model layer by layer (all sequences through layer i, then
 * layer i+1), holding each sequence's hidden state: weights are touched one layer at a time and memory grows only
 * with {@code sequences × length × hidden}; the statistics equal those of whole-sequence passes exactly (tested).
 */
package com.seedsq.engine.calib;
