package com.seedsq.api.runners;

import com.seedsq.api.error.ApiProblem;
import com.seedsq.api.security.Caller;
import com.seedsq.storage.metadata.Runners;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/** The runners that advertised themselves (sq.jobs.runners=remote), what they can run, and whether they are up. */
@RestController
@RequestMapping("/api/v1/runners")
@Tag(name = "Runners", description = "Remote runners and their backends (admin keys only)")
class RunnerController {

    /** A runner beats every 5 s by default; three missed beats and it counts as down. */
    private static final Duration ALIVE_WITHIN = Duration.ofSeconds(20);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    record RunnerView(String name, boolean alive, JsonNode backends, OffsetDateTime startedAt,
                      OffsetDateTime heartbeatAt) {
    }

    private final Runners runners;

    RunnerController(Runners runners) {
        this.runners = runners;
    }

    @GetMapping
    @Operation(summary = "List runners", description = "Each runner's backends (cpu/cuda, device name, memory, "
            + "cores) as it advertises them, and whether it beat in the last 20 s.")
    List<RunnerView> list(Caller caller) {
        if (!caller.admin()) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", "Listing runners needs an admin key.",
                    Map.of());
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return runners.list().stream().map(r -> new RunnerView(r.name(),
                r.heartbeatAt().isAfter(now.minus(ALIVE_WITHIN)), JSON.readTree(r.backends()), r.startedAt(),
                r.heartbeatAt())).toList();
    }
}
