#include "cairn/layers/bidirectional.h"

#include <tuple>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

std::string without_prefix(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

}  // namespace

Bidirectional::Bidirectional(const std::shared_ptr<Recurrent>& layer, BidirectionalOptions options)
    : Layer("Bidirectional", options.name), merge_mode_(options.merge_mode) {
  if (!layer) throw InvalidArgument("Bidirectional: layer must be a recurrent layer (LSTM, GRU, SimpleRNN), got null");
  if (merge_mode_ && *merge_mode_ != "concat" && *merge_mode_ != "sum" && *merge_mode_ != "mul" && *merge_mode_ != "ave")
    throw InvalidArgument("Bidirectional: invalid merge mode. Received: '" + *merge_mode_ +
                          "'. Merge mode should be one of {\"sum\", \"mul\", \"ave\", \"concat\", None}");
  // As Keras: fresh layers from the layer's arguments, named forward_<name> and backward_<name>.
  RecurrentOptions forward_options = layer->options();
  forward_options.name = "forward_" + without_prefix(layer->name(), "forward_");
  forward_ = layer->make_like(forward_options);
  if (options.backward_layer) {
    backward_ = options.backward_layer;
  } else {
    RecurrentOptions backward_options = layer->options();
    backward_options.go_backwards = !backward_options.go_backwards;
    backward_options.name = "backward_" + without_prefix(layer->name(), "backward_");
    backward_ = layer->make_like(backward_options);
  }
  const RecurrentOptions& f = forward_->options();
  const RecurrentOptions& b = backward_->options();
  if (f.go_backwards == b.go_backwards)
    throw InvalidArgument("Bidirectional: forward layer and backward layer should have different `go_backwards` "
                          "value. Received: forward_layer.go_backwards " + std::string(f.go_backwards ? "True" : "False") +
                          ", backward_layer.go_backwards=" + (b.go_backwards ? "True" : "False"));
  for (auto [attribute, fv, bv] : {std::tuple{"return_sequences", f.return_sequences, b.return_sequences},
                                  std::tuple{"return_state", f.return_state, b.return_state}})
    if (fv != bv)
      throw InvalidArgument(std::string("Bidirectional: forward layer and backward layer are expected to have the same "
                                        "value for attribute \"") + attribute + "\", got \"" + (fv ? "True" : "False") +
                            "\" for forward layer and \"" + (bv ? "True" : "False") + "\" for backward layer");
  // Keras: sequences under a mask are zero at the masked steps.
  forward_->set_zero_output_for_mask(f.return_sequences);
  backward_->set_zero_output_for_mask(b.return_sequences);
}

void Bidirectional::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
}

void Bidirectional::build_impl(const Shape& input_shape) {
  forward_->build(input_shape);
  backward_->build(input_shape);
  adopt_weights(*forward_, "forward_layer");
  adopt_weights(*backward_, "backward_layer");
}

std::vector<Layer::KerasWeightPath> Bidirectional::keras_weight_paths() const {
  std::vector<KerasWeightPath> paths;
  for (const auto& [layer, attribute] : {std::pair{forward_, "forward_layer"}, std::pair{backward_, "backward_layer"}})
    for (const KerasWeightPath& p : layer->keras_weight_paths())
      paths.push_back({p.checkpoint, layer->name() + "/" + p.keras2, std::string(attribute) + "/" + p.keras3});
  return paths;
}

void Bidirectional::reset_weights() {
  forward_->reset_weights();
  backward_->reset_weights();
}

Shape Bidirectional::compute_output_shape(const Shape& input_shape) const {
  Shape shape = forward_->compute_output_shape(input_shape);
  if (merge_mode_ == "concat") shape.back() += backward_->compute_output_shape(input_shape).back();
  return shape;
}

template <class T>
std::pair<std::vector<T>, std::vector<T>> Bidirectional::split_states(const std::vector<T>& inputs) const {
  const size_t states = inputs.size() - 1;
  const size_t expected = static_cast<size_t>(forward_->state_count() + backward_->state_count());
  if (states != expected)
    throw InvalidArgument("Bidirectional \"" + name() + "\": initial_state must be " + std::to_string(expected) +
                          " tensors (the forward layer's states, then the backward layer's), got " + std::to_string(states));
  const auto middle = inputs.begin() + 1 + forward_->state_count();
  return {std::vector<T>(inputs.begin() + 1, middle), std::vector<T>(middle, inputs.end())};
}

