// Model structure: tracked layers, weights, summary, and the Sequential and functional kinds.
#include <algorithm>
#include <functional>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "cairn/error.h"
#include "cairn/model.h"

namespace cairn {

Model::Model(std::string name, std::string class_name) : Layer(class_name, std::move(name)) {}

void Model::track_layer(const std::string& attribute, LayerPtr layer) {
  if (!layer) throw InvalidArgument("Model::track: layer '" + attribute + "' is null");
  for (const auto& [name, existing] : tracked_)
    if (name == attribute) throw InvalidArgument("Model::track: a layer is already tracked as '" + attribute + "'");
  tracked_.emplace_back(attribute, std::move(layer));
}

std::vector<LayerPtr> Model::layers() const {
  std::vector<LayerPtr> out;
  for (const auto& [name, layer] : named_layers()) out.push_back(layer);
  return out;
}

LayerPtr Model::get_layer(const std::string& name) const {
  for (const auto& [attribute, layer] : named_layers())
    if (layer->name() == name || attribute == name) return layer;
  throw InvalidArgument("No such layer: " + name + ". Existing layers are: " + [&] {
    std::string names;
    for (const auto& l : layers()) names += (names.empty() ? "" : ", ") + l->name();
    return names;
  }() + ".");
}

namespace {
// Each variable once, in order of first appearance (a layer may be shared).
template <class Pick>
std::vector<VariablePtr> collect(const std::vector<LayerPtr>& layers, Pick pick) {
  std::vector<VariablePtr> out;
  std::set<const Variable*> seen;
  for (const auto& layer : layers)
    for (const auto& w : pick(*layer))
      if (seen.insert(w.get()).second) out.push_back(w);
  return out;
}
}  // namespace

std::vector<VariablePtr> Model::weights() const {
  return collect(layers(), [](const Layer& l) { return l.weights(); });
}

void Model::reset_weights() {
  Layer::reset_weights();
  for (const auto& layer : layers()) layer->reset_weights();
}

std::vector<VariablePtr> Model::trainable_weights() const {
  if (!trainable()) return {};
  return collect(layers(), [](const Layer& l) { return l.trainable_weights(); });
}

std::vector<VariablePtr> Model::non_trainable_weights() const {
  if (!trainable()) return weights();
  return collect(layers(), [](const Layer& l) { return l.non_trainable_weights(); });
}

Tensor Model::call(const Tensor& x, bool training) {
  throw InvalidArgument("model \"" + name() + "\" has no call(): a subclassed model must override call()");
}

Shape Model::compute_output_shape(const Shape& input_shape) const {
  if (!last_output_shape().empty()) return last_output_shape();
  throw InvalidArgument("model \"" + name() + "\": the output shape is known only after the model has been called");
}

namespace {
std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string byte_size(int64_t params) {
  double bytes = static_cast<double>(params) * 4;
  const char* units[] = {"Byte", "KB", "MB", "GB"};
  int u = 0;
  while (bytes >= 1024 && u < 3) {
    bytes /= 1024;
    ++u;
  }
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << bytes << " " << units[u];
  return os.str();
}

std::string fit_column(std::string text, size_t width) {
  if (text.size() > width - 1) text = text.substr(0, width - 2) + "…";
  return text + std::string(width > text.size() ? width - text.size() : 1, ' ');
}
}  // namespace

void Model::summary(std::ostream& out) const {
  const auto* functional = dynamic_cast<const Functional*>(this);
  // Keras's column layout: 65 characters, or 98 with the "Connected to" column of functional models.
  const std::vector<size_t> widths = functional ? std::vector<size_t>{32, 21, 12, 33} : std::vector<size_t>{29, 26, 10};
  size_t total_width = 0;
  for (size_t w : widths) total_width += w;
  auto row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) line += fit_column(cells[i], widths[i]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  out << "Model: \"" << name() << "\"\n" << std::string(total_width, '_') << "\n";
  std::vector<std::string> header{" Layer (type)", "Output Shape", "Param #"};
  if (functional) header.push_back("Connected to");
  row(header);
  out << std::string(total_width, '=') << "\n";
  if (functional) {
    for (const auto& input : functional->inputs())
      row({" " + input.node()->name + " (InputLayer)", "[" + shape_str(input.shape()) + "]", "0", "-"});
  }
  const auto all = layers();
  for (size_t i = 0; i < all.size(); ++i) {
    const Layer& layer = *all[i];
    const Shape& shape = layer.last_output_shape();
    std::string shapes = shape.empty() ? "multiple" : shape_str(shape);
    if (!shape.empty() && layer.output_count() > 1) {  // as Keras 3 lists them: [(None, 4), (None, 4)]
      shapes.clear();
      for (const Shape& output : layer.compute_output_shapes({layer.built_input_shape()}))
        shapes += (shapes.empty() ? "[" : ", ") + shape_str(output);
      shapes += "]";
    }
    std::vector<std::string> cells{" " + layer.name() + " (" + layer.class_name() + ")", shapes,
                                   layer.built() ? std::to_string(layer.count_params()) : "0 (unused)"};
    if (functional) {
      std::string links;
      for (const auto& n : functional->inbound_names(layer)) links += (links.empty() ? "" : ", ") + n;
      cells.push_back(links.empty() ? "-" : links);
    }
    row(cells);
    if (i + 1 < all.size()) out << "\n";
  }
  int64_t trainable = 0, frozen = 0;
  for (const auto& w : trainable_weights()) trainable += w->value().numel();
  for (const auto& w : non_trainable_weights()) frozen += w->value().numel();
  out << std::string(total_width, '=') << "\n";
  out << "Total params: " << with_thousands(trainable + frozen) << " (" << byte_size(trainable + frozen) << ")\n";
  out << "Trainable params: " << with_thousands(trainable) << " (" << byte_size(trainable) << ")\n";
  out << "Non-trainable params: " << with_thousands(frozen) << " (" << byte_size(frozen) << ")\n";
  out << std::string(total_width, '_') << "\n";
}

// ---------------------------------------------------------------- Sequential

Sequential::Sequential(std::vector<LayerPtr> layers, std::optional<Shape> input_shape, std::string name)
    : Model(name.empty() ? unique_layer_name("sequential") : std::move(name), "Sequential") {
  for (auto& layer : layers) add(std::move(layer));
  if (input_shape) {
    Shape full = *input_shape;
    full.insert(full.begin(), -1);
    build(full);
  }
}

void Sequential::add(LayerPtr layer) {
  if (!layer) throw InvalidArgument("Sequential.add: layer is null");
  for (const auto& existing : stack_)
    if (existing->name() == layer->name())
      throw InvalidArgument("All layers added to a Sequential model should have unique names. Name \"" + layer->name() +
                            "\" is already the name of a layer in this model.");
  if (built()) {
    // Keep the model built: the new layer takes the current output shape.
    Shape shape = built_input_shape();
    for (const auto& l : stack_) shape = l->compute_output_shape(shape);
    layer->build(shape);
    layer->compute_output_shape(shape);
  }
  stack_.push_back(std::move(layer));
}

std::vector<std::string> Sequential::output_names() const { return {stack_.empty() ? name() : stack_.back()->name()}; }

std::vector<std::pair<std::string, LayerPtr>> Sequential::named_layers() const {
  std::vector<std::pair<std::string, LayerPtr>> out;
  for (const auto& l : stack_) out.emplace_back(l->name(), l);
  return out;
}

void Sequential::build_impl(const Shape& input_shape) {
  // Build every layer through symbolic calls so that summary() knows the output shapes.
  SymbolicTensor x(std::make_shared<SymbolicNode>(SymbolicNode{nullptr, {}, {input_shape}, "input"}));
  for (const auto& layer : stack_) x = (*layer)(x);
}

Tensor Sequential::call(const Tensor& x, bool training) { return run_with_mask(x, training).output; }

Layer::MaskedOutput Sequential::run_with_mask(const Tensor& x, bool training) {
  Layer::MaskedOutput h{x, Tensor()};
  for (const auto& layer : stack_) h = (*layer)(h.output, h.mask, training);
  return h;
}

std::vector<Layer::MaskedOutput> Sequential::call_outputs_with_masks(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1 || !inputs[0].defined()) return Model::call_outputs_with_masks(inputs, training);
  // As a call of the model (Layer::operator()): checked, and built on the first.
  check_input(inputs[0].shape());
  build(inputs[0].shape());
  return {run_with_mask(inputs[0], training)};
}

