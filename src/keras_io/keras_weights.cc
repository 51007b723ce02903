#include "keras_weights.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "cairn/error.h"
#include "cairn/layers/operation.h"

namespace cairn::keras_io_detail {

namespace {

constexpr const char* kGeneratorGroup = "cairn_generator_states";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string without_device_suffix(const std::string& name) {
  return ends_with(name, ":0") ? name.substr(0, name.size() - 2) : name;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t end; (end = text.find(separator, start)) != std::string::npos; start = end + 1)
    parts.push_back(text.substr(start, end - start));
  parts.push_back(text.substr(start));
  return parts;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

std::string describe(const Layer& layer) { return "layer '" + layer.name() + "' (" + layer.class_name() + ")"; }

// A weight as tf.keras 2.x names it: "dense/kernel:0"; a recurrent layer's belong to its cell
// ("lstm/lstm_cell/kernel:0"), as the layer's keras_weight_paths say.
struct NamedWeight {
  std::string name;
  VariablePtr variable;
};

void collect_keras2_weights(const Layer& layer, std::set<const Variable*>& seen, std::vector<NamedWeight>& out) {
  if (const auto* model = dynamic_cast<const Model*>(&layer)) {
    for (const LayerPtr& child : model->layers()) collect_keras2_weights(*child, seen, out);
    return;
  }
  const std::vector<Layer::KerasWeightPath> paths = layer.keras_weight_paths();
  const auto& weights = layer.own_weights();
  for (size_t i = 0; i < weights.size(); ++i)
    if (seen.insert(weights[i].second.get()).second)
      out.push_back({layer.name() + "/" + paths.at(i).keras2 + ":0", weights[i].second});
}

// A layer's weights in the order of tf.keras's .h5 files (hdf5_format._legacy_weights, also Keras 3's legacy
// writer): its trainable weights, then its non-trainable ones. For a layer that is not a model that is its
// own order; a nested model lists the trainable weights of all its layers first (a frozen model has none,
// a fine-tuned one those of its unfrozen layers), then the rest (BatchNormalization's moving statistics,
// frozen layers' weights) in the order of its layers.
std::vector<NamedWeight> keras2_weights(const Layer& layer) {
  std::set<const Variable*> seen;
  std::vector<NamedWeight> by_layer;
  collect_keras2_weights(layer, seen, by_layer);
  if (!dynamic_cast<const Model*>(&layer)) return by_layer;
  std::map<const Variable*, const NamedWeight*> named;
  for (const NamedWeight& weight : by_layer) named.emplace(weight.variable.get(), &weight);
  std::vector<NamedWeight> out;
  std::set<const Variable*> placed;
  auto place = [&](const VariablePtr& variable) {
    auto it = named.find(variable.get());
    if (it != named.end() && placed.insert(variable.get()).second) out.push_back(*it->second);
  };
  for (const VariablePtr& variable : layer.trainable_weights()) place(variable);
  for (const VariablePtr& variable : layer.non_trainable_weights()) place(variable);
  for (const NamedWeight& weight : by_layer) place(weight.variable);  // none left, unless a layer hides some
  return out;
}

// Every layer that is not a model, depth first.
void for_each_leaf(const std::vector<LayerPtr>& layers, const std::function<void(const LayerPtr&)>& visit) {
  for (const LayerPtr& layer : layers) {
    if (const auto* model = dynamic_cast<const Model*>(layer.get()))
      for_each_leaf(model->layers(), visit);
    else
      visit(layer);
  }
}

// The dataset a weight_names entry names; writers differ in the ":0" suffix.
std::string dataset_path(const h5::Group& group, const std::string& weight_name) {
  for (const std::string& candidate :
       {weight_name, ends_with(weight_name, ":0") ? without_device_suffix(weight_name) : weight_name + ":0"})
    if (group.has(candidate) && !group.is_group(candidate)) return candidate;
  throw FormatError(group.where(weight_name) + ": the dataset that weight_names lists is missing");
}

// ShapeError, or with skip_mismatch a warning on stderr (the caller then skips the layer).
void report_mismatch(bool skip, const Layer& layer, const std::string& message) {
  if (!skip) throw ShapeError(message);
  std::cerr << "WARNING: load_weights skips " << describe(layer) << ": " << message << "\n";
}

std::string shape_list(const std::vector<Shape>& shapes) {
  std::vector<std::string> parts;
  for (const Shape& shape : shapes) parts.push_back(shape_str(shape));
  std::string out = "[";  // appending (rather than "[" + ...) avoids a false -Wrestrict in GCC 12
  out += join(parts, ", ");
  out += "]";
  return out;
}

// Reads the values of one layer's weights from `paths` in `group` once count and shapes agree.
void plan_layer(const Layer& layer, const std::vector<VariablePtr>& variables, const h5::Group& group,
                const std::vector<std::string>& paths, const std::string& saved_description, bool skip,
                PendingLoad& pending) {
  if (paths.size() != variables.size()) {
    std::vector<Shape> expected;
    for (const VariablePtr& v : variables) expected.push_back(v->shape());
    report_mismatch(skip, layer,
                    describe(layer) + " has " + std::to_string(variables.size()) + " weights " + shape_list(expected) +
                        ", but " + saved_description + " holds " + std::to_string(paths.size()));
    return;
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    const Shape saved = group.dataset_shape(paths[i]);
    if (saved != variables[i]->shape()) {
      report_mismatch(skip, layer,
                      describe(layer) + ": weight '" + variables[i]->name() + "' has shape " +
                          shape_str(variables[i]->shape()) + " in the model, but shape " + shape_str(saved) + " in " +
                          group.where(paths[i]));
      return;
    }
  }
  for (size_t i = 0; i < paths.size(); ++i)
    pending.assign(variables[i], group.read_dataset(paths[i], variables[i]->dtype()));
}

// (variable, slot name) in the order tf.keras 2.x lists slot variables: slot by slot over the variables.
std::vector<std::pair<VariablePtr, std::string>> keras2_slot_order(const Optimizer& optimizer,
                                                                   const std::vector<VariablePtr>& variables) {
  std::vector<std::pair<VariablePtr, std::string>> order;
  for (const std::string& slot_name : optimizer.slot_names())
    for (const VariablePtr& variable : variables) order.emplace_back(variable, slot_name);
  return order;
}

void report_optimizer_mismatch(const std::string& message) {
  std::cerr << "WARNING: Skipping loading optimizer state (as Keras does; the weights are loaded): " << message << "\n";
}

std::string slot_summary(const Optimizer& optimizer, size_t variables) {
  return optimizer.class_name() + " has " + std::to_string(optimizer.slot_names().size()) + " slot(s) (" +
         join(optimizer.slot_names(), ", ") + ") for each of the model's " + std::to_string(variables) +
         " trainable weights";
}

// A one-element dataset (iterations, learning rate) as a scalar of `dtype`.
Tensor read_scalar(const h5::Group& group, const std::string& path, DType dtype) {
  const Shape shape = group.dataset_shape(path);
  if (num_elements(shape) != 1)
    throw FormatError(group.where(path) + ": expected a scalar, found shape " + shape_str(shape));
  return group.read_dataset(path, dtype).reshape({});
}

float read_learning_rate(const h5::Group& group, const std::string& path) {
  const float value = read_scalar(group, path, DType::Float32).data<float>()[0];
  if (!(value >= 0) || !std::isfinite(value))
    throw FormatError(group.where(path) + ": the learning rate " + std::to_string(value) + " is not finite and >= 0");
  return value;
}

// Optimizer state read from a file, assigned to `pending` only when all of it fits.
struct OptimizerValues {
  int64_t iterations = 0;
  std::optional<float> learning_rate;
  std::vector<std::pair<VariablePtr, std::string>> slots;
  std::vector<std::string> paths;  // of the slots
};

// Checks the slot shapes and reads everything; false (after the warning) when a shape differs.
bool plan_optimizer(const h5::Group& group, const OptimizerValues& values, PendingLoad& pending) {
  for (size_t i = 0; i < values.slots.size(); ++i) {
    const Shape saved = group.dataset_shape(values.paths[i]);
    const VariablePtr& variable = values.slots[i].first;
    if (saved != variable->shape()) {
      report_optimizer_mismatch("slot '" + values.slots[i].second + "' of weight '" + variable->name() +
                                                 "' has shape " + shape_str(saved) + " in " +
                                                 group.where(values.paths[i]) + ", but the weight has shape " +
                                                 shape_str(variable->shape()));
      return false;
    }
  }
  std::vector<Tensor> tensors;
  for (const std::string& path : values.paths) tensors.push_back(group.read_dataset(path, DType::Float32));
  pending.set_iterations(values.iterations);
  if (values.learning_rate) pending.set_learning_rate(*values.learning_rate);
  for (size_t i = 0; i < values.slots.size(); ++i)
    pending.assign_slot(values.slots[i].first, values.slots[i].second, tensors[i]);
  return true;
}

// cairn's name for a slot as tf-keras 2.11+ names it ("RMSprop/velocity/..."); the legacy optimizers
// use cairn's names.
std::string cairn_slot_name(const Optimizer& optimizer, const std::string& name) {
  if (optimizer.class_name() == "SGD" && name == "m") return "momentum";
  if (optimizer.class_name() == "RMSprop" && name == "velocity") return "rms";
  if (optimizer.class_name() == "RMSprop" && name == "average_gradient") return "mg";
  return name;
}

// A slot the file holds that cannot change the next step: tf-keras 2.11+'s SGD keeps "m" even without
// momentum, where the update multiplies it by 0.
bool is_inert_slot(const Optimizer& optimizer, const std::string& slot) {
  const auto* sgd = dynamic_cast<const SGD*>(&optimizer);
  return sgd && slot == "momentum" && sgd->momentum() == 0;
}

// A slot dataset of optimizer_weights resolved to the weight it belongs to.
struct ResolvedSlot {
  VariablePtr variable;
  std::string slot;
  size_t name_index;  // in the names given to resolve_slot_names
};

// The (weight, slot) of each slot name, by name: the legacy optimizers' "Adam/<layer>/.../<weight>/<slot>:0"
// or tf-keras 2.11+'s "Adam/<slot>/<layer>/.../<weight>:0". Inert slots are left out. None when a
// name does not resolve to exactly one weight of the model (then Keras's positional order applies).
std::optional<std::vector<ResolvedSlot>> resolve_slot_names(const std::vector<std::string>& names,
                                                            const Model& model, const Optimizer& optimizer) {
  std::map<std::string, const Layer*> layers;
  std::set<std::string> ambiguous;
  for_each_leaf(model.layers(), [&](const LayerPtr& layer) {
    if (!layers.emplace(layer->name(), layer.get()).second) ambiguous.insert(layer->name());
  });
  const std::vector<std::string> slot_names = optimizer.slot_names();
  auto known_slot = [&](const std::string& slot) {
    return std::find(slot_names.begin(), slot_names.end(), slot) != slot_names.end() || is_inert_slot(optimizer, slot);
  };
  // The weight named by parts [begin, end) after the layer's name: its whole short name (MultiHeadAttention's
  // "query/kernel"), or the last part (a recurrent layer's "lstm_cell/kernel" is its "kernel").
  auto find_weight = [&](const std::string& layer_name, const std::vector<std::string>& parts, size_t begin,
                         size_t end) -> VariablePtr {
    auto layer = layers.find(layer_name);
    if (layer == layers.end() || ambiguous.count(layer_name) || begin >= end) return nullptr;
    const std::string whole = join(std::vector<std::string>(parts.begin() + begin, parts.begin() + end), "/");
    for (const std::string& weight : {whole, parts[end - 1]})
      for (const auto& [short_name, v] : layer->second->own_weights())
        if (short_name == weight) return v;
    return nullptr;
  };
  std::vector<ResolvedSlot> resolved;
  std::set<std::pair<const Variable*, std::string>> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::vector<std::string> parts = split(without_device_suffix(names[i]), '/');
    if (parts.size() < 4) return std::nullopt;
    std::string slot = parts.back();
    VariablePtr variable;
    if (known_slot(slot)) variable = find_weight(parts[1], parts, 2, parts.size() - 1);
    if (!variable) {
      slot = cairn_slot_name(optimizer, parts[1]);
      if (known_slot(slot)) variable = find_weight(parts[2], parts, 3, parts.size());
    }
    if (!variable || !seen.insert({variable.get(), slot}).second) return std::nullopt;
    if (!is_inert_slot(optimizer, slot)) resolved.push_back({variable, slot, i});
  }
  return resolved;
}

// Operations (keras.ops applied in a functional model) are not among a Keras 3 model's layers: its files
// keep no group for them, and they do not count in the numbering of the layers' names.
bool is_operation(const Layer& layer) { return dynamic_cast<const Operation*>(&layer) != nullptr; }

// A Keras 3 container's names for its items: snake_case class names, numbered from the second on.
std::string container_name(const Layer& layer, std::map<std::string, int>& used) {
  const std::string base = to_snake_case(layer.class_name());
  auto [it, fresh] = used.emplace(base, 0);
  if (fresh) return base;
  return base + "_" + std::to_string(++it->second);
}

// A group of the Keras 3 layout; files written on Windows by tf-keras 2.15 joined the names before
// "vars" with backslashes.
std::optional<std::string> locate_keras3_group(const h5::Group& root, const std::vector<std::string>& segments,
                                               const std::string& tail) {
  const std::string path = join(segments, "/") + "/" + tail;
  if (root.is_group(path)) return path;
  const std::string windows = join(segments, "\\") + "/" + tail;
  if (root.is_group(windows)) return windows;
  return std::nullopt;
}

// Every layer that is not a model, with its Keras 3 path ("layers/dropout", "layers/functional/layers/dense"),
// which follows the layers' order rather than their names.
void for_each_keras3_leaf(const std::vector<LayerPtr>& layers, const std::string& prefix,
                          const std::function<void(const LayerPtr&, const std::string&)>& visit) {
  std::map<std::string, int> used;
  for (const LayerPtr& layer : layers) {
    if (is_operation(*layer)) continue;
    const std::string path = prefix + "/" + container_name(*layer, used);
    if (const auto* model = dynamic_cast<const Model*>(layer.get()))
      for_each_keras3_leaf(model->layers(), path + "/layers", visit);
    else
      visit(layer, path);
  }
}

// A layer's weights grouped by the Keras 3 object whose vars/ hold them ("" for the layer's own, "cell"),
// groups in the order of their first weight, weights in the layer's order.
std::vector<std::pair<std::string, std::vector<VariablePtr>>> keras3_weight_groups(const Layer& layer) {
  std::vector<std::pair<std::string, std::vector<VariablePtr>>> groups;
  const std::vector<Layer::KerasWeightPath> paths = layer.keras_weight_paths();
  const auto& weights = layer.own_weights();
  for (size_t i = 0; i < weights.size(); ++i) {
    const std::string& object = paths.at(i).keras3;
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == object; });
    if (group == groups.end()) group = groups.insert(groups.end(), {object, {}});
    group->second.push_back(weights[i].second);
  }
  return groups;
}