Shape Bidirectional::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  if (input_shapes.size() > 1) {
    const auto [forward_states, backward_states] = split_states(input_shapes);
    std::vector<Shape> forward_inputs{input_shapes[0]}, backward_inputs{input_shapes[0]};
    forward_inputs.insert(forward_inputs.end(), forward_states.begin(), forward_states.end());
    backward_inputs.insert(backward_inputs.end(), backward_states.begin(), backward_states.end());
    forward_->compute_output_shape(forward_inputs);  // checks the states
    backward_->compute_output_shape(backward_inputs);
  }
  return compute_output_shape(input_shapes.at(0));
}

size_t Bidirectional::output_count() const {
  return (merge_mode_ ? 1 : 2) + (forward_->output_count() - 1) + (backward_->output_count() - 1);
}

std::vector<Shape> Bidirectional::compute_output_shapes(const std::vector<Shape>& input_shapes) const {
  std::vector<Shape> shapes{compute_output_shape(input_shapes)};
  const std::vector<Shape> forward = forward_->compute_output_shapes({input_shapes.at(0)});
  const std::vector<Shape> backward = backward_->compute_output_shapes({input_shapes.at(0)});
  if (!merge_mode_) shapes = {forward[0], backward[0]};
  shapes.insert(shapes.end(), forward.begin() + 1, forward.end());
  shapes.insert(shapes.end(), backward.begin() + 1, backward.end());
  return shapes;
}

void Bidirectional::build_multi(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty()) throw InvalidArgument("Bidirectional \"" + name() + "\" was called without inputs");
  check_input(input_shapes[0]);
  build(input_shapes[0]);
  compute_output_shape(input_shapes);  // checks the initial states
}

std::vector<Tensor> Bidirectional::compute_output_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                        size_t output_count) const {
  // Keras: the sequences keep the input's mask (both of them with merge_mode None); states have none.
  std::vector<Tensor> output_masks(output_count);
  const Tensor mask = forward_->return_sequences() ? masks.at(0) : Tensor();
  output_masks.at(0) = mask;
  if (!merge_mode_) output_masks.at(1) = mask;
  return output_masks;
}

Tensor Bidirectional::call_with_mask(const Tensor& x, const Tensor& mask, bool training) {
  return call_all_outputs_impl({x}, {mask}, training)[0];
}

std::vector<Tensor> Bidirectional::call_all_outputs_impl(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                         bool training) {
  const Tensor& x = xs.at(0);
  const Tensor mask = masks.empty() ? Tensor() : masks[0];
  std::vector<Tensor> forward_states, backward_states;
  if (xs.size() > 1) std::tie(forward_states, backward_states) = split_states(xs);
  if (training && draws_random_numbers()) {
    const Generator call_stream(generator().next_u64());
    forward_->generator() = call_stream.fork(0);
    backward_->generator() = call_stream.fork(1);
  }
  const std::vector<Tensor> forward = forward_->call_with_states(x, mask, training, forward_states);
  const std::vector<Tensor> backward = backward_->call_with_states(x, mask, training, backward_states);
  const Tensor& y = forward[0];
  Tensor y_reverse = backward[0];
  if (forward_->return_sequences()) y_reverse = reverse_timesteps(y_reverse);
  std::vector<Tensor> outputs;
  if (!merge_mode_) outputs = {y, y_reverse};
  else if (*merge_mode_ == "concat") outputs = {ops::concat({y, y_reverse}, -1)};
  else if (*merge_mode_ == "sum") outputs = {ops::add(y, y_reverse)};
  else if (*merge_mode_ == "ave") outputs = {ops::scale(ops::add(y, y_reverse), 0.5)};
  else outputs = {ops::mul(y, y_reverse)};
  // With return_state: the forward states, then the backward ones.
  outputs.insert(outputs.end(), forward.begin() + 1, forward.end());
  outputs.insert(outputs.end(), backward.begin() + 1, backward.end());
  return outputs;
}

}  // namespace cairn