Shape Sequential::compute_output_shape(const Shape& input_shape) const {
  Shape shape = input_shape;
  for (const auto& l : stack_) shape = l->compute_output_shape(shape);
  return shape;
}

// ---------------------------------------------------------------- Functional

Functional::Functional(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs, std::string name)
    : Model(name.empty() ? unique_layer_name("model") : std::move(name), "Functional"),
      inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  if (inputs_.empty()) throw InvalidArgument("Functional model \"" + this->name() + "\" needs at least one input");
  if (outputs_.empty()) throw InvalidArgument("Functional model \"" + this->name() + "\" needs at least one output");
  // Depth-first post-order from the outputs gives a topological order of the layer calls.
  std::set<const SymbolicNode*> visited, input_nodes;
  for (const auto& in : inputs_) input_nodes.insert(in.node().get());
  std::function<void(const std::shared_ptr<SymbolicNode>&)> visit = [&](const std::shared_ptr<SymbolicNode>& node) {
    if (!visited.insert(node.get()).second || input_nodes.count(node.get())) return;
    if (!node->layer)
      throw InvalidArgument("Functional model \"" + this->name() + "\": the output depends on input \"" + node->name +
                            "\", which is not among the model's inputs");
    for (const auto& in : node->inputs) visit(in.node());
    order_.push_back(node);
  };
  for (const auto& output : outputs_) visit(output.node());
  Shape first = inputs_[0].shape();
  build(first);
}

