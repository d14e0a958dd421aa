package com.seedsq.api.security;

/**
 * Who is calling: the tenant every query is scoped to, the key used, and whether it may manage keys. Controllers take
 * it as a method parameter ({@link CallerArgumentResolver}).
 */
public record Caller(String tenant, String keyId, boolean admin) {
}
