// TimeDistributed: keras.layers.TimeDistributed. Applies one layer (Dense, Conv2D...) to every timestep
// of (batch, timesteps, ...): the steps go through the layer as one batch of batch * timesteps, sharing
// its weights, which are the wrapped layer's (in Keras 3's files under "layer"). A mask passes through,
// and reaches the wrapped layer with the steps (a BatchNormalization's moments, a Softmax's mask).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class TimeDistributed : public Layer {
 public:
  explicit TimeDistributed(LayerPtr layer, std::string name = "");
  const LayerPtr& layer() const { return layer_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override;
  void reset_weights() override;
  // The wrapped layer's draws (Dropout) come from a stream made from this layer's generator, so that a
  // checkpoint of this layer's generator resumes them.
  bool draws_random_numbers() const override { return layer_->draws_random_numbers(); }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_with_mask(const Tensor& x, const Tensor& mask, bool training) override;
  // The input's mask, as Keras passes it on, when it fits the output: a mask below the steps ((batch,
  // steps, words) ids) ends here once the wrapped layer has reduced the words (TimeDistributed(LSTM)),
  // where Keras would hand the next layers a mask of another shape than their input's.
  Tensor compute_mask(const Tensor& x, const Tensor& mask) const override;
  void check_input(const Shape& input_shape) const override;
  bool supports_masking() const override { return true; }

 private:
  LayerPtr layer_;
};

inline std::shared_ptr<TimeDistributed> make_time_distributed(LayerPtr layer, std::string name = "") {
  return std::make_shared<TimeDistributed>(std::move(layer), std::move(name));
}

}  // namespace cairn
