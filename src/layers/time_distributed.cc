#include "cairn/layers/time_distributed.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

// (batch, timesteps, rest...) -> (batch * timesteps, rest...), -1 when either is unknown.
Shape merged_steps(const Shape& shape) {
  Shape merged(shape.begin() + 1, shape.end());
  merged[0] = shape[0] < 0 || shape[1] < 0 ? -1 : shape[0] * shape[1];
  return merged;
}

}  // namespace

TimeDistributed::TimeDistributed(LayerPtr layer, std::string name)
    : Layer("TimeDistributed", std::move(name)), layer_(std::move(layer)) {
  if (!layer_) throw InvalidArgument("TimeDistributed: layer must be a Layer, got null");
}

void TimeDistributed::check_input(const Shape& input_shape) const {
  if (input_shape.size() < 3)
    incompatible_input("TimeDistributed needs an input of at least 3 dimensions (batch, timesteps, ...) for layer \"" +
                       layer_->name() + "\", received shape " + shape_str(input_shape));
}

void TimeDistributed::build_impl(const Shape& input_shape) {
  layer_->build(merged_steps(input_shape));
  adopt_weights(*layer_, "layer");
}

Shape TimeDistributed::compute_output_shape(const Shape& input_shape) const {
  const Shape step = layer_->compute_output_shape(merged_steps(input_shape));
  Shape out{input_shape[0], input_shape[1]};
  out.insert(out.end(), step.begin() + 1, step.end());
  return out;
}

Tensor TimeDistributed::call(const Tensor& x, bool training) {
  if (training && layer_->draws_random_numbers()) layer_->generator() = Generator(generator().next_u64());
  const Tensor y = (*layer_)(ops::reshape(x, merged_steps(x.shape())), training);
  Shape out{x.dim(0), x.dim(1)};
  out.insert(out.end(), y.shape().begin() + 1, y.shape().end());
  return ops::reshape(y, out);
}

Tensor TimeDistributed::call_with_mask(const Tensor& x, const Tensor& mask, bool training) {
  // Each step's mask reaches the wrapped layer with the step (Keras passes mask[:, i] to layers that
  // take one); with the steps as one batch, the mask's steps go into its batch dimension too.
  if (mask.rank() < 2) return call(x, training);
  if (training && layer_->draws_random_numbers()) layer_->generator() = Generator(generator().next_u64());
  Shape steps_mask{mask.dim(0) * mask.dim(1)};
  steps_mask.insert(steps_mask.end(), mask.shape().begin() + 2, mask.shape().end());
  const Tensor y = (*layer_)(ops::reshape(x, merged_steps(x.shape())), ops::reshape(mask, steps_mask), training).output;
  Shape out{x.dim(0), x.dim(1)};
  out.insert(out.end(), y.shape().begin() + 1, y.shape().end());
  return ops::reshape(y, out);
}

Tensor TimeDistributed::compute_mask(const Tensor& x, const Tensor& mask) const {
  if (!mask.defined() || mask.rank() <= 2) return mask;
  const Shape out = compute_output_shape(x.shape());
  const Shape& ms = mask.shape();
  const bool fits = ms.size() < out.size() && std::equal(ms.begin() + 2, ms.end(), out.begin() + 2);
  return fits ? mask : Tensor();
}

std::vector<Layer::KerasWeightPath> TimeDistributed::keras_weight_paths() const {
  // tf.keras 2 names them as the wrapped layer's own ("time_distributed/kernel:0"); Keras 3 keeps them in
  // its "layer" object.
  std::vector<KerasWeightPath> paths;
  for (const KerasWeightPath& p : layer_->keras_weight_paths())
    paths.push_back({p.checkpoint, p.keras2, p.keras3.empty() ? "layer" : "layer/" + p.keras3});
  return paths;
}

void TimeDistributed::reset_weights() { layer_->reset_weights(); }

}  // namespace cairn
