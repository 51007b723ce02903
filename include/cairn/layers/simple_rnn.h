// SimpleRNN: keras.layers.SimpleRNN, h_t = activation(x_t kernel + h_{t-1} recurrent_kernel + bias) from a
// zero state. Input (batch, timesteps, features); output (batch, units), or every step's with
// return_sequences.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.SimpleRNN's arguments.
struct SimpleRNNOptions {
  std::string activation = "tanh";
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr recurrent_initializer = orthogonal();
  InitializerPtr bias_initializer = zeros();
  std::optional<uint64_t> seed;  // seeds the layer's stream; otherwise taken from set_random_seed
  bool return_sequences = false;
  bool go_backwards = false;
  std::string name;
};

class SimpleRNN : public Layer {
 public:
  explicit SimpleRNN(int64_t units, SimpleRNNOptions options = {});
  int64_t units() const { return units_; }
  const SimpleRNNOptions& options() const { return options_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override { return weight_paths_in_cell("simple_rnn_cell"); }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t units_;
  SimpleRNNOptions options_;
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

inline std::shared_ptr<SimpleRNN> make_simple_rnn(int64_t units, SimpleRNNOptions options = {}) {
  return std::make_shared<SimpleRNN>(units, std::move(options));
}

}  // namespace cairn
