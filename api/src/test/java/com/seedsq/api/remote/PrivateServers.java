package com.seedsq.api.remote;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A RabbitMQ node and a PostgreSQL cluster of a test's own, on free loopback ports and in temporary directories, so
 * that a test can restart them without disturbing the shared services other tests (and other people) use. Both
 * refuse to run as root, so as root they run as their Debian system users ({@code rabbitmq}, {@code postgres}).
 */
final class PrivateServers {

    private PrivateServers() {
    }

    /** Why these servers cannot run here, or empty if they can. */
    static Optional<String> unavailable() {
        if (rabbitServer().isEmpty()) {
            return Optional.of("rabbitmq-server is not installed (apt-get install rabbitmq-server)");
        }
        if (pgBin("initdb").isEmpty() || pgBin("pg_ctl").isEmpty()) {
            return Optional.of("PostgreSQL's initdb/pg_ctl are not installed");
        }
        if (isRoot() && (!userExists("rabbitmq") || !userExists("postgres"))) {
            return Optional.of("running as root without the rabbitmq and postgres system users");
        }
        return Optional.empty();
    }

    /** A RabbitMQ node whose data (durable queues, persistent messages) outlives a restart. */
    static final class Rabbit implements AutoCloseable {

        final int port;
        private final int distPort;
        private final String node = "sqtest-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost";
        private final Path dir;
        private Process process;

        Rabbit() throws IOException {
            port = RemoteCluster.freePort();
            distPort = RemoteCluster.freePort();
            dir = ownedDirectory("sq-rabbit", "rabbitmq");
            write(dir.resolve("enabled_plugins"), "[].\n", "rabbitmq");
            write(dir.resolve("rabbitmq.conf"), "listeners.tcp.default = 127.0.0.1:" + port + "\n"
                    + "loopback_users = none\n", "rabbitmq");
        }

        void start() throws Exception {
            List<String> command = new ArrayList<>(asUser("rabbitmq"));
            command.addAll(List.of("env", "HOME=" + (isRoot() ? "/var/lib/rabbitmq" : System.getProperty("user.home")),
                    "RABBITMQ_NODENAME=" + node, "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
                    "RABBITMQ_NODE_PORT=" + port, "RABBITMQ_DIST_PORT=" + distPort,
                    "RABBITMQ_MNESIA_BASE=" + dir.resolve("mnesia"), "RABBITMQ_LOG_BASE=" + dir.resolve("log"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir.resolve("enabled_plugins"),
                    "RABBITMQ_CONFIG_FILE=" + dir.resolve("rabbitmq.conf"), rabbitServer().orElseThrow().toString()));
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.out").toFile())).start();
            awaitPort(port, Duration.ofMinutes(3), process, dir.resolve("server.out"));
        }

        /** Stops the node (SIGTERM: RabbitMQ shuts down cleanly) and starts it again on the same data. */
        void restart() throws Exception {
            stop(false);
            start();
        }

        private void stop(boolean force) throws InterruptedException {
            if (process == null) {
                return;
            }
            List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
            all.add(process.toHandle());
            for (ProcessHandle p : all) {
                if (force) {
                    p.destroyForcibly();
                } else {
                    p.destroy();
                }
            }
            for (ProcessHandle p : all) {
                p.onExit().join();
            }
            process = null;
        }

        @Override
        public void close() throws Exception {
            stop(true);
            delete(dir);
        }
    }

    /** A PostgreSQL cluster with trust authentication for {@code postgres} on loopback. */
    static final class Postgres implements AutoCloseable {

        final int port;
        private final Path dir;
        private final Path data;

        Postgres() throws Exception {
            port = RemoteCluster.freePort();
            dir = ownedDirectory("sq-postgres", "postgres");
            data = dir.resolve("data");
            run(List.of(pgBin("initdb").orElseThrow().toString(), "-D", data.toString(), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync"));
        }

        String jdbcUrl(String database) {
            return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
        }

        void start() throws Exception {
            run(List.of(pgBin("pg_ctl").orElseThrow().toString(), "-D", data.toString(), "-l",
                    dir.resolve("server.log").toString(), "-w", "-t", "120", "-o",
                    "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start"));
        }

        /** Stops it the way an operator restarting it would (fast: connections are cut) and starts it again. */
        void restart() throws Exception {
            stop("fast");
            start();
        }

        private void stop(String mode) throws Exception {
            run(List.of(pgBin("pg_ctl").orElseThrow().toString(), "-D", data.toString(), "-m", mode, "-w", "stop"));
        }

        @Override
        public void close() throws Exception {
            try {
                stop("immediate");
            } finally {
                delete(dir);
            }
        }

        private void run(List<String> command) throws Exception {
            List<String> full = new ArrayList<>(asUser("postgres"));
            full.addAll(command);
            Process p = new ProcessBuilder(full).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("ctl.out").toFile())).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: "
                        + Files.readString(dir.resolve("ctl.out")));
            }
        }
    }

    private static List<String> asUser(String user) {
        return isRoot() ? List.of("runuser", "-u", user, "--") : List.of();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean userExists(String user) {
        try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
            return lines.anyMatch(l -> l.startsWith(user + ":"));
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<Path> rabbitServer() {
        return Stream.of("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/sbin/rabbitmq-server",
                "/usr/local/sbin/rabbitmq-server").map(Path::of).filter(Files::isExecutable).findFirst();
    }

    private static Optional<Path> pgBin(String name) {
        List<Path> candidates = new ArrayList<>();
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            versions.sorted(Comparator.reverseOrder()).forEach(v -> candidates.add(v.resolve("bin").resolve(name)));
        } catch (IOException noDebianLayout) {
            // try PATH below
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            candidates.add(Path.of(dir, name));
        }
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    /** A temporary directory (outside the test's own, which other users cannot enter) owned by {@code user}. */
    private static Path ownedDirectory(String prefix, String user) throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), prefix);
        chown(dir, user);
        return dir;
    }

    private static void write(Path file, String content, String user) throws IOException {
        Files.writeString(file, content);
        chown(file, user);
    }

    private static void chown(Path path, String user) throws IOException {
        if (isRoot()) {
            UserPrincipal owner = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
            Files.setOwner(path, owner);
        }
    }

    private static void awaitPort(int port, Duration timeout, Process process, Path log) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited; see " + log);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("nothing listens on port " + port + " after " + timeout + "; see " + log);
    }

    private static void delete(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temporary files: the OS cleans /tmp eventually
        }
    }

}