void write_keras3_layers(h5::Group& root, const std::vector<std::string>& prefix, const std::vector<LayerPtr>& layers) {
  std::map<std::string, int> used;
  for (const LayerPtr& layer : layers) {
    if (is_operation(*layer)) continue;
    std::vector<std::string> segments = prefix;
    segments.push_back(container_name(*layer, used));
    const std::string path = join(segments, "/");
    root.create_group(path + "/vars");
    if (const auto* model = dynamic_cast<const Model*>(layer.get())) {
      segments.push_back("layers");
      write_keras3_layers(root, segments, model->layers());
      continue;
    }
    for (const auto& [object, variables] : keras3_weight_groups(*layer)) {
      const std::string vars = path + (object.empty() ? "" : "/" + object) + "/vars";
      root.create_group(vars);
      for (size_t i = 0; i < variables.size(); ++i)
        root.write_dataset(vars + "/" + std::to_string(i), variables[i]->value());
    }
  }
}

void read_keras3_layers(const h5::Group& root, const std::vector<std::string>& prefix,
                        const std::vector<LayerPtr>& layers, bool skip, PendingLoad& pending) {
  std::map<std::string, int> used;
  for (const LayerPtr& layer : layers) {
    if (is_operation(*layer)) continue;
    std::vector<std::string> segments = prefix;
    segments.push_back(container_name(*layer, used));
    if (const auto* model = dynamic_cast<const Model*>(layer.get())) {
      segments.push_back("layers");
      read_keras3_layers(root, segments, model->layers(), skip, pending);
      continue;
    }
    for (const auto& [object, variables] : keras3_weight_groups(*layer)) {
      const std::string tail = (object.empty() ? "" : object + "/") + "vars";
      std::optional<std::string> vars = locate_keras3_group(root, segments, tail);
      // tf-keras's .keras files name a sublayer by its attribute, underscore kept (MultiHeadAttention's
      // _query_dense where Keras 3 writes query_dense).
      if (!vars && !object.empty()) vars = locate_keras3_group(root, segments, "_" + tail);
      if (!vars) {
        const std::string missing = root.where(join(segments, "/") + "/" + tail) + " (missing)";
        plan_layer(*layer, variables, root, {}, missing, skip, pending);
        continue;
      }
      const h5::Group group = root.open_group(*vars);
      const size_t count = group.children().size();
      std::vector<std::string> paths;
      for (size_t i = 0; i < count; ++i) {
        paths.push_back(std::to_string(i));
        if (!group.has(paths.back()) || group.is_group(paths.back()))
          throw FormatError(group.where(paths.back()) + ": missing (a vars group holds datasets 0, 1, ...)");
      }
      plan_layer(*layer, variables, group, paths, group.where(), skip, pending);
    }
  }
}

}  // namespace

