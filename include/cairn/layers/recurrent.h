// What keras.layers.LSTM, GRU and SimpleRNN share: their arguments (one options struct) and the RNN
// layer around their cells (the time loop, go_backwards, masks, return_sequences, return_state,
// initial_state and the dropouts). Input (batch, timesteps, features); output (batch, units), or (batch,
// timesteps, units) with return_sequences. With return_state the layer has several outputs: the output,
// then the final states (h; LSTM: h, c), which call_all_outputs gives (layer.h). Keras's initial_state
// are inputs after the sequence: lstm->call_all_outputs({x, h0, c0}) (symbolic or eager; gradients reach
// them). Without it, the states start at zero.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// The recurrent layers' arguments, in the order of Keras's (LSTM's, which has them all), so that
// designated initializers read as Keras keyword arguments: make_gru(8, {.return_sequences = true}).
// The arguments of one class only are InvalidArguments for the others when not at their default.
struct RecurrentOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";  // LSTM and GRU gates (SimpleRNN has none)
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr recurrent_initializer = orthogonal();
  InitializerPtr bias_initializer = zeros();
  bool unit_forget_bias = true;  // LSTM: the forget gate's quarter of the bias starts at 1 (Jozefowicz et al.)
  // In training, the fraction of the input features (dropout) and of the previous output fed to the
  // recurrent product (recurrent_dropout) dropped, with one mask per call for every step, as Keras.
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  std::optional<uint64_t> seed;  // seeds the layer's stream; otherwise taken from set_random_seed
  bool return_sequences = false;
  bool return_state = false;  // the final states are outputs too (call_all_outputs, call_with_states)
  bool go_backwards = false;  // runs from the last step to the first; sequences come out in that order
  bool reset_after = true;    // GRU: Keras 3's default; false is tf.keras 1's (bias (3 units))
  // Under a mask, the sequence output at a masked step: zeros, or (false, Keras's default) the previous step's.
  bool zero_output_for_mask = false;
  std::string name;
};

class Recurrent : public Layer {
 public:
  int64_t units() const { return units_; }
  const RecurrentOptions& options() const { return options_; }
  bool return_sequences() const { return options_.return_sequences; }
  bool use_bias() const { return options_.use_bias; }
  const VariablePtr& kernel() const { return kernel_; }                      // (features, gates units)
  const VariablePtr& recurrent_kernel() const { return recurrent_kernel_; }  // (units, gates units)
  const VariablePtr& bias() const { return bias_; }                          // or null without use_bias
  // The output, then with return_state the final states as Keras lists them (h; LSTM: h, c), starting
  // from `initial_state` (Keras's: state_count() tensors (batch, units); empty: zeros). The layer's
  // ordinary call returns the output alone.
  std::vector<Tensor> call_with_states(const Tensor& x, const Tensor& mask = Tensor(), bool training = false,
                                       const std::vector<Tensor>& initial_state = {});
  // How many states the cell carries: LSTM 2 (h, c), GRU and SimpleRNN 1 (h).
  virtual int state_count() const { return 1; }
  // A new layer of this class and units with `options` (Bidirectional's forward and backward layers).
  virtual std::shared_ptr<Recurrent> make_like(RecurrentOptions options) const = 0;
  // Bidirectional sets zero_output_for_mask on its layers, as Keras does.
  void set_zero_output_for_mask(bool zero) { options_.zero_output_for_mask = zero; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  // Several inputs: the sequence, then the initial states.
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  size_t output_count() const override { return options_.return_state ? 1 + state_count() : 1; }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override { return weight_paths_in_cell(cell_name_); }
  bool draws_random_numbers() const override { return options_.dropout > 0 || options_.recurrent_dropout > 0; }

  // The mask follows the timesteps: it passes on with return_sequences, and ends with the last output.
  bool supports_masking() const override { return options_.return_sequences; }

 protected:
  // `gates`: how many blocks of `units` columns the kernels have (LSTM 4, GRU 3, SimpleRNN 1).
  Recurrent(std::string class_name, std::string cell_name, int64_t gates, int64_t units, RecurrentOptions options);
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override { return call_with_states(x, Tensor(), training)[0]; }
  Tensor call_with_mask(const Tensor& x, const Tensor& mask, bool training) override {
    return call_with_states(x, mask, training)[0];
  }
  // The sequence and its initial states; the sequence's mask (the states' are not used).
  void build_multi(const std::vector<Shape>& input_shapes) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  Tensor call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) override;
  Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override {
    return compute_mask(xs[0], masks[0]);
  }
  std::vector<Tensor> call_all_outputs_impl(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                            bool training) override;
  void check_input(const Shape& input_shape) const override;
  // InvalidArgument/ShapeError unless `state_shapes` are state_count() shapes (batch, units) for this input.
  void check_initial_state(const Shape& input_shape, const std::vector<Shape>& state_shapes) const;

  // One step of the cell: the step's projected input x_t kernel + input bias (batch, gates units), the
  // states before it (states[0] is the previous output h) and h as the recurrent product sees it (after
  // recurrent dropout). Returns the new states, the output first.
  virtual std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states,
                                   const Tensor& recurrent_input) const = 0;
  // The bias's shape and initializer (GRU's reset_after has two rows; LSTM's unit_forget_bias).
  virtual Shape bias_shape() const { return {gates_ * units_}; }
  virtual InitializerPtr bias_initializer() const { return options_.bias_initializer; }
  // The bias added to the projected inputs: the whole bias unless the cell adds part of it itself.
  virtual Tensor input_bias() const { return bias_ ? bias_->value() : Tensor(); }
  // A fused kernel for the whole sequence when nothing calls for steps (no mask, dropout or states);
  // undefined when the cell has none for these options.
  virtual Tensor fused_call(const Tensor& x) const { return Tensor(); }
  // "GRU: <detail>" as an InvalidArgument (at construction: the class is what the caller wrote).
  [[noreturn]] void invalid_argument(const std::string& detail) const;

  int64_t units_;
  int64_t gates_;
  RecurrentOptions options_;
  VariablePtr kernel_, recurrent_kernel_, bias_;

 private:
  std::string cell_name_;
};

// The sequence x (batch, timesteps, ...) with its timesteps in reverse order (Keras's ops.flip on axis 1).
Tensor reverse_timesteps(const Tensor& x);

}  // namespace cairn
