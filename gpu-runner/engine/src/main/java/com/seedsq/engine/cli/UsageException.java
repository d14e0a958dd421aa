package com.seedsq.engine.cli;

/** Bad command-line input: printed as one line, exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
