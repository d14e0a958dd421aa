package com.seedsq.engine.cuda;

import java.util.Arrays;

/**
 * End-to-end latency of a {@link CudaLlama} as a user sees it: token ids in, last logits back on the host. Prefill is
 * one forward pass over the prompt; decode feeds the greedy token back one step at a time, each step including the
 * logits download a sampler needs. Wall-clock time around calls that end synchronised, median of {@code repeats}
 * after one warm-up (module load, first-touch of buffers).
 */
public final class GpuLatency {

    public record Timing(double prefillMs, double decodeMsPerToken, int decodeTokens) {
    }

    private GpuLatency() {
    }

    public static Timing measure(CudaLlama model, int[] prompt, int decodeTokens, int repeats) {
        if (prompt.length + decodeTokens > model.capacity()) {
            throw new IllegalArgumentException(prompt.length + " + " + decodeTokens + " tokens exceed the capacity "
                    + model.capacity());
        }
        run(model, prompt, decodeTokens);
        double[] prefill = new double[repeats], decode = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long[] ns = run(model, prompt, decodeTokens);
            prefill[r] = ns[0] / 1e6;
            decode[r] = decodeTokens == 0 ? 0 : ns[1] / 1e6 / decodeTokens;
        }
        return new Timing(median(prefill), median(decode), decodeTokens);
    }

    private static long[] run(CudaLlama model, int[] prompt, int decodeTokens) {
        model.reset();
        long t0 = System.nanoTime();
        float[] logits = model.forward(prompt);
        long prefill = System.nanoTime() - t0;
        t0 = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) {
            logits = model.forward(new int[]{argmax(logits)});
        }
        return new long[]{prefill, System.nanoTime() - t0};
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
