package com.seedsq.engine.forward;

import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/** Greedy (argmax) generation: prefill the prompt in one batch, then decode one token at a time. */
public final class Generator {

    private final Transformer model;

    public Generator(Transformer model) {
        this.model = model;
    }

    /**
     * Continues {@code prompt} (non-empty, usually starting with BOS) by up to {@code steps} tokens, stopping early
     * when {@code stop} accepts a token (which is then not returned). Each new token goes to {@code onToken}.
     */
    public int[] greedy(int[] prompt, int steps, IntPredicate stop, IntConsumer onToken) {
        KvCache cache = model.newCache(Math.min(model.config().maxSeq(), prompt.length + steps));
        int limit = Math.min(steps, cache.capacity() - prompt.length + 1);
        int[] out = new int[Math.max(0, limit)];
        int n = 0;
        float[] logits = model.forward(cache, prompt, false);
        while (n < limit) {
            int next = argmax(logits);
            if (stop.test(next)) {
                break;
            }
            out[n++] = next;
            onToken.accept(next);
            if (n == limit || cache.length() == cache.capacity()) {
                break;
            }
            logits = model.forward(cache, new int[]{next}, false);
        }
        return Arrays.copyOf(out, n);
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
