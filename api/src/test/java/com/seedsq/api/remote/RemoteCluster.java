package com.seedsq.api.remote;

import com.seedsq.api.testing.ApiClient;
import com.seedsq.storage.testing.S3ProxyServer;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The API and its runners as separate JVMs on loopback, the way they are deployed: the API as the job manager
 * ({@code sq.jobs.runners=remote}) and each runner a {@code WorkerApplication}, all against one PostgreSQL database,
 * one S3 server and one RabbitMQ, with a queue prefix of their own so no other test's runner takes their partitions.
 * Every process it starts is killed when it is closed, and by a shutdown hook if the test JVM dies first.
 */
final class RemoteCluster implements AutoCloseable {

    static final String ADMIN_KEY = "remote-test-key";
    static final String WORKER = "com.seedsq.worker.WorkerApplication";

    private final Path dir;
    private final Path logs;
    private final Map<String, Object> shared = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Process> byName = new LinkedHashMap<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Thread reaper = new Thread(this::killAll, "remote-cluster-reaper");
    final String queuePrefix = "sq.test." + UUID.randomUUID().toString().substring(0, 8);
    int apiPort;

    /**
     * @param database JDBC URL, user and password of the shared database
     * @param rabbitPort the broker's AMQP port on 127.0.0.1 (guest/guest)
     */
    RemoteCluster(Path dir, String jdbcUrl, String dbUser, String dbPassword, S3ProxyServer s3, int rabbitPort) {
        this.dir = dir;
        try {
            this.logs = Files.createDirectories(Path.of("target", "remote-cluster", queuePrefix));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        shared.put("spring.datasource.url", jdbcUrl);
        shared.put("spring.datasource.username", dbUser);
        shared.put("spring.datasource.password", dbPassword);
        shared.put("spring.rabbitmq.host", "127.0.0.1");
        shared.put("spring.rabbitmq.port", rabbitPort);
        shared.put("spring.rabbitmq.username", "guest");
        shared.put("spring.rabbitmq.password", "guest");
        shared.put("sq.storage.type", "s3");
        shared.put("sq.storage.s3.endpoint", s3.endpoint());
        shared.put("sq.storage.s3.access-key", s3.accessKey());
        shared.put("sq.storage.s3.secret-key", s3.secretKey());
        shared.put("sq.storage.s3.bucket", "remote-" + UUID.randomUUID().toString().substring(0, 8));
        shared.put("sq.jobs.remote.queue-prefix", queuePrefix);
        shared.put("sq.jobs.remote.attempts", 2);
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts the API (the manager); {@link #awaitStarted} waits for it. */
    void launchApi() throws IOException {
        apiPort = freePort();
        Map<String, Object> args = new LinkedHashMap<>(shared);
        args.put("server.port", apiPort);
        args.put("sq.jobs.runners", "remote");
        args.put("sq.jobs.work-dir", dir.resolve("work-api"));
        args.put("sq.security.bootstrap-admin-key", ADMIN_KEY);
        args.put("management.health.rabbit.enabled", true);
        start("api", "com.seedsq.api.ApiApplication", System.getProperty("java.class.path"), args, apiPort);
    }

    /** Starts a runner named {@code name}; {@code mainClass} may be a test's own runner (fault injection). */
    void launchRunner(String name, String mainClass) throws IOException {
        int port = freePort();
        Map<String, Object> args = new LinkedHashMap<>(shared);
        args.put("server.port", port);
        args.put("sq.runner.name", name);
        args.put("sq.jobs.work-dir", dir.resolve("work-" + name));
        start(name, mainClass, classpath(!mainClass.startsWith("com.seedsq.worker.")), args, port);
    }

    /** Waits until every process started so far answers its health check (they start in parallel). */
    ApiClient awaitStarted() throws Exception {
        for (var e : ports.entrySet()) {
            awaitHealthy(byName.get(e.getKey()), e.getValue(), e.getKey());
        }
        ports.clear();
        return new ApiClient(apiPort, ADMIN_KEY);
    }

    void startRunner(String name, String mainClass) throws Exception {
        launchRunner(name, mainClass);
        awaitStarted();
    }

    void launchRunner(String name) throws IOException {
        launchRunner(name, WORKER);
    }

    void startRunner(String name) throws Exception {
        startRunner(name, WORKER);
    }

    Process process(String name) {
        return byName.get(name);
    }

    /** Logs go under target/, where they outlive the test's temporary directory. */
    Path log(String name) {
        return logs.resolve(name + ".log");
    }

    /** Waits until {@code name}'s log has a line containing all of {@code parts}; returns that line. */
    String awaitLogLine(String name, Duration timeout, String... parts) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (Files.exists(log(name))) {
                for (String line : Files.readAllLines(log(name))) {
                    if (Arrays.stream(parts).allMatch(line::contains)) {
                        return line;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no line with " + Arrays.toString(parts) + " in " + log(name) + " within " + timeout);
    }

    long countLogLines(String name, String... parts) throws IOException {
        return Files.readAllLines(log(name)).stream().filter(l -> Arrays.stream(parts).allMatch(l::contains)).count();
    }

    private void start(String name, String mainClass, String classpath, Map<String, Object> args, int port)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules",
                "jdk.incubator.vector", "-Xmx768m", "-XX:+UseSerialGC", "-cp", classpath, mainClass));
        args.forEach((k, v) -> command.add("--" + k + "=" + v));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(name).toFile()).start();
        processes.add(p);
        byName.put(name, p);
        ports.put(name, port);
    }

    /**
     * A runner's class path: the test JVM's (the API gets all of it) without the API's own classes, so that the
     * worker's application.yml is the only one, and without the test classes unless it runs a test's main class.
     */
    private static String classpath(boolean withTestClasses) {
        String sep = File.pathSeparator;
        String all = System.getProperty("java.class.path");
        return Arrays.stream(all.split(sep))
                .filter(e -> !e.replace('\\', '/').endsWith("/api/target/classes"))
                .filter(e -> withTestClasses || !e.replace('\\', '/').endsWith("/api/target/test-classes"))
                .collect(Collectors.joining(sep));
    }

    private void awaitHealthy(Process p, int port, String name) throws Exception {
        ApiClient health = new ApiClient(port, null);
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited during start-up; see " + log(name));
            }
            try {
                if (health.get("/actuator/health").status() == 200) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // connection refused while it starts
            }
            Thread.sleep(250);
        }
        throw new AssertionError(name + " did not become healthy within 120 s; see " + log(name));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void killAll() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
