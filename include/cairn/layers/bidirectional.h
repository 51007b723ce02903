// Bidirectional: keras.layers.Bidirectional. Runs a recurrent layer forward and a copy of it backwards
// over the sequence (or a given backward_layer) and merges the two outputs; the backward output's
// sequence is put back in time order first. Masks reach both layers. Its weights are the forward
// layer's, then the backward layer's, in Keras's places (forward_layer/cell, backward_layer/cell).
#pragma once

#include "cairn/layers/recurrent.h"

namespace cairn {

// In the order of keras.layers.Bidirectional's arguments.
struct BidirectionalOptions {
  std::string merge_mode = "concat";  // "concat", "sum", "mul" or "ave" (None, a pair of outputs, is not taken)
  std::shared_ptr<Recurrent> backward_layer;  // by default a copy of the layer with go_backwards flipped
  std::string name;
};

class Bidirectional : public Layer {
 public:
  explicit Bidirectional(const std::shared_ptr<Recurrent>& layer, BidirectionalOptions options = {});
  const std::shared_ptr<Recurrent>& forward_layer() const { return forward_; }
  const std::shared_ptr<Recurrent>& backward_layer() const { return backward_; }
  const std::string& merge_mode() const { return merge_mode_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override;
  void reset_weights() override;
  // The layers' dropout draws from streams made from this layer's generator, so that a checkpoint of
  // this layer's generator resumes them.
  bool draws_random_numbers() const override { return forward_->draws_random_numbers() || backward_->draws_random_numbers(); }

  // As the wrapped layer: the mask passes on with return_sequences.
  bool supports_masking() const override { return forward_->return_sequences(); }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override { return call_with_mask(x, Tensor(), training); }
  Tensor call_with_mask(const Tensor& x, const Tensor& mask, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  std::shared_ptr<Recurrent> forward_, backward_;
  std::string merge_mode_;
};

inline std::shared_ptr<Bidirectional> make_bidirectional(const std::shared_ptr<Recurrent>& layer,
                                                         BidirectionalOptions options = {}) {
  return std::make_shared<Bidirectional>(layer, std::move(options));
}

}  // namespace cairn
