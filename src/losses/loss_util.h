// Helpers shared by the loss implementations: input checks, Keras's shape reconciliation, reductions.
#pragma once

#include <string>

#include "cairn/losses.h"
#include "cairn/ops.h"

namespace cairn::loss_detail {

// keras.backend.epsilon(): the clipping bound for probabilities and the offset inside logs.
inline constexpr double kEpsilon = 1e-7;

// InvalidArgument unless both are defined and y_pred is float32.
void require_inputs(const Loss& loss, const Tensor& y_true, const Tensor& y_pred);
[[noreturn]] void shape_mismatch(const Loss& loss, const Tensor& y_true, const Tensor& y_pred);
Shape without_last(Shape shape);
Tensor as_float32(const Tensor& y_true);
// y_true as float32 of y_pred's shape. Like Keras's squeeze_or_expand_to_same_rank, shapes that differ
// only by a trailing 1 ((B,) against (B, 1)) are reconciled; any other difference is a ShapeError.
Tensor targets_like(const Loss& loss, const Tensor& y_true, const Tensor& y_pred);
// y_true as float32 of exactly y_pred's shape (the categorical losses); a ShapeError otherwise.
Tensor same_shape_targets(const Loss& loss, const Tensor& y_true, const Tensor& y_pred);
// One loss per sample: the mean over the last axis (a rank-1 y_pred holds one value per sample already).
Tensor mean_over_last_axis(const Tensor& elementwise);
Tensor sum_over_last_axis(const Tensor& elementwise);
// Keras's label smoothing: y (1 - s) + s / classes for the categorical losses, y (1 - s) + s / 2 for the
// binary ones (classes = 2).
Tensor smooth_labels(const Tensor& y_true, double label_smoothing, double classes);
// InvalidArgument unless 0 <= label_smoothing <= 1.
void require_label_smoothing(const std::string& loss, double label_smoothing);

}  // namespace cairn::loss_detail
