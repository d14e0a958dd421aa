package com.seedsq.api.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Optional;

/**
 * Requires {@code Authorization: Bearer <api key>} on every {@code /api/} request and records the {@link Caller}.
 * A servlet filter rather than Spring Security: the whole policy is "a valid key, scoped to its tenant", there are
 * no sessions or cookies (so no CSRF), and this stays readable in one page. The UI, health and OpenAPI are public.
 */
public class ApiKeyFilter extends OncePerRequestFilter {

    static final String CALLER = Caller.class.getName();

    private final ApiKeyService keys;

    public ApiKeyFilter(ApiKeyService keys) {
        this.keys = keys;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith(request.getContextPath() + "/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        // EventSource (SSE in browsers) cannot set headers, so the key may also come as ?access_token= (RFC 6750 2.3).
        String secret = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim()
                : request.getParameter("access_token");
        Optional<Caller> caller = secret == null || secret.isBlank() ? Optional.empty() : keys.authenticate(secret);
        if (caller.isEmpty()) {
            response.setStatus(HttpStatus.UNAUTHORIZED.value());
            response.setHeader("WWW-Authenticate", "Bearer");
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.getWriter().write("""
                    {"type":"https://seedsq.dev/problems/unauthorized","title":"Unauthorized","status":401,\
                    "detail":"%s"}""".formatted(secret == null || secret.isBlank()
                    ? "Send an API key as 'Authorization: Bearer <key>'."
                    : "The API key is unknown or revoked."));
            return;
        }
        request.setAttribute(CALLER, caller.get());
        chain.doFilter(request, response);
    }
}
