#include "cairn/layers/lstm.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

// Keras's unit_forget_bias initializer: bias_initializer for (units,), ones for the forget gate's
// (units,), bias_initializer for the last (2 units,), drawn in that order.
class UnitForgetBias : public Initializer {
 public:
  UnitForgetBias(InitializerPtr bias_initializer, int64_t units)
      : inner_(std::move(bias_initializer)), units_(units) {}
  std::string class_name() const override { return "UnitForgetBias"; }

 protected:
  void fill(Tensor& t, Generator& gen) const override {
    float* out = t.data<float>();
    const Tensor input_gate = (*inner_)({units_}, gen);
    const Tensor cell_and_output_gates = (*inner_)({2 * units_}, gen);
    std::copy_n(input_gate.data<float>(), units_, out);
    std::fill_n(out + units_, units_, 1.0f);
    std::copy_n(cell_and_output_gates.data<float>(), 2 * units_, out + 2 * units_);
  }

 private:
  InitializerPtr inner_;
  int64_t units_;
};

}  // namespace

LSTM::LSTM(int64_t units, LSTMOptions options)
    : Recurrent("LSTM", "lstm_cell", 4, units, std::move(options)) {}

InitializerPtr LSTM::bias_initializer() const {
  return options_.unit_forget_bias ? std::make_shared<UnitForgetBias>(options_.bias_initializer, units_)
                                   : options_.bias_initializer;
}

Tensor LSTM::fused_call(const Tensor& x) const {
  if (options_.activation != "tanh" || options_.recurrent_activation != "sigmoid") return Tensor();
  return ops::lstm(options_.go_backwards ? reverse_timesteps(x) : x, kernel_->value(), recurrent_kernel_->value(),
                   bias_ ? bias_->value() : Tensor(), options_.return_sequences);
}

std::vector<Tensor> LSTM::step(const Tensor& projected, const std::vector<Tensor>& states,
                               const Tensor& recurrent_input) const {
  const int64_t u = units_;
  const Tensor z = ops::add(projected, ops::matmul(recurrent_input, recurrent_kernel_->value()));
  auto gate = [&](int k, const std::string& activation) {
    return ops::activation(ops::slice(z, 1, k * u, (k + 1) * u), activation);
  };
  const Tensor i = gate(0, options_.recurrent_activation), f = gate(1, options_.recurrent_activation);
  const Tensor candidate = gate(2, options_.activation), o = gate(3, options_.recurrent_activation);
  const Tensor c = ops::add(ops::mul(f, states[1]), ops::mul(i, candidate));
  return {ops::mul(o, ops::activation(c, options_.activation)), c};
}

}  // namespace cairn
