package com.seedsq.api.jobs;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The report's tables (evaluation, benchmark) as one CSV: a {@code table} column says which table a row belongs to,
 * so the file loads into a spreadsheet or pandas as is.
 */
final class ReportCsv {

    private ReportCsv() {
    }

    static String of(JsonNode report) {
        StringBuilder out = new StringBuilder();
        out.append("table,variant,dataset,metric,value,tokens,batch,seq_len,prefill_ms,prefill_tokens_per_s,"
                + "decode_ms_per_token,weight_bytes,kv_cache_bytes,activation_bytes,peak_memory_bytes\n");
        for (JsonNode r : report.path("evaluation").path("results")) {
            row(out, List.of("evaluation", r.path("variant").asString(), r.path("datasetName").asString(),
                    r.path("metric").asString(), num(r.path("value")), num(r.path("tokens")), "", "", "", "", "", "", "",
                    "", ""));
        }
        for (JsonNode p : report.path("benchmark").path("points")) {
            row(out, List.of("benchmark", p.path("variant").asString(), "", "", "", "", num(p.path("batch")),
                    num(p.path("seqLen")), num(p.path("prefillMs")), num(p.path("prefillTokensPerSecond")),
                    num(p.path("decodeMsPerToken")), num(p.path("memory").path("weightBytes")),
                    num(p.path("memory").path("kvCacheBytes")), num(p.path("memory").path("activationBytes")),
                    num(p.path("memory").path("peakBytes"))));
        }
        return out.toString();
    }

    private static String num(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "" : n.asString();
    }

    private static void row(StringBuilder out, List<String> cells) {
        List<String> quoted = new ArrayList<>();
        for (String c : cells) {
            quoted.add(c.contains(",") || c.contains("\"") || c.contains("\n")
                    ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
        }
        out.append(String.join(",", quoted)).append('\n');
    }
}
