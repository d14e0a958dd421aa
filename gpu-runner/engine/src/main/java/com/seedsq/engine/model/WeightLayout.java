package com.seedsq.engine.model;

import java.util.List;
import java.util.Map;

/**
 * How a family's checkpoint stores what its roles name, as data, so that the forward pass only ever sees plain
 * [out, in] matrices per role ({@link LayoutView} applies it when a model is opened).
 *
 * <p>A family with a fused q/k/v tensor names its roles {@code <fused name>#q}, {@code #k}, {@code #v} (weights and
 * biases alike); {@link #qkv} says how the fused rows interleave. Memory-mapped weights stay where they are whenever
 * a role's rows form one contiguous block (Falcon-7B's [q heads | k | v], GPT-2 after its transposition, OPT's
 * position table); only strided layouts and [in, out] weights are copied, off-heap, in their stored dtype.
 *
 * @param basePrefix  the prefix the family's names start with (e.g. {@code transformer.}) that checkpoints saved
 *                    from the bare base model leave out; empty for none
 * @param qkv         the fused q/k/v row order, or {@link QkvPacking#SEPARATE}
 * @param transposed  name patterns ({@code {l}} for the layer) of weights stored [in, out] (GPT-2's Conv1D)
 * @param skipRows    name pattern → leading rows that are not used (OPT's learned positions start at row 2)
 */
public record WeightLayout(String basePrefix, QkvPacking qkv, List<String> transposed, Map<String, Integer> skipRows) {

    /** Every role is a plain tensor under its own name. */
    public static final WeightLayout PLAIN = new WeightLayout("", QkvPacking.SEPARATE, List.of(), Map.of());

    public WeightLayout {
        transposed = List.copyOf(transposed);
        skipRows = Map.copyOf(skipRows);
    }

    /**
     * How the rows of a fused [rows, in] q/k/v weight (and its bias) interleave, in units of one head's
     * {@code headDim} rows.
     */
    public enum QkvPacking {
        /** No fused tensor. */
        SEPARATE,
        /** [all q heads | all k heads | all v heads] (GPT-2's c_attn after transposition). */
        CONTIGUOUS,
        /**
         * One block per KV head, each [its group's q heads | k | v]: BLOOM and GPT-NeoX (one q head per block,
         * [heads, 3, headDim]), Falcon's new decoder architecture, and Falcon-7B (multi-query: one block, so each of
         * q, k, v is contiguous).
         */
        BY_KV_GROUP;

        /** Head-sized row blocks per group: {groups, q heads, k heads, v heads}. */
        int[] geometry(ModelConfig c) {
            return switch (this) {
                case SEPARATE -> throw new IllegalStateException("no fused q/k/v");
                case CONTIGUOUS -> new int[]{1, c.heads(), c.kvHeads(), c.kvHeads()};
                case BY_KV_GROUP -> new int[]{c.kvHeads(), c.groupSize(), 1, 1};
            };
        }
    }
}
