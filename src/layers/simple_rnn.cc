#include "cairn/layers/simple_rnn.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "recurrent_util.h"

namespace cairn {

SimpleRNN::SimpleRNN(int64_t units, SimpleRNNOptions options)
    : Layer("SimpleRNN", options.name, options.seed), units_(units), options_(std::move(options)) {
  if (units <= 0) throw InvalidArgument("SimpleRNN: units must be a positive integer, got " + std::to_string(units));
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("SimpleRNN: unknown activation '" + options_.activation + "'");
  if (!options_.kernel_initializer || !options_.recurrent_initializer || !options_.bias_initializer)
    throw InvalidArgument("SimpleRNN: kernel_initializer, recurrent_initializer and bias_initializer must be set");
}

void SimpleRNN::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape.back() != kernel_->shape()[0])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[0]) +
                       ", but received input with shape " + shape_str(input_shape));
}

void SimpleRNN::build_impl(const Shape& input_shape) {
  const int64_t features = input_shape.back();
  if (features <= 0)
    incompatible_input("the last dimension of the input must be defined, got " + shape_str(input_shape));
  kernel_ = add_weight("kernel", {features, units_}, options_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, units_}, options_.recurrent_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {units_}, options_.bias_initializer);
}

Tensor SimpleRNN::call(const Tensor& x, bool) {
  const Tensor recurrent = recurrent_kernel_->value();
  auto step = [&](const Tensor& x_t, const Tensor& h) {
    return ops::activation(ops::add(x_t, ops::matmul(h, recurrent)), options_.activation);
  };
  return detail::run_recurrence(ops::dense(x, kernel_->value(), bias_ ? bias_->value() : Tensor()), units_,
                                options_.return_sequences, options_.go_backwards, step);
}

Shape SimpleRNN::compute_output_shape(const Shape& input_shape) const {
  if (options_.return_sequences) return {input_shape[0], input_shape[1], units_};
  return {input_shape[0], units_};
}

}  // namespace cairn
