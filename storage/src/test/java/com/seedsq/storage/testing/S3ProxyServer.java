package com.seedsq.storage.testing;

import io.minio.MinioAsyncClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A real S3 server for tests: S3Proxy on a free loopback port, storing into a fresh temporary directory
 * (jclouds {@code filesystem-nio2}; the in-memory {@code transient} backend runs out of memory on big multipart
 * uploads). It runs as a separate {@code java -jar} process because in-process it would drag ~120 jars onto the test
 * classpath. {@link #close()} kills it and deletes the directory.
 *
 * <p>The jar comes from the system property {@value #JAR_PROPERTY}; storage's pom copies S3Proxy's
 * {@code jar-with-dependencies} to {@code storage/target/s3proxy/s3proxy.jar} and sets the property for its tests.
 * Another module that reuses this class (through the storage test-jar) copies the jar and sets the property the same
 * way.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String JAR_PROPERTY = "sq.s3proxy.jar";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static S3ProxyServer shared;

    private final String accessKey = "sq-test-access";
    private final String secretKey = "sq-test-secret-key";
    private final Path directory;
    private final Path data;
    private final Path log;
    private final URI endpoint;
    private final Process process;
    private final Thread killOnExit;

    private S3ProxyServer(Path jar) throws IOException {
        directory = Files.createTempDirectory("sq-s3proxy-");
        log = directory.resolve("s3proxy.log");
        data = Files.createDirectory(directory.resolve("data"));
        int port = freeLoopbackPort();
        endpoint = URI.create("http://127.0.0.1:" + port);

        Properties config = new Properties();
        config.setProperty("s3proxy.endpoint", endpoint.toString());
        config.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        config.setProperty("s3proxy.identity", accessKey);
        config.setProperty("s3proxy.credential", secretKey);
        config.setProperty("jclouds.provider", "filesystem-nio2");
        config.setProperty("jclouds.filesystem.basedir", data.toString());
        // jclouds insists on credentials even for the local file system; they are not checked.
        config.setProperty("jclouds.identity", "unused");
        config.setProperty("jclouds.credential", "unused");
        Path properties = directory.resolve("s3proxy.properties");
        try (var out = Files.newOutputStream(properties)) {
            config.store(out, "written by " + S3ProxyServer.class.getName());
        }

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // A small heap and the C1 compiler only: S3Proxy starts faster and leaves the CPUs to the tests.
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-jar", jar.toString(), "--properties", properties.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        killOnExit = new Thread(this::stop, "s3proxy-stopper");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /** Starts S3Proxy and returns once it answers HTTP. */
    public static S3ProxyServer start() throws IOException {
        S3ProxyServer server = new S3ProxyServer(jar());
        try {
            server.awaitReady();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /**
     * One server for the whole test JVM, started on first use and stopped when the JVM exits, which saves a startup
     * (seconds on a busy machine) per test class. Tests that share it keep to their own buckets and do not close it.
     */
    public static synchronized S3ProxyServer shared() throws IOException {
        if (shared == null || !shared.process.isAlive()) {
            shared = start();
        }
        return shared;
    }

    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /**
     * Where S3Proxy keeps the buckets, one folder each, for tests that check what the server really holds. An
     * unfinished multipart upload shows as files named {@code .mpus-<upload id>-<key>-stub} and
     * {@code ...-<part number>} in its bucket's folder (S3Proxy's {@code AbstractNio2BlobStore}).
     */
    public Path dataDirectory() {
        return data;
    }

    /** A client for this server; the region is set so the SDK never asks the server for it. */
    public MinioAsyncClient newAsyncClient() {
        return MinioAsyncClient.builder()
                .endpoint(endpoint.toString())
                .credentials(accessKey, secretKey)
                .region("us-east-1")
                .build();
    }

    /** Kills the server and deletes its files. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or about to run stop() itself
        }
        stop();
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(Duration.ofSeconds(10))) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteRecursively(directory);
    }

    private static Path jar() {
        String property = System.getProperty(JAR_PROPERTY);
        if (property == null || property.isBlank() || !Files.isRegularFile(Path.of(property))) {
            throw new IllegalStateException("S3Proxy jar not found (system property " + JAR_PROPERTY + " = "
                    + property + "). Run the tests through Maven, e.g. "
                    + "`./mvnw -pl storage -am test`: storage/pom.xml copies org.gaul:s3proxy:jar-with-dependencies to "
                    + "storage/target/s3proxy/s3proxy.jar in generate-test-resources and passes its path to surefire. "
                    + "From an IDE, run that build once and add -D" + JAR_PROPERTY + "=<repo>/storage/target/s3proxy/s3proxy.jar.");
        }
        return Path.of(property);
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            HttpRequest probe = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(2)).GET().build();
            while (true) {
                if (!process.isAlive()) {
                    throw new IOException("S3Proxy exited with status " + process.exitValue() + " before it answered:\n"
                            + logTail());
                }
                try {
                    http.send(probe, HttpResponse.BodyHandlers.discarding());
                    return; // any HTTP answer (an anonymous GET gets 403) means it is serving
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("S3Proxy did not answer on " + endpoint + " within " + STARTUP_TIMEOUT
                                + ":\n" + logTail(), notYet);
                    }
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for S3Proxy", e);
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** A port that was free a moment ago; S3Proxy fails fast (and {@link #start} says so) in the rare race. */
    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete S3Proxy's directory " + root + ": " + e);
        }
    }
}
