/**
 * Architectures as data. A {@link com.seedsq.engine.model.ModelFamily} says how a family names its tensors and which
 * blocks it uses (norm kind and placement, positions, MLP kind, parallel attention) and where SmoothQuant may smooth;
 * a {@link com.seedsq.engine.model.ModelConfig} holds one model's numbers; a {@link com.seedsq.engine.model.Model}
 * ties both to an opened checkpoint. How a checkpoint stores the tensors (fused q/k/v, [in, out] weights, offsets) is
 * a {@link com.seedsq.engine.model.WeightLayout}, applied by {@link com.seedsq.engine.model.LayoutView} when the
 * model is opened. The forward pass reads these; adding a family is mostly a new description.
 */
package com.seedsq.engine.model;
