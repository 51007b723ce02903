#include "cairn/layers/gru.h"

#include "cairn/ops.h"

namespace cairn {

GRU::GRU(int64_t units, GRUOptions options) : Recurrent("GRU", "gru_cell", 3, units, std::move(options)) {}

Shape GRU::bias_shape() const { return options_.reset_after ? Shape{2, 3 * units_} : Shape{3 * units_}; }

// reset_after's bias has an input row and a recurrent row; the recurrent one is added in the step.
Tensor GRU::input_bias() const {
  if (!bias_ || !options_.reset_after) return Recurrent::input_bias();
  return ops::reshape(ops::slice(bias_->value(), 0, 0, 1), {3 * units_});
}

Tensor GRU::fused_call(const Tensor& x) const {
  if (!options_.reset_after || options_.activation != "tanh" || options_.recurrent_activation != "sigmoid")
    return Tensor();
  return ops::gru(options_.go_backwards ? reverse_timesteps(x) : x, kernel_->value(), recurrent_kernel_->value(),
                  bias_ ? bias_->value() : Tensor(), options_.return_sequences);
}

std::vector<Tensor> GRU::step(const Tensor& projected, const std::vector<Tensor>& states,
                              const Tensor& recurrent_input) const {
  const int64_t u = units_;
  const Tensor& h = states[0];
  const Tensor recurrent = recurrent_kernel_->value();
  // reset_after = false multiplies r * h into the candidate's third of the recurrent kernel.
  Tensor inner = ops::matmul(recurrent_input, options_.reset_after ? recurrent : ops::slice(recurrent, 1, 0, 2 * u));
  if (bias_ && options_.reset_after) inner = ops::add(inner, ops::reshape(ops::slice(bias_->value(), 0, 1, 2), {3 * u}));
  const std::string& gate_activation = options_.recurrent_activation;
  const Tensor z =
      ops::activation(ops::add(ops::slice(projected, 1, 0, u), ops::slice(inner, 1, 0, u)), gate_activation);
  const Tensor r =
      ops::activation(ops::add(ops::slice(projected, 1, u, 2 * u), ops::slice(inner, 1, u, 2 * u)), gate_activation);
  const Tensor recurrent_h =
      options_.reset_after ? ops::mul(r, ops::slice(inner, 1, 2 * u, 3 * u))
                           : ops::matmul(ops::mul(r, recurrent_input), ops::slice(recurrent, 1, 2 * u, 3 * u));
  const Tensor candidate = ops::activation(ops::add(ops::slice(projected, 1, 2 * u, 3 * u), recurrent_h),
                                           options_.activation);
  return {ops::add(ops::mul(z, h), ops::mul(ops::add_scalar(ops::neg(z), 1.0), candidate))};
}

}  // namespace cairn
