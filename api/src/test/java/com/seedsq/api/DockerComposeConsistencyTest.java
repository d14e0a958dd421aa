package com.seedsq.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Docker engine runs here, so docker-compose.yml is kept honest by reading it: every environment variable the
 * compose file gives the api and the runners must be a key the application actually declares (in Spring's relaxed
 * environment form), the ports must be the ones the applications listen on, and every stateful service needs a
 * health check and a named volume.
 */
class DockerComposeConsistencyTest {

    /** Variables read by the JVM or the container rather than by Spring. */
    private static final Set<String> NOT_SPRING = Set.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS");

    static Path project;
    static Map<String, Object> compose;

    @BeforeAll
    static void read() throws IOException {
        project = Path.of(System.getProperty("sq.project.dir", ".."));
        compose = yaml(project.resolve("docker-compose.yml"));
    }

    @Test
    void apiVariablesAreKeysOfTheApiConfiguration() throws IOException {
        checkVariables("api", project.resolve("api/src/main/resources/application.yml"));
    }

    @Test
    void runnerVariablesAreKeysOfTheWorkerConfiguration() throws IOException {
        checkVariables("gpu-runner", project.resolve("gpu-runner/worker/src/main/resources/application.yml"));
    }

    @Test
    void portsMatchWhatTheApplicationsListenOn() throws IOException {
        Map<String, Object> apiConfig = yaml(project.resolve("api/src/main/resources/application.yml"));
        Map<String, Object> workerConfig = yaml(project.resolve("gpu-runner/worker/src/main/resources/application.yml"));
        String apiPort = String.valueOf(flatten(apiConfig).get("server.port"));
        String workerPort = String.valueOf(flatten(workerConfig).get("server.port"));

        assertThat(environment("api")).containsEntry("SERVER_PORT", apiPort);
        assertThat(list(service("api").get("ports"))).contains(apiPort + ":" + apiPort);
        assertThat(environment("gpu-runner")).containsEntry("SERVER_PORT", workerPort);
        assertThat(list(service("gpu-runner").get("expose"))).contains(workerPort);
        assertThat(environment("api").get("SPRING_DATASOURCE_URL")).isEqualTo("jdbc:postgresql://postgres:5432/sq");
        assertThat(environment("api").get("SQ_STORAGE_S3_ENDPOINT")).isEqualTo("http://minio:9000");
    }

    @Test
    void everyServiceHasAHealthCheckAndEveryStatefulOneANamedVolume() {
        Map<String, Object> services = map(compose.get("services"));
        assertThat(services.keySet()).containsExactlyInAnyOrder("postgres", "minio", "rabbitmq", "api", "gpu-runner");
        services.forEach((name, s) -> assertThat(map(s)).as(name + " healthcheck").containsKey("healthcheck"));

        Set<String> namedVolumes = map(compose.get("volumes")).keySet();
        for (String stateful : List.of("postgres", "minio", "rabbitmq")) {
            String volume = list(service(stateful).get("volumes")).getFirst().toString().split(":")[0];
            assertThat(namedVolumes).as(stateful + " volume").contains(volume);
        }
    }

    /** The API runs as job manager, and it and the runners agree on the queues and how partitions are cut. */
    @Test
    void theApiManagesJobsAndAgreesWithTheRunnersOnTheQueues() throws IOException {
        assertThat(environment("api")).containsEntry("SQ_JOBS_RUNNERS", "remote")
                .containsEntry("MANAGEMENT_HEALTH_RABBIT_ENABLED", "true");
        Map<String, Object> api = flatten(yaml(project.resolve("api/src/main/resources/application.yml")));
        Map<String, Object> worker = flatten(yaml(project.resolve("gpu-runner/worker/src/main/resources/application.yml")));
        for (String key : List.of("sq.jobs.remote.queue-prefix", "sq.jobs.remote.calibration-shards",
                "sq.jobs.remote.attempts", "sq.jobs.remote.reproducible")) {
            Object apiValue = environment("api").getOrDefault(relaxedEnvironmentName(key), api.get(key));
            Object workerValue = environment("gpu-runner").getOrDefault(relaxedEnvironmentName(key), worker.get(key));
            assertThat(apiValue).as(key).isNotNull();
            assertThat(String.valueOf(workerValue)).as(key + " of the runners").isEqualTo(String.valueOf(apiValue));
        }
        assertThat(worker.get("sq.jobs.manager")).as("a runner must not manage jobs").isEqualTo(false);
    }

    @Test
    void runnersReserveAnNvidiaGpu() {
        Map<String, Object> device = map(list(map(map(map(service("gpu-runner").get("deploy")).get("resources"))
                .get("reservations")).get("devices")).getFirst());
        assertThat(device).containsEntry("driver", "nvidia");
        assertThat(list(device.get("capabilities"))).contains("gpu");
    }

    private void checkVariables(String service, Path applicationYml) throws IOException {
        Set<String> declared = new TreeSet<>();
        flatten(yaml(applicationYml)).keySet().forEach(key -> declared.add(relaxedEnvironmentName(key)));
        Map<String, Object> env = environment(service);
        assertThat(env).isNotEmpty();
        for (String variable : env.keySet()) {
            if (!NOT_SPRING.contains(variable)) {
                assertThat(declared).as(service + " reads " + variable + "? declared keys of " + applicationYml)
                        .contains(variable);
            }
        }
    }

    /** Spring Boot's binding rule for environment variables: dots to underscores, dashes dropped, upper case. */
    static String relaxedEnvironmentName(String key) {
        return key.replace("-", "").replace('.', '_').toUpperCase(Locale.ROOT);
    }

    private static Map<String, Object> environment(String service) {
        return map(service(service).get("environment"));
    }

    private static Map<String, Object> service(String name) {
        return map(map(compose.get("services")).get(name));
    }

    static Map<String, Object> flatten(Map<String, Object> tree) {
        Map<String, Object> flat = new java.util.LinkedHashMap<>();
        flatten("", tree, flat);
        return flat;
    }

    private static void flatten(String prefix, Map<String, Object> tree, Map<String, Object> out) {
        tree.forEach((k, v) -> {
            String key = prefix.isEmpty() ? k : prefix + "." + k;
            if (v instanceof Map<?, ?> m) {
                flatten(key, map(m), out);
            } else {
                out.put(key, v);
            }
        });
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file)) {
            return new Yaml().load(r);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }
}
