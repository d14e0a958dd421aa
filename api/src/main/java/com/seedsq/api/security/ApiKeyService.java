package com.seedsq.api.security;

import com.seedsq.storage.metadata.ApiKeyRecord;
import com.seedsq.storage.metadata.ApiKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

/**
 * API keys: random 256-bit secrets, stored only as their sha256 (a fast hash is enough for high-entropy keys, and
 * keeps each request's lookup an index hit).
 */
@Service
public class ApiKeyService {

    private static final Logger log = LoggerFactory.getLogger(ApiKeyService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiKeys keys;
    private final SecurityProperties properties;

    public ApiKeyService(ApiKeys keys, SecurityProperties properties) {
        this.keys = keys;
        this.properties = properties;
    }

    /** A newly created key; {@code secret} is shown to the caller once and never stored. */
    public record NewKey(ApiKeyRecord record, String secret) {
    }

    public NewKey create(String tenant, String name, boolean admin) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String secret = "sq_" + HexFormat.of().formatHex(bytes);
        ApiKeyRecord record = new ApiKeyRecord(UUID.randomUUID().toString(), tenant, name, hash(secret), admin,
                now(), null);
        keys.insert(record);
        return new NewKey(record, secret);
    }

    public Optional<Caller> authenticate(String secret) {
        return keys.findActiveByHash(hash(secret)).map(k -> new Caller(k.tenant(), k.id(), k.admin()));
    }

    @EventListener(ApplicationReadyEvent.class)
    public void ensureBootstrapKey() {
        String secret = properties.bootstrapAdminKey();
        if (secret == null || secret.isBlank()) {
            return;
        }
        if (keys.findActiveByHash(hash(secret)).isEmpty()) {
            keys.insert(new ApiKeyRecord(UUID.randomUUID().toString(), properties.bootstrapTenant(), "bootstrap admin",
                    hash(secret), true, now(), null));
            log.info("created the bootstrap admin API key for tenant '{}'", properties.bootstrapTenant());
        }
        if ("dev-admin-key".equals(secret)) {
            log.warn("the bootstrap admin API key is the embedded default 'dev-admin-key': fine on a laptop, "
                    + "set sq.security.bootstrap-admin-key to a secret anywhere else");
        }
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}
