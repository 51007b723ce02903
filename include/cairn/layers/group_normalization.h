// GroupNormalization: keras.layers.GroupNormalization. The channels (axis, the last by default) are split
// into `groups` groups of consecutive channels; each sample's group is normalized with the mean and
// (biased) variance over its channels and every other non-batch axis, then each channel is scaled by gamma
// and shifted by beta (weights in Keras's order: gamma, beta). groups -1 is one group per channel
// (instance normalization).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.GroupNormalization's arguments.
struct GroupNormalizationOptions {
  int64_t groups = 32;  // divides the channels; -1: as many groups as channels
  int axis = -1;        // the channels axis (negative counts from the end); not the batch axis
  double epsilon = 1e-3;
  bool center = true;  // has beta
  bool scale = true;   // has gamma
  InitializerPtr beta_initializer = zeros();
  InitializerPtr gamma_initializer = ones();
  std::string name{};
};

class GroupNormalization : public Layer {
 public:
  explicit GroupNormalization(GroupNormalizationOptions options = {});
  const GroupNormalizationOptions& options() const { return options_; }
  // The number of groups: options().groups, or once built with groups -1, the number of channels.
  int64_t groups() const { return groups_; }
  const VariablePtr& gamma() const { return gamma_; }  // null without scale
  const VariablePtr& beta() const { return beta_; }    // null without center
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int channel_axis(size_t rank) const;  // options_.axis as a non-negative index
  GroupNormalizationOptions options_;
  int64_t groups_;
  VariablePtr gamma_, beta_;
};

inline std::shared_ptr<GroupNormalization> make_group_normalization(GroupNormalizationOptions options = {}) {
  return std::make_shared<GroupNormalization>(std::move(options));
}

}  // namespace cairn