std::vector<std::string> Functional::input_names() const {
  std::vector<std::string> names;
  for (const auto& input : inputs_) names.push_back(input.node()->name);
  return names;
}

std::vector<std::string> Functional::output_names() const {
  std::vector<std::string> names;
  for (const auto& output : outputs_) names.push_back(output.node()->layer ? output.node()->layer->name() : output.node()->name);
  return names;
}

// Keras's order of a functional model's layers (keras.src.ops.function.map_graph, tf-keras's the same): by
// depth, the longest path to an output, deepest first; within a depth, in the order a depth-first walk from
// the outputs first reaches them. Keras 3's .keras files name the weight groups by class and position in
// this order ("conv2d_3" is the fourth Conv2D), and the optimizer's variables and TensorFlow checkpoints
// (layer_with_weights-N) follow it. The walk starts at the graph's sinks, in order_'s order: the outputs,
// except one that another layer also consumes (reached through that layer instead).
std::vector<std::pair<std::string, LayerPtr>> Functional::named_layers() const {
  std::set<const SymbolicNode*> consumed, finished;
  for (const auto& node : order_)
    for (const auto& in : node->inputs) consumed.insert(in.node().get());
  std::map<const Layer*, size_t> first_reached;
  std::vector<const SymbolicNode*> post_order;
  std::function<void(const SymbolicNode*)> walk = [&](const SymbolicNode* node) {
    if (!node->layer || finished.count(node)) return;  // a model input, or done
    first_reached.emplace(node->layer.get(), first_reached.size());
    for (const auto& in : node->inputs) walk(in.node().get());
    finished.insert(node);
    post_order.push_back(node);
  };
  for (const auto& node : order_)
    if (!consumed.count(node.get())) walk(node.get());
  std::map<const SymbolicNode*, int> node_depth;
  std::map<const Layer*, int> layer_depth;
  std::vector<LayerPtr> layers;
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    const SymbolicNode* node = *it;
    const int depth = std::max(node_depth[node], layer_depth[node->layer.get()]);
    layer_depth[node->layer.get()] = depth;
    node_depth[node] = depth;
    for (const auto& in : node->inputs) node_depth[in.node().get()] = std::max(node_depth[in.node().get()], depth + 1);
  }
  for (const SymbolicNode* node : post_order)
    if (std::find(layers.begin(), layers.end(), node->layer) == layers.end()) layers.push_back(node->layer);
  std::stable_sort(layers.begin(), layers.end(), [&](const LayerPtr& a, const LayerPtr& b) {
    const int da = layer_depth.at(a.get()), db = layer_depth.at(b.get());
    return da != db ? da > db : first_reached.at(a.get()) < first_reached.at(b.get());
  });
  std::vector<std::pair<std::string, LayerPtr>> out;
  for (const LayerPtr& layer : layers) out.emplace_back(layer->name(), layer);
  return out;
}