void PendingLoad::apply(Optimizer* optimizer) const {
  for (const auto& [variable, value] : variables_) variable->assign(value);
  if (!slots_.empty() || iterations_ || learning_rate_) {
    if (!optimizer) throw InvalidArgument("keras_io: optimizer state read for a model without optimizer");
    std::vector<VariablePtr> owners;
    for (const Slot& slot : slots_) owners.push_back(slot.variable);
    optimizer->build(owners);
    for (const Slot& slot : slots_) optimizer->get_slot(*slot.variable, slot.slot_name)->assign(slot.value);
    if (iterations_) optimizer->iterations()->assign(Tensor::from_vector<int64_t>({}, {*iterations_}));
    if (learning_rate_) optimizer->set_learning_rate(*learning_rate_);
  }
  for (const auto& [layer, state] : generators_) layer->generator().set_state(state);
}

// ---------------------------------------------------------------- tf.keras 2.x layout

void write_keras2_layers(h5::Group& group, const std::vector<LayerPtr>& layers) {
  std::vector<std::string> layer_names;
  for (const LayerPtr& layer : layers) layer_names.push_back(layer->name());
  group.set_string_list_attribute("layer_names", layer_names);
  for (const LayerPtr& layer : layers) {
    h5::Group layer_group = group.create_group(layer->name());
    const std::vector<NamedWeight> weights = keras2_weights(*layer);
    std::vector<std::string> weight_names;
    for (const NamedWeight& weight : weights) weight_names.push_back(weight.name);
    layer_group.set_string_list_attribute("weight_names", weight_names);
    for (const NamedWeight& weight : weights) layer_group.write_dataset(weight.name, weight.variable->value());
  }
}

