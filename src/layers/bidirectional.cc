#include "cairn/layers/bidirectional.h"

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
  if (merge_mode_ != "concat" && merge_mode_ != "sum" && merge_mode_ != "mul" && merge_mode_ != "ave")
    throw InvalidArgument("Bidirectional: invalid merge mode. Received: '" + merge_mode_ +
                          "'. Merge mode should be one of {\"sum\", \"mul\", \"ave\", \"concat\"} (cairn's layers "
                          "have one output, so None is not taken)");
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
  if (f.return_state)
    throw InvalidArgument("Bidirectional: return_state is not taken (cairn's layers have one output)");
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

Tensor Bidirectional::call_with_mask(const Tensor& x, const Tensor& mask, bool training) {
  if (training && draws_random_numbers()) {
    const Generator call_stream(generator().next_u64());
    forward_->generator() = call_stream.fork(0);
    backward_->generator() = call_stream.fork(1);
  }
  const Tensor y = forward_->call_with_states(x, mask, training)[0];
  Tensor y_reverse = backward_->call_with_states(x, mask, training)[0];
  if (forward_->return_sequences()) y_reverse = reverse_timesteps(y_reverse);
  if (merge_mode_ == "concat") return ops::concat({y, y_reverse}, -1);
  if (merge_mode_ == "sum") return ops::add(y, y_reverse);
  if (merge_mode_ == "ave") return ops::scale(ops::add(y, y_reverse), 0.5);
  return ops::mul(y, y_reverse);
}

}  // namespace cairn
