// Bidirectional: keras.layers.Bidirectional. Runs a recurrent layer forward and a copy of it backwards
// over the sequence (or a given backward_layer) and merges the two outputs; the backward output's
// sequence is put back in time order first. Masks reach both layers. Its weights are the forward
// layer's, then the backward layer's, in Keras's places (forward_layer/cell, backward_layer/cell).
// Several outputs (call_all_outputs, layer.h), as Keras: merge_mode None gives the forward and the
// backward outputs; return_state adds the forward layer's final states, then the backward layer's.
// Initial states are inputs after the sequence: the forward layer's, then the backward layer's.
#pragma once

#include "cairn/layers/recurrent.h"

namespace cairn {

// In the order of keras.layers.Bidirectional's arguments.
struct BidirectionalOptions {
  // "concat", "sum", "mul" or "ave"; std::nullopt (Keras's None): two outputs, forward and backward.
  std::optional<std::string> merge_mode = "concat";
  std::shared_ptr<Recurrent> backward_layer;  // by default a copy of the layer with go_backwards flipped
  std::string name;
};

class Bidirectional : public Layer {
 public:
  explicit Bidirectional(const std::shared_ptr<Recurrent>& layer, BidirectionalOptions options = {});
  const std::shared_ptr<Recurrent>& forward_layer() const { return forward_; }
  const std::shared_ptr<Recurrent>& backward_layer() const { return backward_; }
  const std::optional<std::string>& merge_mode() const { return merge_mode_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  size_t output_count() const override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
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
  // The sequence, then the initial states (the forward layer's, then the backward layer's).
  void build_multi(const std::vector<Shape>& input_shapes) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override {
    return call_all_outputs_impl(xs, std::vector<Tensor>(xs.size()), training)[0];
  }
  Tensor call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) override {
    return call_all_outputs_impl(xs, masks, training)[0];
  }
  std::vector<Tensor> call_all_outputs_impl(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                            bool training) override;
  std::vector<Tensor> compute_output_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                           size_t output_count) const override;
  Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override {
    return compute_mask(xs[0], masks[0]);
  }
  void check_input(const Shape& input_shape) const override;

 private:
  // The initial states given after the sequence (tensors or shapes): the forward layer's, then the
  // backward layer's, as Keras splits initial_state in halves.
  template <class T>
  std::pair<std::vector<T>, std::vector<T>> split_states(const std::vector<T>& inputs) const;

  std::shared_ptr<Recurrent> forward_, backward_;
  std::optional<std::string> merge_mode_;
};

inline std::shared_ptr<Bidirectional> make_bidirectional(const std::shared_ptr<Recurrent>& layer,
                                                         BidirectionalOptions options = {}) {
  return std::make_shared<Bidirectional>(layer, std::move(options));
}

}  // namespace cairn