void read_keras2_layers(const h5::Group& group, const std::vector<LayerPtr>& layers, const LoadWeightsOptions& options,
                        PendingLoad& pending) {
  const std::optional<std::vector<std::string>> layer_names = group.string_list_attribute("layer_names");
  if (!layer_names) throw FormatError(group.where() + ": attribute layer_names is missing (not a Keras weights group)");
  struct SavedLayer {
    std::string name;
    h5::Group group;
    std::vector<std::string> weight_names;
  };
  std::vector<SavedLayer> saved;  // the saved layers that have weights, in order
  for (const std::string& name : *layer_names) {
    if (!group.is_group(name))
      throw FormatError(group.where(name) + ": the group of layer '" + name + "', listed in layer_names, is missing");
    h5::Group layer_group = group.open_group(name);
    std::optional<std::vector<std::string>> weight_names = layer_group.string_list_attribute("weight_names");
    if (!weight_names) throw FormatError(layer_group.where() + ": attribute weight_names is missing");
    if (!weight_names->empty()) saved.push_back({name, std::move(layer_group), std::move(*weight_names)});
  }
  auto plan = [&](const Layer& layer, const SavedLayer& from) {
    std::vector<VariablePtr> variables;
    for (const NamedWeight& weight : keras2_weights(layer)) variables.push_back(weight.variable);
    // Datasets are looked up only when the counts agree, so that skip_mismatch can skip the layer first.
    std::vector<std::string> paths = from.weight_names;
    if (paths.size() == variables.size())
      for (std::string& path : paths) path = dataset_path(from.group, path);
    plan_layer(layer, variables, from.group, paths, from.group.where(), options.skip_mismatch, pending);
  };

  if (options.by_name) {
    for (const SavedLayer& from : saved)
      for (const LayerPtr& layer : layers)
        if (layer->name() == from.name) plan(*layer, from);
    return;
  }
  std::vector<LayerPtr> with_weights;
  for (const LayerPtr& layer : layers)
    if (!keras2_weights(*layer).empty()) with_weights.push_back(layer);
  if (with_weights.size() != saved.size()) {
    std::vector<std::string> model_names, file_names;
    for (const LayerPtr& layer : with_weights) model_names.push_back(layer->name());
    for (const SavedLayer& from : saved) file_names.push_back(from.name);
    throw ShapeError(group.where() + " holds weights for " + std::to_string(saved.size()) + " layers (" +
                     join(file_names, ", ") + "), but the model has " + std::to_string(with_weights.size()) +
                     " layers with weights (" + join(model_names, ", ") + ")");
  }
  for (size_t i = 0; i < saved.size(); ++i) plan(*with_weights[i], saved[i]);
}

