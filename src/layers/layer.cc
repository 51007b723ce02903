#include "cairn/layers/layer.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

#include "cairn/error.h"

namespace cairn {

namespace {
std::mutex names_mutex;
std::map<std::string, int>& name_counts() {
  static std::map<std::string, int> counts;
  return counts;
}
}  // namespace

std::string to_snake_case(const std::string& class_name) {
  // Keras: insert '_' before an upper-case letter that starts a lower-case run, and between a
  // lower-case letter and an upper-case one; then lower everything.
  std::string out;
  const size_t n = class_name.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = class_name[i];
    const bool upper = std::isupper(static_cast<unsigned char>(c));
    if (upper && i > 0) {
      const bool next_lower = i + 1 < n && std::islower(static_cast<unsigned char>(class_name[i + 1]));
      const bool prev_lower = std::islower(static_cast<unsigned char>(class_name[i - 1]));
      if (next_lower || prev_lower) out += '_';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string unique_layer_name(const std::string& prefix) {
  std::lock_guard lock(names_mutex);
  int& count = name_counts()[prefix];
  std::string name = count == 0 ? prefix : prefix + "_" + std::to_string(count);
  ++count;
  return name;
}

void clear_session() {
  std::lock_guard lock(names_mutex);
  name_counts().clear();
}

Layer::Layer(std::string class_name, std::string name, std::optional<uint64_t> seed)
    : class_name_(std::move(class_name)),
      name_(name.empty() ? unique_layer_name(to_snake_case(class_name_)) : std::move(name)),
      generator_(seed ? *seed : next_seed()),
      initial_generator_state_(generator_.state()) {}

namespace {
Shape with_unknown_batch(Shape shape) {
  if (!shape.empty()) shape[0] = -1;
  return shape;
}
}  // namespace

const Shape& SymbolicTensor::shape() const {
  if (!node_) throw InvalidArgument("use of an empty symbolic tensor");
  if (output_index_ >= node_->output_shapes.size())
    throw InvalidArgument("symbolic tensor: output " + std::to_string(output_index_) + " of \"" + node_->name +
                          "\", which has " + std::to_string(node_->output_shapes.size()) + " outputs");
  return node_->output_shapes[output_index_];
}

SymbolicTensor Input(const Shape& shape, const std::string& name) {
  auto node = std::make_shared<SymbolicNode>();
  Shape full = shape;
  full.insert(full.begin(), -1);
  node->output_shapes = {full};
  node->name = name.empty() ? unique_layer_name("input") : name;
  return SymbolicTensor(node);
}

Tensor Layer::checked_call(const Tensor& x, const Tensor& mask, bool training) {
  if (!x.defined()) throw InvalidArgument("layer \"" + name_ + "\" was called with an undefined tensor");
  check_input(x.shape());
  if (mask.defined()) {
    const Shape& mask_shape = mask.shape();
    if (mask.rank() > x.rank() || !std::equal(mask_shape.begin(), mask_shape.end(), x.shape().begin()))
      throw ShapeError("layer \"" + name_ + "\": the input's mask must have the input's leading dimensions, got mask shape " +
                       shape_str(mask_shape) + " for input shape " + shape_str(x.shape()));
  }
  if (!built_) build(x.shape());
  Tensor y = mask.defined() ? call_with_mask(x, mask, training) : call(x, training);
  last_output_shape_ = with_unknown_batch(y.shape());
  return y;
}

Tensor Layer::operator()(const Tensor& x, bool training) { return checked_call(x, Tensor(), training); }

Layer::MaskedOutput Layer::operator()(const Tensor& x, const Tensor& mask, bool training) {
  Tensor y = checked_call(x, mask, training);
  return {y, compute_mask(x, mask)};
}

Tensor Layer::operator()(const std::vector<Tensor>& xs, bool training) {
  if (xs.size() == 1) return (*this)(xs[0], training);
  if (!built_) {
    std::vector<Shape> shapes;
    for (const Tensor& x : xs) shapes.push_back(x.shape());
    build_multi(shapes);
  }
  Tensor y = call_multi(xs, training);
  last_output_shape_ = with_unknown_batch(y.shape());
  return y;
}

Layer::MaskedOutput Layer::operator()(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
  if (masks.size() != xs.size())
    throw InvalidArgument("layer \"" + name_ + "\": " + std::to_string(masks.size()) + " masks for " +
                          std::to_string(xs.size()) + " inputs (one per input, undefined where an input has none)");
  if (xs.size() == 1) return (*this)(xs[0], masks[0], training);
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) throw InvalidArgument("layer \"" + name_ + "\" was called with an undefined tensor");
    if (!masks[i].defined()) continue;
    const Shape& mask_shape = masks[i].shape();
    if (masks[i].rank() > xs[i].rank() || !std::equal(mask_shape.begin(), mask_shape.end(), xs[i].shape().begin()))
      throw ShapeError("layer \"" + name_ + "\": the mask of input " + std::to_string(i) +
                       " must have the input's leading dimensions, got mask shape " + shape_str(mask_shape) +
                       " for input shape " + shape_str(xs[i].shape()));
  }
  if (std::none_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); })) return {(*this)(xs, training), Tensor()};
  if (!built_) {
    std::vector<Shape> shapes;
    for (const Tensor& x : xs) shapes.push_back(x.shape());
    build_multi(shapes);
  }
  Tensor y = call_multi_with_masks(xs, masks, training);
  last_output_shape_ = with_unknown_batch(y.shape());
  return {y, compute_mask_multi(xs, masks)};
}

