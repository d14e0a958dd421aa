package com.seedsq.api.security;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param bootstrapAdminKey an admin API key created at start-up if absent, so a fresh installation can be used and
 *                          can create the other keys. Set your own in production.
 * @param bootstrapTenant   the tenant that key belongs to
 */
@ConfigurationProperties(prefix = "sq.security")
public record SecurityProperties(String bootstrapAdminKey, String bootstrapTenant) {

    public SecurityProperties {
        if (bootstrapTenant == null || bootstrapTenant.isBlank()) {
            bootstrapTenant = "default";
        }
    }
}