void write_keras2_optimizer(h5::Group& root, const Model& model) {
  if (!model.compiled()) return;
  const Optimizer& optimizer = model.optimizer();
  if (optimizer.iteration_count() == 0 && optimizer.slots().empty()) return;  // nothing beyond the config yet
  std::map<const Variable*, std::string> names;
  std::vector<VariablePtr> variables;  // the model's weights that have slots
  for (const LayerPtr& layer : model.layers())
    for (const NamedWeight& weight : keras2_weights(*layer)) {
      names[weight.variable.get()] = without_device_suffix(weight.name);
      if (optimizer.has_slots(*weight.variable)) variables.push_back(weight.variable);
    }
  const std::string prefix = optimizer.class_name() + "/";
  std::vector<std::string> weight_names{prefix + "iter:0"};
  std::vector<Tensor> values{optimizer.iterations()->value()};
  for (const auto& [variable, slot_name] : keras2_slot_order(optimizer, variables)) {
    weight_names.push_back(prefix + names.at(variable.get()) + "/" + slot_name + ":0");
    values.push_back(optimizer.get_slot(*variable, slot_name)->value());
  }
  h5::Group group = root.create_group("optimizer_weights");
  group.set_string_list_attribute("weight_names", weight_names);
  for (size_t i = 0; i < values.size(); ++i) group.write_dataset(weight_names[i], values[i]);
}

