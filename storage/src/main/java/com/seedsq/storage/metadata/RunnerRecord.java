package com.seedsq.storage.metadata;

import java.time.OffsetDateTime;

/** A row of sq_runner: a runner, what it advertises ({@code backends}, JSON), and its last heartbeat. */
public record RunnerRecord(String name, String backends, OffsetDateTime startedAt, OffsetDateTime heartbeatAt) {
}
