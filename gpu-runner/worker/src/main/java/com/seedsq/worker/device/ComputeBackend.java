package com.seedsq.worker.device;

import java.util.Map;

/**
 * One compute backend this runner can execute steps on.
 *
 * @param kind   {@code cpu} or {@code cuda}: what a job spec's {@code backend} names
 * @param device a human-readable device name (CPU model, GPU name)
 * @param detail facts a scheduler or a user needs: cores and vector width, or compute capability and memory
 */
public record ComputeBackend(String kind, String device, Map<String, Object> detail) {
}