void read_keras2_optimizer(const h5::Group& group, const Model& model, PendingLoad& pending) {
  const std::optional<std::vector<std::string>> names = group.string_list_attribute("weight_names");
  if (!names) throw FormatError(group.where() + ": attribute weight_names is missing");
  if (names->empty() || !model.compiled()) return;
  const Optimizer& optimizer = model.optimizer();
  OptimizerValues values;
  values.iterations = read_scalar(group, dataset_path(group, (*names)[0]), DType::Int64).data<int64_t>()[0];
  std::vector<std::string> rest(names->begin() + 1, names->end());
  const std::optional<std::vector<ResolvedSlot>> by_name = resolve_slot_names(rest, model, optimizer);
  if (by_name) {
    for (const ResolvedSlot& slot : *by_name) {
      values.slots.emplace_back(slot.variable, slot.slot);
      values.paths.push_back(dataset_path(group, rest[slot.name_index]));
    }
  } else {
    const std::vector<VariablePtr> variables = model.trainable_weights();
    const auto tf_keras_order = keras2_slot_order(optimizer, variables);
    const auto keras3_order = optimizer.keras_slot_order(variables);
    // Keras 3's legacy writer lists the learning rate after the iteration count.
    const bool has_learning_rate = rest[0].find("learning_rate") != std::string::npos;
    if (!has_learning_rate && rest.size() == tf_keras_order.size()) {
      values.slots = tf_keras_order;
    } else if (has_learning_rate && rest.size() == keras3_order.size() + 1) {
      values.learning_rate = read_learning_rate(group, dataset_path(group, rest[0]));
      rest.erase(rest.begin());
      values.slots = keras3_order;
    } else {
      report_optimizer_mismatch(group.where() + " holds " + std::to_string(names->size()) +
                                                 " values (the iteration count and " + std::to_string(rest.size()) +
                                                 " more), which do not match: " +
                                                 slot_summary(optimizer, variables.size()));
      return;
    }
    for (const std::string& name : rest) values.paths.push_back(dataset_path(group, name));
  }
  plan_optimizer(group, values, pending);
}

