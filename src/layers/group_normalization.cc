#include "cairn/layers/group_normalization.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

GroupNormalization::GroupNormalization(GroupNormalizationOptions options)
    : Layer("GroupNormalization", options.name), options_(std::move(options)), groups_(options_.groups) {
  if (options_.groups <= 0 && options_.groups != -1)
    throw InvalidArgument("GroupNormalization: received an invalid value for argument `groups`, expected a positive "
                          "integer (or `-1` for instance normalization). Received: groups=" +
                          std::to_string(options_.groups));
  if (!(options_.epsilon > 0))
    throw InvalidArgument("GroupNormalization: epsilon must be positive, got " + std::to_string(options_.epsilon));
  if (!options_.beta_initializer || !options_.gamma_initializer)
    throw InvalidArgument("GroupNormalization: beta_initializer and gamma_initializer must be set");
}

int GroupNormalization::channel_axis(size_t rank) const {
  return options_.axis < 0 ? options_.axis + static_cast<int>(rank) : options_.axis;
}

void GroupNormalization::check_input(const Shape& input_shape) const {
  const int rank = static_cast<int>(input_shape.size());
  const int axis = channel_axis(input_shape.size());
  if (axis < 1 || axis >= rank)
    incompatible_input("axis " + std::to_string(options_.axis) + " is out of bounds for input shape " +
                       shape_str(input_shape) + " (or is the batch axis). Received: axis=" +
                       std::to_string(options_.axis));
  const int64_t channels = input_shape[static_cast<size_t>(axis)];
  if (built()) {
    if (rank != static_cast<int>(built_input_shape().size()))
      incompatible_input("expected ndim=" + std::to_string(built_input_shape().size()) + ", found ndim=" +
                         std::to_string(rank) + ". Full shape received: " + shape_str(input_shape));
    if (channels != built_input_shape()[static_cast<size_t>(axis)])
      incompatible_input("expected axis " + std::to_string(options_.axis) + " of input shape to have value " +
                         std::to_string(built_input_shape()[static_cast<size_t>(axis)]) +
                         ", but received input with shape " + shape_str(input_shape));
    return;
  }
  if (channels <= 0)
    incompatible_input("axis " + std::to_string(options_.axis) +
                       " of input tensor should have a defined dimension but the layer received an input with shape " +
                       shape_str(input_shape));
  const int64_t groups = options_.groups == -1 ? channels : options_.groups;
  if (channels < groups)
    incompatible_input("number of groups (" + std::to_string(groups) + ") cannot be more than the number of channels (" +
                       std::to_string(channels) + "); input shape " + shape_str(input_shape));
  if (channels % groups != 0)
    incompatible_input("number of groups (" + std::to_string(groups) + ") must divide the number of channels (" +
                       std::to_string(channels) + "); input shape " + shape_str(input_shape));
}

void GroupNormalization::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[static_cast<size_t>(channel_axis(input_shape.size()))];
  groups_ = options_.groups == -1 ? channels : options_.groups;
  if (options_.scale) gamma_ = add_weight("gamma", {channels}, options_.gamma_initializer);
  if (options_.center) beta_ = add_weight("beta", {channels}, options_.beta_initializer);
}

// x as (batch, before, groups, channels per group, after): the statistics of each (sample, group) over
// axes 1, 3 and 4; gamma and beta per channel, (groups, channels per group).
Tensor GroupNormalization::call(const Tensor& x, bool) {
  const Shape& s = x.shape();
  const size_t axis = static_cast<size_t>(channel_axis(s.size()));
  int64_t before = 1, after = 1;
  for (size_t i = 1; i < axis; ++i) before *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) after *= s[i];
  const int64_t per_group = s[axis] / groups_;
  const Tensor grouped = ops::reshape(x, {s[0], before, groups_, per_group, after});
  const Tensor mean = ops::mean(grouped, {1, 3, 4}, true);
  const Tensor centered = ops::sub(grouped, mean);
  const Tensor variance = ops::mean(ops::square(centered), {1, 3, 4}, true);
  Tensor y = ops::mul(centered, ops::power(ops::add_scalar(variance, options_.epsilon), -0.5));
  const Shape channel_shape = {1, 1, groups_, per_group, 1};
  if (gamma_) y = ops::mul(y, ops::reshape(gamma_->value(), channel_shape));
  if (beta_) y = ops::add(y, ops::reshape(beta_->value(), channel_shape));
  return ops::reshape(y, s);
}

}  // namespace cairn
