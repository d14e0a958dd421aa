package com.seedsq.engine.kernel;

/** The error function in double precision (Java has none): Maclaurin series near 0, continued fraction beyond. */
final class Erf {

    private Erf() {
    }

    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)); converges fast for |x| < 2.5
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // continued fraction for erfc, accurate for large |x|
            double f = 0;
            for (int k = 60; k >= 1; k--) {
                f = k / 2.0 / (ax + f);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }
}