Tensor Layer::call_multi(const std::vector<Tensor>& xs, bool training) {
  throw InvalidArgument("layer \"" + name_ + "\" expects 1 input, but it received " + std::to_string(xs.size()) +
                        " input tensors");
}

void Layer::build_multi(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() != 1)
    throw InvalidArgument("layer \"" + name_ + "\" expects 1 input, but it received " +
                          std::to_string(input_shapes.size()) + " input tensors");
  build(input_shapes[0]);
}

Shape Layer::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  if (input_shapes.size() != 1)
    throw InvalidArgument("layer \"" + name_ + "\" expects 1 input, but it received " +
                          std::to_string(input_shapes.size()) + " input tensors");
  return compute_output_shape(input_shapes[0]);
}

SymbolicTensor Layer::operator()(const SymbolicTensor& x) { return call_all_outputs(std::vector<SymbolicTensor>{x})[0]; }

SymbolicTensor Layer::operator()(const std::vector<SymbolicTensor>& xs) { return call_all_outputs(xs)[0]; }

std::vector<SymbolicTensor> Layer::call_all_outputs(const SymbolicTensor& x) {
  return call_all_outputs(std::vector<SymbolicTensor>{x});
}

std::vector<SymbolicTensor> Layer::call_all_outputs(const std::vector<SymbolicTensor>& xs) {
  std::shared_ptr<Layer> self = weak_from_this().lock();
  if (!self)
    throw InvalidArgument("layer \"" + name_ + "\" must be owned by a std::shared_ptr (std::make_shared) to be used in a functional model");
  std::vector<Shape> shapes;
  for (const SymbolicTensor& x : xs) shapes.push_back(x.shape());
  if (shapes.size() == 1) {
    check_input(shapes[0]);
    build(shapes[0]);
  } else {
    build_multi(shapes);
  }
  auto node = std::make_shared<SymbolicNode>();
  node->layer = self;
  node->inputs = xs;
  node->output_shapes = compute_output_shapes(shapes);
  node->name = name_;
  last_output_shape_ = node->output_shapes.at(0);
  std::vector<SymbolicTensor> outputs;
  for (size_t i = 0; i < node->output_shapes.size(); ++i) outputs.emplace_back(node, i);
  return outputs;
}

std::vector<Tensor> Layer::call_all_outputs(const Tensor& x, bool training) {
  return call_all_outputs(std::vector<Tensor>{x}, training);
}

std::vector<Tensor> Layer::call_all_outputs(const std::vector<Tensor>& xs, bool training) {
  std::vector<Tensor> outputs;
  for (MaskedOutput& out : call_all_outputs(xs, std::vector<Tensor>(xs.size()), training))
    outputs.push_back(std::move(out.output));
  return outputs;
}

std::vector<Layer::MaskedOutput> Layer::call_all_outputs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                         bool training) {
  if (xs.empty()) throw InvalidArgument("layer \"" + name_ + "\" was called without inputs");
  // One output: the ordinary call, which checks the inputs and their masks.
  if (output_count() == 1) return {(*this)(xs, masks, training)};
  if (masks.size() != xs.size())
    throw InvalidArgument("layer \"" + name_ + "\": " + std::to_string(masks.size()) + " masks for " +
                          std::to_string(xs.size()) + " inputs (one per input, undefined where an input has none)");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) throw InvalidArgument("layer \"" + name_ + "\" was called with an undefined tensor");
    shapes.push_back(xs[i].shape());
    if (masks[i].defined() && (masks[i].rank() > xs[i].rank() ||
                               !std::equal(masks[i].shape().begin(), masks[i].shape().end(), shapes[i].begin())))
      throw ShapeError("layer \"" + name_ + "\": the mask of input " + std::to_string(i) +
                       " must have the input's leading dimensions, got mask shape " + shape_str(masks[i].shape()) +
                       " for input shape " + shape_str(shapes[i]));
  }
  if (xs.size() == 1) {
    check_input(shapes[0]);
    build(shapes[0]);
  } else {
    build_multi(shapes);  // checks the inputs after the first (a recurrent layer's initial states)
  }
  std::vector<Tensor> ys = call_all_outputs_impl(xs, masks, training);
  last_output_shape_ = with_unknown_batch(ys.at(0).shape());
  std::vector<Tensor> output_masks = compute_output_masks(xs, masks, ys.size());
  std::vector<MaskedOutput> outputs;
  for (size_t i = 0; i < ys.size(); ++i) outputs.push_back({std::move(ys[i]), output_masks.at(i)});
  return outputs;
}

