/**
 * The SmoothQuant W8A8 pipeline; the entry point is {@link com.seedsq.engine.smoothquant.SmoothQuant}.
 *
 * <ul>
 *   <li><b>Smoothing</b> is a {@link com.seedsq.engine.format.WeightSource} overlay
 *   ({@link com.seedsq.engine.smoothquant.SmoothedWeights}): norm weight / s, linear input columns * s, everything
 *   else passed through; factors from {@link com.seedsq.engine.smoothquant.SmoothingPlan} (fixed α) or
 *   {@link com.seedsq.engine.smoothquant.AlphaSearch} (α = auto, per site).</li>
 *   <li><b>Quantized execution</b> is a kernel decorator ({@link com.seedsq.engine.smoothquant.Int8LinearKernels}):
 *   every block linear quantizes its input per the level (O1 per token, O2 per tensor = per window in prefill, O3
 *   static from calibration, naive = per-tensor dynamic without smoothing) and multiplies INT8 × INT8 → INT32 with
 *   the best {@code kernel.int8} GEMM, one dequantization per output; embeddings and the LM head stay FP32.
 *   A fake-quantization path (same codes and scales, FP32 matmul) exists for cross-checks.</li>
 *   <li><b>Evaluation</b> runs {@code eval.Perplexity} over FP32, FP16 weights, naive and O1–O3 and returns a
 *   {@link com.seedsq.engine.smoothquant.SmoothQuantReport}: perplexities and token counts, the outlier atlas and
 *   per-linear relative output error.</li>
 * </ul>
 *
 * <p>Objects here are single-threaded: build one transformer (and one {@link
 * com.seedsq.engine.smoothquant.QuantizedModel}) per thread.
 */
package com.seedsq.engine.smoothquant;
