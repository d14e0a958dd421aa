package com.seedsq.api.uploads;

import com.seedsq.api.error.ApiProblem;

import java.util.Map;

/** Display names of models and datasets: free text, but present and of sane length. */
public final class DisplayNames {

    private DisplayNames() {
    }

    public static String require(String name) {
        if (name == null || name.isBlank() || name.length() > 200) {
            throw ApiProblem.badRequest("invalid-name", "A name of 1 to 200 characters is required.",
                    Map.of("field", "name"));
        }
        return name.strip();
    }
}
