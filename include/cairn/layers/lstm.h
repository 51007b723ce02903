// LSTM: keras.layers.LSTM with its defaults (activation tanh, recurrent_activation sigmoid, gate order
// i, f, c, o, zero initial state). Input (batch, timesteps, features); output (batch, units), or
// (batch, timesteps, units) with return_sequences.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.LSTM's arguments, so that designated initializers read as in Keras.
struct LSTMOptions {
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr recurrent_initializer = orthogonal();
  InitializerPtr bias_initializer = zeros();
  bool unit_forget_bias = true;  // the forget gate's quarter of the bias starts at 1 (Jozefowicz et al.)
  std::optional<uint64_t> seed;  // seeds the layer's stream; otherwise taken from set_random_seed
  bool return_sequences = false;
  std::string name;
};

class LSTM : public Layer {
 public:
  explicit LSTM(int64_t units, LSTMOptions options = {});
  int64_t units() const { return units_; }
  bool return_sequences() const { return options_.return_sequences; }
  bool use_bias() const { return options_.use_bias; }
  const LSTMOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }                      // (features, 4 units)
  const VariablePtr& recurrent_kernel() const { return recurrent_kernel_; }  // (units, 4 units)
  const VariablePtr& bias() const { return bias_; }                          // (4 units), or null
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override { return weight_paths_in_cell("lstm_cell"); }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t units_;
  LSTMOptions options_;
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

// std::make_shared cannot forward a braced options list; this factory can: make_lstm(64, {.return_sequences = true}).
inline std::shared_ptr<LSTM> make_lstm(int64_t units, LSTMOptions options = {}) {
  return std::make_shared<LSTM>(units, std::move(options));
}

}  // namespace cairn
