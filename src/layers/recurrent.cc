#include "cairn/layers/recurrent.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

Recurrent::Recurrent(std::string class_name, std::string cell_name, int64_t gates, int64_t units,
                     RecurrentOptions options)
    : Layer(std::move(class_name), options.name, options.seed),
      units_(units),
      gates_(gates),
      options_(std::move(options)),
      cell_name_(std::move(cell_name)) {
  if (units <= 0) invalid_argument("units must be a positive integer, got " + std::to_string(units));
  for (const std::string* activation : {&options_.activation, &options_.recurrent_activation})
    if (!ops::is_activation_name(*activation)) invalid_argument("unknown activation '" + *activation + "'");
  if (!options_.kernel_initializer || !options_.recurrent_initializer || !options_.bias_initializer)
    invalid_argument("kernel_initializer, recurrent_initializer and bias_initializer must be set");
  if (!(options_.dropout >= 0 && options_.dropout < 1))
    invalid_argument("dropout must be a float in the range [0, 1), got " + std::to_string(options_.dropout));
  if (!(options_.recurrent_dropout >= 0 && options_.recurrent_dropout < 1))
    invalid_argument("recurrent_dropout must be a float in the range [0, 1), got " +
                     std::to_string(options_.recurrent_dropout));
  // The arguments of one class only, which the others do not take.
  const RecurrentOptions defaults;
  if (this->class_name() != "LSTM" && options_.unit_forget_bias != defaults.unit_forget_bias)
    invalid_argument("unit_forget_bias is an argument of LSTM only");
  if (this->class_name() != "GRU" && options_.reset_after != defaults.reset_after)
    invalid_argument("reset_after is an argument of GRU only");
  if (this->class_name() == "SimpleRNN" && options_.recurrent_activation != defaults.recurrent_activation)
    invalid_argument("recurrent_activation is an argument of LSTM and GRU (SimpleRNN has no gates)");
}

void Recurrent::invalid_argument(const std::string& detail) const {
  throw InvalidArgument(class_name() + ": " + detail);
}

void Recurrent::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape.back() != kernel_->shape()[0])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[0]) +
                       ", but received input with shape " + shape_str(input_shape));
}

void Recurrent::build_impl(const Shape& input_shape) {
  const int64_t features = input_shape.back();
  if (features <= 0)
    incompatible_input("the last dimension of the input must be defined, got " + shape_str(input_shape));
  kernel_ = add_weight("kernel", {features, gates_ * units_}, options_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, gates_ * units_}, options_.recurrent_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", bias_shape(), bias_initializer());
}

Shape Recurrent::compute_output_shape(const Shape& input_shape) const {
  if (options_.return_sequences) return {input_shape[0], input_shape[1], units_};
  return {input_shape[0], units_};
}

void Recurrent::check_initial_state(const Shape& input_shape, const std::vector<Shape>& state_shapes) const {
  const std::string states = state_count() == 2 ? "2 tensors (h and c)" : "1 tensor (h)";
  if (state_shapes.size() != static_cast<size_t>(state_count()))
    throw InvalidArgument(class_name() + " \"" + name() + "\": initial_state must be " + states + ", got " +
                          std::to_string(state_shapes.size()));
  for (size_t i = 0; i < state_shapes.size(); ++i) {
    const Shape& s = state_shapes[i];
    const bool batch_ok = s.size() == 2 && (s[0] < 0 || input_shape[0] < 0 || s[0] == input_shape[0]);
    if (!batch_ok || s[1] != units_)
      throw ShapeError(class_name() + " \"" + name() + "\": initial_state[" + std::to_string(i) + "] must have shape " +
                       shape_str({input_shape[0], units_}) + " (batch, units) for input shape " + shape_str(input_shape) +
                       ", got " + shape_str(s));
  }
}

Shape Recurrent::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  if (input_shapes.empty()) invalid_argument("called without inputs");
  if (input_shapes.size() > 1)
    check_initial_state(input_shapes[0], std::vector<Shape>(input_shapes.begin() + 1, input_shapes.end()));
  return compute_output_shape(input_shapes[0]);
}

std::vector<Shape> Recurrent::compute_output_shapes(const std::vector<Shape>& input_shapes) const {
  std::vector<Shape> shapes{compute_output_shape(input_shapes)};
  if (options_.return_state) shapes.resize(1 + state_count(), Shape{input_shapes[0][0], units_});
  return shapes;
}

void Recurrent::build_multi(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty()) invalid_argument("called without inputs");
  check_input(input_shapes[0]);
  build(input_shapes[0]);
  check_initial_state(input_shapes[0], std::vector<Shape>(input_shapes.begin() + 1, input_shapes.end()));
}

Tensor Recurrent::call_multi(const std::vector<Tensor>& xs, bool training) {
  return call_with_states(xs[0], Tensor(), training, std::vector<Tensor>(xs.begin() + 1, xs.end()))[0];
}

