package com.seedsq.api.keys;

import com.seedsq.api.error.ApiProblem;
import com.seedsq.api.security.ApiKeyService;
import com.seedsq.api.security.Caller;
import com.seedsq.storage.metadata.ApiKeys;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/** Key management, for admin keys only. */
@RestController
@RequestMapping("/api/v1/api-keys")
@Tag(name = "API keys", description = "Create and revoke API keys (admin keys only). Each key belongs to a tenant.")
class ApiKeyController {

    record CreateKey(@NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,62}",
            message = "lower-case letters, digits and dashes, at most 63") String tenant,
                     @NotBlank @Size(max = 200) String name,
                     boolean admin) {
    }

    record KeyView(String id, String tenant, String name, boolean admin, OffsetDateTime createdAt,
                   OffsetDateTime revokedAt, String key) {
    }

    private final ApiKeyService service;
    private final ApiKeys keys;

    ApiKeyController(ApiKeyService service, ApiKeys keys) {
        this.service = service;
        this.keys = keys;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Create a key", description = "The response carries the key itself; it is shown only once.")
    KeyView create(Caller caller, @Valid @RequestBody CreateKey body) {
        requireAdmin(caller);
        ApiKeyService.NewKey k = service.create(body.tenant(), body.name(), body.admin());
        return new KeyView(k.record().id(), k.record().tenant(), k.record().name(), k.record().admin(),
                k.record().createdAt(), null, k.secret());
    }

    @GetMapping
    @Operation(summary = "List keys (without their secrets)")
    List<KeyView> list(Caller caller) {
        requireAdmin(caller);
        return keys.list().stream().map(k -> new KeyView(k.id(), k.tenant(), k.name(), k.admin(), k.createdAt(),
                k.revokedAt(), null)).toList();
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Revoke a key")
    void revoke(Caller caller, @PathVariable String id) {
        requireAdmin(caller);
        if (!keys.revoke(id, OffsetDateTime.now(ZoneOffset.UTC))) {
            throw ApiProblem.notFound("API key", id);
        }
    }

    private static void requireAdmin(Caller caller) {
        if (!caller.admin()) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", "Managing API keys needs an admin key.",
                    Map.of());
        }
    }
}
