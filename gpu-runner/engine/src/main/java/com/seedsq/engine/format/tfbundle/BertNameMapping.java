package com.seedsq.engine.format.tfbundle;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Google BERT TF variable names to Hugging Face {@code BertForPreTraining}/{@code BertForMaskedLM} names, e.g.
 * {@code module/bert/encoder/layer_3/attention/self/query/kernel} → {@code bert.encoder.layer.3.attention.self.query.weight}.
 * Unknown names are rejected rather than guessed: a silently misnamed tensor would load as a random init in HF.
 */
final class BertNameMapping {

    /** A mapped name, and whether the TF tensor is a dense kernel stored [in, out] that HF stores [out, in]. */
    record Mapped(String hfName, boolean transpose) {
    }

    private static final Pattern LAYER = Pattern.compile("layer_(\\d+)");

    private BertNameMapping() {
    }

    static Mapped map(String tfName) {
        String n = tfName.startsWith("module/") ? tfName.substring("module/".length()) : tfName;
        switch (n) {
            case "cls/predictions/output_bias":
                return new Mapped("cls.predictions.bias", false);
            case "cls/seq_relationship/output_weights":
                return new Mapped("cls.seq_relationship.weight", false); // already [2, hidden]
            case "cls/seq_relationship/output_bias":
                return new Mapped("cls.seq_relationship.bias", false);
            default:
                break;
        }
        if (!n.startsWith("bert/") && !n.startsWith("cls/predictions/transform/")) {
            throw new IllegalArgumentException("unexpected BERT variable '" + tfName + "'");
        }
        int slash = n.lastIndexOf('/');
        String path = n.substring(0, slash);
        String leaf = n.substring(slash + 1);
        Matcher m = LAYER.matcher(path);
        String hfPath = m.replaceAll("layer.$1").replace('/', '.');
        return switch (leaf) {
            case "kernel" -> new Mapped(hfPath + ".weight", true);
            case "bias", "beta" -> new Mapped(hfPath + ".bias", false);
            case "gamma" -> new Mapped(hfPath + ".weight", false);
            case "word_embeddings", "position_embeddings", "token_type_embeddings" ->
                    new Mapped(hfPath + "." + leaf + ".weight", false);
            default -> throw new IllegalArgumentException("unexpected BERT variable '" + tfName + "'");
        };
    }
}