// ---------------------------------------------------------------- Keras 3 layout

void write_keras3_weights(h5::Group& root, const Model& model, bool include_optimizer) {
  root.create_group("vars");  // the model's own variables: none
  write_keras3_layers(root, {"layers"}, model.layers());
  if (!include_optimizer || !model.compiled()) return;
  Optimizer& optimizer = model.optimizer();
  const std::vector<VariablePtr> variables = model.trainable_weights();
  // Keras 3 lists the slots of every trainable variable by position once the optimizer is built. Slots
  // that do not exist yet are created with the values their lazy creation would give them.
  const bool built = std::any_of(variables.begin(), variables.end(),
                                 [&](const VariablePtr& v) { return optimizer.has_slots(*v); });
  if (built) optimizer.build(variables);
  h5::Group vars = root.create_group("optimizer/vars");
  vars.write_dataset("0", optimizer.iterations()->value());
  vars.write_dataset("1", Tensor::scalar(optimizer.learning_rate(), DType::Float32));
  if (!built) return;
  size_t index = 2;
  for (const auto& [variable, slot_name] : optimizer.keras_slot_order(variables))
    vars.write_dataset(std::to_string(index++), optimizer.get_slot(*variable, slot_name)->value());
}

void read_keras3_weights(const h5::Group& root, const Model& model, const LoadWeightsOptions& options,
                         PendingLoad& pending) {
  if (options.by_name)
    throw InvalidArgument(root.source() + ": by_name needs tf.keras 2.x's layout (layer_names); Keras 3's weights "
                                          "files match layers by their order");
  read_keras3_layers(root, {"layers"}, model.layers(), options.skip_mismatch, pending);
  if (!model.compiled() || !root.is_group("optimizer/vars")) return;
  const h5::Group vars = root.open_group("optimizer/vars");
  const size_t count = vars.children().size();
  if (count == 0) return;
  const Optimizer& optimizer = model.optimizer();
  const std::vector<VariablePtr> variables = model.trainable_weights();
  const auto order = optimizer.keras_slot_order(variables);
  // Keras 3 stores the iteration count and the learning rate, then the slots once the optimizer is
  // built; tf-keras 2.15 stores no learning rate.
  size_t first_slot;
  if (count == 2 + order.size() || count == 2) {
    first_slot = 2;
  } else if (count == 1 + order.size() || count == 1) {
    first_slot = 1;
  } else if (is_inert_slot(optimizer, "momentum") && count == 1 + variables.size()) {
    first_slot = count;  // tf-keras 2.11+'s SGD without momentum: the iteration count, then inert "m" slots
  } else {
    report_optimizer_mismatch(vars.where() + " holds " + std::to_string(count) +
                                               " values, which do not match: " +
                                               slot_summary(optimizer, variables.size()) +
                                               " (plus the iteration count and the learning rate)");
    return;
  }
  for (size_t i = 0; i < count; ++i)
    if (!vars.has(std::to_string(i)) || vars.is_group(std::to_string(i)))
      throw FormatError(vars.where(std::to_string(i)) + ": missing (a vars group holds datasets 0, 1, ...)");
  OptimizerValues values;
  values.iterations = read_scalar(vars, "0", DType::Int64).data<int64_t>()[0];
  if (first_slot == 2) values.learning_rate = read_learning_rate(vars, "1");
  if (count > first_slot) {
    values.slots = order;
    for (size_t i = first_slot; i < count; ++i) values.paths.push_back(std::to_string(i));
  }
  plan_optimizer(vars, values, pending);
}