std::vector<Tensor> Layer::call_all_outputs_impl(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                 bool training) {
  if (xs.size() > 1) return {call_multi_with_masks(xs, masks, training)};
  return {masks[0].defined() ? call_with_mask(xs[0], masks[0], training) : call(xs[0], training)};
}

std::vector<Tensor> Layer::compute_output_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                size_t output_count) const {
  std::vector<Tensor> output_masks(output_count);
  output_masks.at(0) = xs.size() == 1 ? compute_mask(xs[0], masks[0]) : compute_mask_multi(xs, masks);
  return output_masks;
}

void Layer::build(const Shape& input_shape) {
  if (built_) return;
  check_input(input_shape);
  build_impl(input_shape);
  input_shape_ = input_shape;
  built_ = true;
}

std::vector<VariablePtr> Layer::trainable_weights() const {
  std::vector<VariablePtr> out;
  if (!trainable_) return out;
  for (const auto& w : weights())
    if (w->trainable()) out.push_back(w);
  return out;
}

std::vector<VariablePtr> Layer::non_trainable_weights() const {
  std::vector<VariablePtr> out;
  for (const auto& w : weights())
    if (!trainable_ || !w->trainable()) out.push_back(w);
  return out;
}

void Layer::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (const auto& w : weights()) w->mutable_value().impl().watched_by_default = trainable && w->trainable();
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const auto& w : weights()) n += w->value().numel();
  return n;
}

VariablePtr Layer::add_weight(const std::string& name, const Shape& shape, const InitializerPtr& initializer,
                              bool trainable, DType dtype) {
  Tensor initial = (*initializer)(shape, generator_);
  // No copy for float32: Tensor::to clones, and a copy counts twice against an allocation budget.
  if (initial.dtype() != dtype) initial = initial.to(dtype);
  auto v = std::make_shared<Variable>(name_ + "/" + name, initial, trainable);
  if (auto pending = deferred_.find(name); pending != deferred_.end()) {
    if (pending->second.value.shape() != shape)
      throw ShapeError("restoring '" + pending->second.key + "': shape " + shape_str(pending->second.value.shape()) +
                       " in the checkpoint but " + shape_str(shape) + " in layer \"" + name_ + "\"");
    v->assign(pending->second.value);
    deferred_.erase(pending);
  }
  if (!trainable_) v->mutable_value().impl().watched_by_default = false;
  weights_.push_back(v);
  own_weights_.emplace_back(name, v);
  initializers_.push_back(initializer);
  return v;
}

void Layer::adopt_weights(const Layer& inner, const std::string& prefix) {
  for (size_t i = 0; i < inner.own_weights_.size(); ++i) {
    const auto& [short_name, v] = inner.own_weights_[i];
    const std::string name = prefix + "/" + short_name;
    if (auto pending = deferred_.find(name); pending != deferred_.end()) {
      if (pending->second.value.shape() != v->shape())
        throw ShapeError("restoring '" + pending->second.key + "': shape " + shape_str(pending->second.value.shape()) +
                         " in the checkpoint but " + shape_str(v->shape()) + " in layer \"" + name_ + "\"");
      v->assign(pending->second.value);
      deferred_.erase(pending);
    }
    weights_.push_back(v);
    own_weights_.emplace_back(name, v);
    initializers_.push_back(inner.initializers_[i]);
  }
}

std::vector<Layer::KerasWeightPath> Layer::keras_weight_paths() const {
  std::vector<KerasWeightPath> paths;
  for (const auto& [name, variable] : own_weights_) paths.push_back({name, name, ""});
  return paths;
}

std::vector<Layer::KerasWeightPath> Layer::weight_paths_in_cell(const std::string& cell_name) const {
  std::vector<KerasWeightPath> paths;
  for (const auto& [name, variable] : own_weights_) paths.push_back({name, cell_name + "/" + name, "cell"});
  return paths;
}

void Layer::reset_weights() {
  generator_.set_state(initial_generator_state_);
  for (size_t i = 0; i < own_weights_.size(); ++i) {
    const VariablePtr& weight = own_weights_[i].second;
    weight->assign((*initializers_[i])(weight->value().shape(), generator_).to(weight->dtype()));
  }
}

void Layer::incompatible_input(const std::string& detail) const {
  throw ShapeError("Input 0 of layer \"" + name_ + "\" is incompatible with the layer: " + detail);
}

}  // namespace cairn
