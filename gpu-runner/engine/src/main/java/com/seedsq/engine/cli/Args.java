package com.seedsq.engine.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code command POSITIONAL... --option value --flag}: the whole grammar of the CLI. */
final class Args {

    final String command;
    final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new HashMap<>();

    Args(String[] argv, Set<String> flags) {
        if (argv.length == 0) {
            throw new UsageException("missing command; " + Main.USAGE);
        }
        command = argv[0];
        for (int i = 1; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String key = a.substring(2);
                int eq = key.indexOf('=');
                if (eq >= 0) {
                    options.put(key.substring(0, eq), key.substring(eq + 1));
                } else if (flags.contains(key)) {
                    options.put(key, "true");
                } else if (i + 1 < argv.length) {
                    options.put(key, argv[++i]);
                } else {
                    throw new UsageException("option --" + key + " needs a value");
                }
            } else {
                positional.add(a);
            }
        }
    }

    String positional(int i, String what) {
        if (i >= positional.size()) {
            throw new UsageException(command + ": missing " + what);
        }
        return positional.get(i);
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    String option(String name, String fallback) {
        return options.getOrDefault(name, fallback);
    }

    String required(String name) {
        String v = options.get(name);
        if (v == null) {
            throw new UsageException(command + ": missing --" + name);
        }
        return v;
    }

    int intOption(String name, int fallback) {
        String v = options.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": not an integer: " + v);
        }
    }

    /** Fails on options the command does not know, so typos do not pass silently. */
    void allowOnly(Set<String> known) {
        for (String k : options.keySet()) {
            if (!known.contains(k)) {
                throw new UsageException(command + ": unknown option --" + k);
            }
        }
    }
}
