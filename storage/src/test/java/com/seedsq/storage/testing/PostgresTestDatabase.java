package com.seedsq.storage.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A throw-away database on the real PostgreSQL server that `bin/test` (and `.ci/run`) start. Each test class gets
 * its own database, so tests never see each other's rows and leave nothing behind.
 *
 * <p>The server is taken from {@code SQ_TEST_PG_HOST}/{@code SQ_TEST_PG_PORT}/{@code SQ_TEST_PG_USER} (defaults
 * 127.0.0.1, 5432, postgres; trust authentication as set up by the test script).
 */
public final class PostgresTestDatabase implements AutoCloseable {

    private final String host = env("SQ_TEST_PG_HOST", "127.0.0.1");
    private final String port = env("SQ_TEST_PG_PORT", "5432");
    private final String user = env("SQ_TEST_PG_USER", "postgres");
    private final String password = env("SQ_TEST_PG_PASSWORD", "");
    private final String name = "sq_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

    public PostgresTestDatabase() {
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + host + ":" + port + " as '" + user
                    + "'. Run the tests with bin/test (it starts PostgreSQL), or set SQ_TEST_PG_HOST/PORT/USER. Cause: "
                    + e.getMessage(), e);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + name;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    private Connection adminConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", user, password);
    }

    @Override
    public void close() {
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test database " + name, e);
        }
    }

    private static String env(String key, String fallback) {
        String v = System.getenv(key);
        return v == null || v.isBlank() ? fallback : v;
    }
}
