package com.seedsq.engine.forward;

/**
 * Keys and values of past positions, per layer. Values are [capacity, kvDim] row-major; keys are stored transposed,
 * [kvDim, capacity], so that one query's scores over all positions are kvDim/heads contiguous axpys (vectorised along
 * positions, which stays efficient even for 8-dimensional heads). Keys are stored after
 * RoPE, so decoding a new token never revisits old ones.
 */
public final class KvCache {

    final float[][] keys;
    final float[][] values;
    private final int capacity;
    private final int kvDim;
    private int length;

    public KvCache(int layers, int capacity, int kvDim) {
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.keys = new float[layers][(int) Math.multiplyExact((long) capacity, kvDim)];
        this.values = new float[layers][capacity * kvDim];
    }

    /** Positions filled so far; the next token goes at this position. */
    public int length() {
        return length;
    }

    /** Bytes the cache holds: keys and values of every layer, F32, at full capacity. */
    public long bytes() {
        long n = 0;
        for (int l = 0; l < keys.length; l++) {
            n += (long) keys[l].length + values[l].length;
        }
        return n * Float.BYTES;
    }

    public int capacity() {
        return capacity;
    }

    int kvDim() {
        return kvDim;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** Forgets everything (the arrays are reused). */
    public void clear() {
        length = 0;
    }
}
