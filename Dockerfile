# One build, two images: `api` and `gpu-runner` (docker-compose.yml picks the target).
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:25-jre AS runtime-base
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
# The engine's kernels use the Vector API and the FFM API.
ENV JDK_JAVA_OPTIONS="--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector"
WORKDIR /app

FROM runtime-base AS api
COPY --from=build /src/api/target/sq-api.jar /app/sq-api.jar
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/sq-api.jar"]

FROM runtime-base AS gpu-runner
# JCuda needs only libcuda.so.1, which the NVIDIA container toolkit mounts when a GPU is reserved.
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility
COPY --from=build /src/gpu-runner/worker/target/sq-worker-exec.jar /app/sq-worker.jar
EXPOSE 8081
ENTRYPOINT ["java", "-jar", "/app/sq-worker.jar"]
