/** The {@code sq} command line (info, logits, eval, generate); launched by {@code bin/sq} at the repository root. */
package com.seedsq.engine.cli;
