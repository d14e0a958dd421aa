package com.seedsq.engine.calib;

/**
 * How much calibration text to run and how to cut it: {@code sequences} windows of {@code [BOS] + (seqLen-1)}
 * tokens taken from the <em>tail</em> of the token stream (the ids after the encoding's BOS), so that the head of
 * the same text can serve evaluation without overlap. The shared reference calibrates stories260K with
 * {@link #reference()}: the last 64 × 255 tokens of WikiText-2 as 64 windows of [BOS] + 255.
 */
public record CalibrationSpec(int sequences, int seqLen) {

    public CalibrationSpec {
        if (sequences < 1) {
            throw new IllegalArgumentException("calibration needs at least one sequence, got " + sequences);
        }
        if (seqLen < 2) {
            throw new IllegalArgumentException("calibration seqLen must be at least 2 (BOS + 1 token), got " + seqLen);
        }
    }

    /** The reference's stories260K calibration: 64 windows of 256. */
    public static CalibrationSpec reference() {
        return new CalibrationSpec(64, 256);
    }

    /** From a token budget ({@code --calib-tokens N}): as many full windows as fit, at least one. */
    public static CalibrationSpec ofTokens(long tokens, int seqLen) {
        return new CalibrationSpec((int) Math.max(1, tokens / (seqLen - 1)), seqLen);
    }

    /** Stream tokens the calibration consumes (BOS excluded). */
    public long tokens() {
        return (long) sequences * (seqLen - 1);
    }

    /**
     * The calibration windows: window k is {@code [bos] + tail[k(seqLen-1) : (k+1)(seqLen-1)]}, where tail is the
     * last {@link #tokens()} ids of the stream.
     *
     * @param idsWithBos the whole text's encoding, starting with BOS
     */
    public int[][] windows(int[] idsWithBos, int bos) {
        if (idsWithBos.length == 0 || idsWithBos[0] != bos) {
            throw new IllegalArgumentException("ids must start with BOS " + bos);
        }
        long stream = idsWithBos.length - 1L;
        if (tokens() > stream) {
            throw new IllegalArgumentException("calibration wants " + tokens() + " tokens (" + sequences + " x "
                    + (seqLen - 1) + ") but the text has only " + stream);
        }
        int per = seqLen - 1;
        int start = (int) (1 + stream - tokens());
        int[][] w = new int[sequences][per + 1];
        for (int k = 0; k < sequences; k++) {
            w[k][0] = bos;
            System.arraycopy(idsWithBos, start + k * per, w[k], 1, per);
        }
        return w;
    }

    /** The first stream index (0-based, after BOS) the calibration reads; evaluation must stay below it. */
    public long firstStreamToken(int[] idsWithBos) {
        return idsWithBos.length - 1L - tokens();
    }
}
