package com.seedsq.storage.metadata;

import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.OffsetDateTime;
import java.util.List;

/** The sq_runner table: runners announce themselves and beat; the API lists them. */
public class Runners {

    private final JdbcClient jdbc;

    public Runners(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records that {@code name} is alive now with these backends (inserting it on its first beat). */
    public void heartbeat(String name, String backends, OffsetDateTime startedAt, OffsetDateTime now) {
        int updated = jdbc.sql("UPDATE sq_runner SET backends = ?, started_at = ?, heartbeat_at = ? WHERE name = ?")
                .params(backends, startedAt, now, name).update();
        if (updated == 0) {
            jdbc.sql("INSERT INTO sq_runner (name, backends, started_at, heartbeat_at) VALUES (?, ?, ?, ?)")
                    .params(name, backends, startedAt, now).update();
        }
    }

    public List<RunnerRecord> list() {
        return jdbc.sql("SELECT * FROM sq_runner ORDER BY name").query(RunnerRecord.class).list();
    }
}
