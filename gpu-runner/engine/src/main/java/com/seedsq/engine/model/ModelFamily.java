package com.seedsq.engine.model;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * An architecture as data: how a family names its tensors and which building blocks it uses. One forward pass
 * ({@code com.seedsq.engine.forward.Transformer}) interprets any description; adding a family is mostly writing one
 * of these (see {@link Families}).
 *
 * @param name               this description's id, e.g. {@code llama2c}
 * @param architecture       the architecture it implements, e.g. {@code llama} (variants differ in layout only)
 * @param tensorNames        name pattern per role; per-layer roles contain {@code {l}}; optional roles (biases,
 *                           LM head when tied) are simply used when the checkpoint has them
 * @param parallelAttention  {@code x + attn(norm(x)) + mlp(norm(x))}: one shared norm (Falcon-7B, GPT-J), or the
 *                           MLP's own norm when the checkpoint has an FFN_NORM tensor (GPT-NeoX, Falcon-40B)
 * @param causal             decoder (true) or encoder (false, BERT)
 * @param smoothing          SmoothQuant sites: which norm feeds which linears
 * @param layout             how the checkpoint stores what the roles name (fused q/k/v, [in, out] weights, a
 *                           position offset); {@link WeightLayout#PLAIN} when every role is a plain tensor
 */
public record ModelFamily(String name,
                          String architecture,
                          Map<TensorRole, String> tensorNames,
                          NormKind norm,
                          NormPlacement normPlacement,
                          PositionKind positions,
                          MlpKind mlp,
                          boolean parallelAttention,
                          boolean causal,
                          List<SmoothingGroup> smoothing,
                          WeightLayout layout) {

    public ModelFamily {
        tensorNames = Map.copyOf(tensorNames);
        smoothing = List.copyOf(smoothing);
        for (var e : tensorNames.entrySet()) {
            if (e.getKey().perLayer() != e.getValue().contains("{l}")) {
                throw new IllegalArgumentException(name + ": tensor name for " + e.getKey() + " must "
                        + (e.getKey().perLayer() ? "" : "not ") + "contain {l}: " + e.getValue());
            }
            if (e.getKey().perExpert() != e.getValue().contains("{e}")) {
                throw new IllegalArgumentException(name + ": tensor name for " + e.getKey() + " must "
                        + (e.getKey().perExpert() ? "" : "not ") + "contain {e}: " + e.getValue());
            }
        }
    }

    /** A family whose checkpoints store every role as a plain [out, in] tensor. */
    public ModelFamily(String name, String architecture, Map<TensorRole, String> tensorNames, NormKind norm,
                       NormPlacement normPlacement, PositionKind positions, MlpKind mlp, boolean parallelAttention,
                       boolean causal, List<SmoothingGroup> smoothing) {
        this(name, architecture, tensorNames, norm, normPlacement, positions, mlp, parallelAttention, causal,
                smoothing, WeightLayout.PLAIN);
    }

    /** The checkpoint name of a global tensor, or null if the family has none for this role. */
    public String tensorName(TensorRole role) {
        if (role.perLayer()) {
            throw new IllegalArgumentException(role + " is per layer");
        }
        return tensorNames.get(role);
    }

    /** The checkpoint name of a layer's tensor, or null if the family has none for this role. */
    public String tensorName(TensorRole role, int layer) {
        String pattern = tensorNames.get(role);
        return pattern == null ? null : pattern.replace("{l}", Integer.toString(layer));
    }

    /** The checkpoint name of one expert's tensor (roles with {@code {e}}), or null if the family has none. */
    public String tensorName(TensorRole role, int layer, int expert) {
        String n = tensorName(role, layer);
        return n == null ? null : n.replace("{e}", Integer.toString(expert));
    }

    public ModelFamily withName(String newName) {
        return new ModelFamily(newName, architecture, tensorNames, norm, normPlacement, positions, mlp, parallelAttention,
                causal, smoothing, layout);
    }

    public ModelFamily withPositions(PositionKind newPositions) {
        return new ModelFamily(name, architecture, tensorNames, norm, normPlacement, newPositions, mlp, parallelAttention,
                causal, smoothing, layout);
    }

    public ModelFamily withMlp(MlpKind newMlp) {
        return new ModelFamily(name, architecture, tensorNames, norm, normPlacement, positions, newMlp, parallelAttention,
                causal, smoothing, layout);
    }

    /** Sequential instead of parallel attention (or back), with the smoothing sites that go with it. */
    public ModelFamily withParallelAttention(boolean parallel, List<SmoothingGroup> newSmoothing) {
        return new ModelFamily(name, architecture, tensorNames, norm, normPlacement, positions, mlp, parallel,
                causal, newSmoothing, layout);
    }

    /** The same blocks with their norms placed differently, with the smoothing sites that go with it. */
    public ModelFamily withNormPlacement(NormPlacement placement, List<SmoothingGroup> newSmoothing) {
        return new ModelFamily(name, architecture, tensorNames, norm, placement, positions, mlp, parallelAttention,
                causal, newSmoothing, layout);
    }

    /** Whether the family names a tensor for this role (optional roles are used only when named). */
    public boolean has(TensorRole role) {
        return tensorNames.containsKey(role);
    }

    /** A copy of the name map, for building a derived family. */
    public Map<TensorRole, String> tensorNamesCopy() {
        return new EnumMap<>(tensorNames);
    }
}