// ---------------------------------------------------------------- generator states

void write_generator_states(h5::Group& root, const Model& model) {
  for_each_keras3_leaf(model.layers(), "layers", [&](const LayerPtr& layer, const std::string& path) {
    if (!layer->draws_random_numbers()) return;
    const GeneratorState state = layer->generator().state();
    root.write_dataset(std::string(kGeneratorGroup) + "/" + path,
                       Tensor::from_vector<int64_t>({3}, {static_cast<int64_t>(state.seed),
                                                          static_cast<int64_t>(state.counter),
                                                          static_cast<int64_t>(state.position)}));
  });
}

void read_generator_states(const h5::Group& root, const Model& model, PendingLoad& pending) {
  if (!root.is_group(kGeneratorGroup)) return;
  const h5::Group group = root.open_group(kGeneratorGroup);
  for_each_keras3_leaf(model.layers(), "layers", [&](const LayerPtr& layer, const std::string& path) {
    if (!layer->draws_random_numbers() || !group.has(path)) return;
    const Shape shape = group.dataset_shape(path);
    if (shape != Shape{3})
      throw FormatError(group.where(path) + ": a generator state has shape (3,), found " + shape_str(shape));
    const Tensor value = group.read_dataset(path, DType::Int64);
    const int64_t* v = value.data<int64_t>();
    if (v[2] < 0 || v[2] > 4)
      throw FormatError(group.where(path) + ": block position " + std::to_string(v[2]) + " is not 0..4");
    GeneratorState state;
    state.seed = static_cast<uint64_t>(v[0]);
    state.counter = static_cast<uint64_t>(v[1]);
    state.position = static_cast<uint32_t>(v[2]);
    pending.set_generator(layer.get(), state);
  });
}

}  // namespace cairn::keras_io_detail
