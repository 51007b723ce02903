#include "cairn/layers/gru.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "recurrent_util.h"

namespace cairn {

GRU::GRU(int64_t units, GRUOptions options)
    : Layer("GRU", options.name, options.seed), units_(units), options_(std::move(options)) {
  if (units <= 0) throw InvalidArgument("GRU: units must be a positive integer, got " + std::to_string(units));
  for (const std::string* activation : {&options_.activation, &options_.recurrent_activation})
    if (!ops::is_activation_name(*activation)) throw InvalidArgument("GRU: unknown activation '" + *activation + "'");
  if (!options_.kernel_initializer || !options_.recurrent_initializer || !options_.bias_initializer)
    throw InvalidArgument("GRU: kernel_initializer, recurrent_initializer and bias_initializer must be set");
}

void GRU::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape.back() != kernel_->shape()[0])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[0]) +
                       ", but received input with shape " + shape_str(input_shape));
}

void GRU::build_impl(const Shape& input_shape) {
  const int64_t features = input_shape.back();
  if (features <= 0)
    incompatible_input("the last dimension of the input must be defined, got " + shape_str(input_shape));
  kernel_ = add_weight("kernel", {features, 3 * units_}, options_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, 3 * units_}, options_.recurrent_initializer);
  if (options_.use_bias)
    bias_ = add_weight("bias", options_.reset_after ? Shape{2, 3 * units_} : Shape{3 * units_},
                       options_.bias_initializer);
}

Tensor GRU::call(const Tensor& x, bool) {
  const int64_t u = units_;
  Tensor input_bias, recurrent_bias;
  if (bias_ && options_.reset_after) {
    input_bias = ops::reshape(ops::slice(bias_->value(), 0, 0, 1), {3 * u});
    recurrent_bias = ops::reshape(ops::slice(bias_->value(), 0, 1, 2), {3 * u});
  } else if (bias_) {
    input_bias = bias_->value();
  }
  const Tensor recurrent = recurrent_kernel_->value();
  // reset_after = false multiplies r * h into the candidate's third of the recurrent kernel.
  const Tensor recurrent_gates = options_.reset_after ? recurrent : ops::slice(recurrent, 1, 0, 2 * u);
  const Tensor recurrent_candidate = options_.reset_after ? Tensor() : ops::slice(recurrent, 1, 2 * u, 3 * u);
  const std::string& act = options_.activation;
  const std::string& gate_act = options_.recurrent_activation;
  auto step = [&](const Tensor& x_t, const Tensor& h) {
    Tensor inner = ops::matmul(h, recurrent_gates);
    if (recurrent_bias.defined()) inner = ops::add(inner, recurrent_bias);
    const Tensor z = ops::activation(ops::add(ops::slice(x_t, 1, 0, u), ops::slice(inner, 1, 0, u)), gate_act);
    const Tensor r = ops::activation(ops::add(ops::slice(x_t, 1, u, 2 * u), ops::slice(inner, 1, u, 2 * u)), gate_act);
    const Tensor recurrent_h = options_.reset_after ? ops::mul(r, ops::slice(inner, 1, 2 * u, 3 * u))
                                                    : ops::matmul(ops::mul(r, h), recurrent_candidate);
    const Tensor candidate = ops::activation(ops::add(ops::slice(x_t, 1, 2 * u, 3 * u), recurrent_h), act);
    return ops::add(ops::mul(z, h), ops::mul(ops::add_scalar(ops::neg(z), 1.0), candidate));
  };
  return detail::run_recurrence(ops::dense(x, kernel_->value(), input_bias), u, options_.return_sequences,
                                options_.go_backwards, step);
}

Shape GRU::compute_output_shape(const Shape& input_shape) const {
  if (options_.return_sequences) return {input_shape[0], input_shape[1], units_};
  return {input_shape[0], units_};
}

}  // namespace cairn
