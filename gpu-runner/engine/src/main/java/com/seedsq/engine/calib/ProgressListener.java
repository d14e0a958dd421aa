package com.seedsq.engine.calib;

import java.io.PrintStream;

/**
 * Progress of a long engine operation (calibration, quantization, evaluation): the fraction done in [0, 1] and a
 * short human-readable message. The Spring Batch steps forward it to their step context; the CLI prints it.
 * Implementations must be cheap: calibration calls it once per sequence.
 */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = (fraction, message) -> { };

    void progress(double fraction, String message);

    /** Prints {@code prefix: [ 42%] message} lines to {@code out}, at most one per whole percent plus the last. */
    static ProgressListener printing(PrintStream out, String prefix) {
        return new ProgressListener() {
            private int lastPercent = -1;

            @Override
            public synchronized void progress(double fraction, String message) {
                int pct = (int) Math.floor(fraction * 100);
                if (pct != lastPercent || fraction >= 1) {
                    lastPercent = pct;
                    out.printf("%s: [%3d%%] %s%n", prefix, pct, message);
                }
            }
        };
    }

    static ProgressListener stderr() {
        return printing(System.err, "sq");
    }

    /** This listener seen as the sub-range [from, to) of a larger task. */
    default ProgressListener range(double from, double to) {
        ProgressListener outer = this;
        return (fraction, message) -> outer.progress(from + (to - from) * Math.max(0, Math.min(1, fraction)), message);
    }
}