Tensor Recurrent::call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
  return call_with_states(xs[0], masks[0], training, std::vector<Tensor>(xs.begin() + 1, xs.end()))[0];
}

std::vector<Tensor> Recurrent::call_all_outputs_impl(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                     bool training) {
  return call_with_states(xs[0], masks[0], training, std::vector<Tensor>(xs.begin() + 1, xs.end()));
}

std::vector<Tensor> Recurrent::call_with_states(const Tensor& x, const Tensor& mask, bool training,
                                                const std::vector<Tensor>& initial_state) {
  if (!x.defined()) invalid_argument("called with an undefined tensor");
  check_input(x.shape());
  build(x.shape());
  const int64_t batch = x.dim(0), steps = x.dim(1), features = x.dim(2);
  if (!initial_state.empty()) {
    std::vector<Shape> state_shapes;
    for (const Tensor& state : initial_state) {
      if (!state.defined()) invalid_argument("initial_state holds an undefined tensor");
      state_shapes.push_back(state.shape());
    }
    check_initial_state(x.shape(), state_shapes);
  }
  if (mask.defined() && (mask.rank() != 2 || mask.dim(0) != batch || mask.dim(1) != steps))
    throw ShapeError(class_name() + " \"" + name() + "\": mask must be (batch, timesteps) = (" + std::to_string(batch) +
                     ", " + std::to_string(steps) + ") for input shape " + shape_str(x.shape()) +
                     ", got mask shape " + shape_str(mask.shape()));
  const bool drop_inputs = training && options_.dropout > 0;
  const bool drop_recurrent = training && options_.recurrent_dropout > 0;
  if (!mask.defined() && !drop_inputs && !drop_recurrent && !options_.return_state && initial_state.empty()) {
    Tensor fused = fused_call(x);
    if (fused.defined()) return {fused};
  }

  // The inputs' projection for every step at once, then the cell step by step on the tape.
  Tensor inputs = x;
  if (drop_inputs)
    inputs = ops::mul(x, ops::reshape(ops::dropout(Tensor::ones({batch, features}), options_.dropout, generator()),
                                      {batch, 1, features}));
  const Tensor recurrent_mask =
      drop_recurrent ? ops::dropout(Tensor::ones({batch, units_}), options_.recurrent_dropout, generator()) : Tensor();
  const int64_t width = gates_ * units_;
  const Tensor time_major = ops::permute(ops::dense(inputs, kernel_->value(), input_bias()), {1, 0, 2});
  const Tensor mask_time_major = mask.defined() ? ops::transpose(mask.to(DType::Float32)) : Tensor();

  std::vector<Tensor> states =
      initial_state.empty() ? std::vector<Tensor>(state_count(), Tensor(Shape{batch, units_}, DType::Float32)) : initial_state;
  std::vector<Tensor> outputs;
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t t = options_.go_backwards ? steps - 1 - i : i;
    const Tensor x_t = ops::reshape(ops::slice(time_major, 0, t, t + 1), {batch, width});
    std::vector<Tensor> next = step(x_t, states, drop_recurrent ? ops::mul(states[0], recurrent_mask) : states[0]);
    Tensor output = next[0];
    if (mask.defined()) {
      // A masked step keeps every state, and outputs the previous output (or zeros), as Keras.
      const Tensor keep = ops::reshape(ops::slice(mask_time_major, 0, t, t + 1), {batch, 1});
      const Tensor skip = ops::add_scalar(ops::neg(keep), 1.0);
      for (size_t s = 0; s < next.size(); ++s) next[s] = ops::add(ops::mul(keep, next[s]), ops::mul(skip, states[s]));
      output = options_.zero_output_for_mask ? ops::mul(keep, output) : next[0];
    }
    states = std::move(next);
    if (options_.return_sequences) outputs.push_back(ops::reshape(output, {1, batch, units_}));
    else if (i == steps - 1) outputs.push_back(output);
  }
  std::vector<Tensor> result;
  if (steps == 0) result.push_back(options_.return_sequences ? Tensor(Shape{batch, 0, units_}) : states[0]);
  else if (options_.return_sequences) result.push_back(ops::permute(ops::concat(outputs, 0), {1, 0, 2}));
  else result.push_back(outputs.back());
  if (options_.return_state) result.insert(result.end(), states.begin(), states.end());
  return result;
}

Tensor reverse_timesteps(const Tensor& x) {
  if (x.rank() < 2) throw ShapeError("reverse_timesteps: expected (batch, timesteps, ...), got " + shape_str(x.shape()));
  std::vector<int> swap(x.rank());
  for (int i = 0; i < x.rank(); ++i) swap[i] = i;
  std::swap(swap[0], swap[1]);
  std::vector<int64_t> reversed(x.dim(1));
  for (int64_t t = 0; t < x.dim(1); ++t) reversed[t] = x.dim(1) - 1 - t;
  return ops::permute(ops::gather_rows(ops::permute(x, swap), reversed), swap);
}

}  // namespace cairn
