// GRU: keras.layers.GRU (gates z, r, h in that order, zero initial state), with Keras 3's default
// reset_after = true (the reset gate applies after the recurrent product, bias (2, 3 units): input and
// recurrent rows) or tf.keras 1's reset_after = false (bias (3 units)). Input (batch, timesteps,
// features); output (batch, units), or (batch, timesteps, units) with return_sequences.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.GRU's arguments.
struct GRUOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr recurrent_initializer = orthogonal();
  InitializerPtr bias_initializer = zeros();
  std::optional<uint64_t> seed;  // seeds the layer's stream; otherwise taken from set_random_seed
  bool return_sequences = false;
  bool go_backwards = false;
  bool reset_after = true;
  std::string name;
};

class GRU : public Layer {
 public:
  explicit GRU(int64_t units, GRUOptions options = {});
  int64_t units() const { return units_; }
  const GRUOptions& options() const { return options_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override { return weight_paths_in_cell("gru_cell"); }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t units_;
  GRUOptions options_;
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

inline std::shared_ptr<GRU> make_gru(int64_t units, GRUOptions options = {}) {
  return std::make_shared<GRU>(units, std::move(options));
}

}  // namespace cairn