std::vector<std::string> Functional::inbound_names(const Layer& layer) const {
  // A node's index counts the calls of its layer in the model (an input's is 0).
  std::map<const SymbolicNode*, size_t> node_index;
  std::map<const Layer*, size_t> calls;
  for (const auto& node : order_) node_index[node.get()] = calls[node->layer.get()]++;
  std::vector<std::string> names;
  for (const auto& node : order_)
    if (node->layer.get() == &layer)
      for (const auto& in : node->inputs) {
        auto index = node_index.find(in.node().get());
        names.push_back(in.node()->name + "[" + std::to_string(index == node_index.end() ? 0 : index->second) + "][" +
                        std::to_string(in.output_index()) + "]");
      }
  return names;
}

std::vector<Shape> Functional::compute_output_shapes(const std::vector<Shape>&) const {
  std::vector<Shape> shapes;
  for (const SymbolicTensor& output : outputs_) shapes.push_back(output.shape());
  return shapes;
}

void Functional::check_input(const Shape& input_shape) const {
  const Shape& expected = inputs_[0].shape();
  bool ok = input_shape.size() == expected.size();
  for (size_t i = 1; ok && i < expected.size(); ++i) ok = expected[i] < 0 || expected[i] == input_shape[i];
  if (!ok)
    incompatible_input("expected shape=" + shape_str(expected) + ", found shape=" + shape_str(input_shape));
}

Tensor Functional::call(const Tensor& x, bool training) { return call_multi({x}, training); }

Tensor Functional::call_multi(const std::vector<Tensor>& xs, bool training) {
  if (outputs_.size() > 1)
    throw InvalidArgument("Functional model \"" + name() + "\" has " + std::to_string(outputs_.size()) +
                          " outputs: call_outputs() (or predict_outputs()) returns them all");
  return run(xs, training)[0];
}

std::vector<Tensor> Functional::call_outputs(const std::vector<Tensor>& xs, bool training) {
  if (outputs_.size() == 1) return Model::call_outputs(xs, training);
  std::vector<Tensor> outputs;
  for (MaskedOutput& output : call_outputs_with_masks(xs, training)) outputs.push_back(std::move(output.output));
  return outputs;
}

std::vector<Layer::MaskedOutput> Functional::call_outputs_with_masks(const std::vector<Tensor>& xs, bool training) {
  if (xs.size() != inputs_.size())
    throw InvalidArgument("Functional model \"" + name() + "\" expects " + std::to_string(inputs_.size()) +
                          " inputs, but it received " + std::to_string(xs.size()) + " input tensors");
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& expected = inputs_[i].shape();
    const Shape& found = xs[i].shape();
    bool ok = found.size() == expected.size();
    for (size_t d = 1; ok && d < expected.size(); ++d) ok = expected[d] < 0 || expected[d] == found[d];
    if (!ok)
      throw ShapeError("Input " + std::to_string(i) + " (\"" + inputs_[i].node()->name + "\") of model \"" + name() +
                       "\" is incompatible: expected shape=" + shape_str(expected) + ", found shape=" + shape_str(found));
  }
  return run_with_masks(xs, training);
}

std::vector<Tensor> Functional::run(const std::vector<Tensor>& xs, bool training) {
  std::vector<Tensor> outputs;
  for (MaskedOutput& output : run_with_masks(xs, training)) outputs.push_back(std::move(output.output));
  return outputs;
}

std::vector<Layer::MaskedOutput> Functional::run_with_masks(const std::vector<Tensor>& xs, bool training) {
  if (xs.size() != inputs_.size())
    throw InvalidArgument("Functional model \"" + name() + "\" expects " + std::to_string(inputs_.size()) +
                          " inputs, but it received " + std::to_string(xs.size()) + " input tensors");
  // Each layer gets its inputs' masks (Keras's compute_mask) and gives every output its own.
  std::unordered_map<const SymbolicNode*, std::vector<MaskedOutput>> values;
  auto value_of = [&](const SymbolicTensor& t) -> const MaskedOutput& { return values.at(t.node().get()).at(t.output_index()); };
  for (size_t i = 0; i < xs.size(); ++i) values[inputs_[i].node().get()] = std::vector<MaskedOutput>{MaskedOutput{xs[i], Tensor()}};
  for (const auto& node : order_) {
    std::vector<Tensor> args, masks;
    for (const auto& in : node->inputs) {
      args.push_back(value_of(in).output);
      masks.push_back(value_of(in).mask);
    }
    values[node.get()] = node->layer->call_all_outputs(args, masks, training);
  }
  std::vector<MaskedOutput> outputs;
  for (const auto& output : outputs_) outputs.push_back(value_of(output));
  return outputs;
}

}  // namespace cairn
