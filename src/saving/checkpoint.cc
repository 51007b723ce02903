// tf.train.Checkpoint: walks the named objects into TensorFlow 2's object graph, writes every value
// under its key, and restores all values or none.
#include "cairn/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <new>
#include <set>
#include <tuple>

#include "cairn/autodiff.h"
#include "cairn/data.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "cairn/tensor_bundle.h"
#include "checkpoint/proto/trackable_object_graph.pb.h"
#include "async_checkpoint_writer.h"

namespace cairn {

namespace {

constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";
using GraphProto = proto::TrackableObjectGraph;
using ObjectProto = proto::TrackableObjectGraph::TrackableObject;

// Object names are escaped as TensorFlow does: "." -> "..", "/" -> ".S".
std::string escape(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '.') out += "..";
    else if (c == '/') out += ".S";
    else out += c;
  }
  return out;
}

std::string join(const std::string& path, const std::string& local) {
  return path.empty() ? escape(local) : path + "/" + escape(local);
}

std::string attribute_key(const std::string& path, const std::string& attribute) {
  return path + "/.ATTRIBUTES/" + attribute;
}

Tensor generator_state_tensor(const Generator& g) {
  GeneratorState s = g.state();
  return Tensor::from_vector<int64_t>({3}, {static_cast<int64_t>(s.seed), static_cast<int64_t>(s.counter),
                                            static_cast<int64_t>(s.position)});
}

GeneratorState generator_state_from(const Tensor& t) {
  auto v = t.span<int64_t>();
  GeneratorState s;
  s.seed = static_cast<uint64_t>(v[0]);
  s.counter = static_cast<uint64_t>(v[1]);
  s.position = static_cast<uint32_t>(v[2]);
  return s;
}

// A value the checkpoint holds: where it goes in the file, what it is now, and how to set it.
struct Slot {
  std::string key;
  std::function<Tensor()> read;
  std::function<void(const Tensor&)> assign;
  // Set when the value is a variable's: a restore stages the file's bytes and copies them straight into
  // the variable's value, with no tensor in between.
  Variable* variable = nullptr;
  // cairn's own state that TensorFlow does not write (random generators, iterator positions) and the
  // hyperparameters that Keras 2.11+ keeps only in its config: restored when the file has them.
  bool optional = false;
};

// The trainable variables of the layers among the items, in order: the variables an optimizer of the
// checkpoint lists its slots for (Keras's model.trainable_variables).
std::vector<VariablePtr> trained_variables(const std::vector<CheckpointItem>& items) {
  std::vector<VariablePtr> vars;
  for (const auto& item : items)
    if (const auto* layer = std::get_if<std::shared_ptr<Layer>>(&item.object))
      for (const auto& v : (*layer)->trainable_weights()) vars.push_back(v);
  return vars;
}

// Builds the object graph and the list of values of a set of named objects. The graph holds what
// TensorFlow's own objects hold, so that tf.train.Checkpoint(model=, optimizer=) of a tf-keras model
// restores it with assert_consumed(): optimizers in the layout of tf.keras 2.11+ (_iterations,
// _learning_rate, the slots by position in _variables). cairn's own state (layers' random generators,
// the optimizer's other hyperparameters, which Keras keeps in its config) is written beside the graph,
// under keys of the same form that no graph node names: TensorFlow's restore does not see it.
class GraphWalker {
 public:
  GraphProto graph;
  std::vector<Slot> slots;
  std::map<const Variable*, std::string> variable_keys;
  // (variable, optimizer path, slot name) -> key
  std::map<std::tuple<const Variable*, std::string, std::string>, std::string> slot_keys;
  // optimizer path -> the keys of its "_variables" items 1, 2... ("" where a slot does not exist yet)
  std::map<std::string, std::vector<std::string>> listed_slot_keys;
  // Layers that have no weights yet, by object path: a restore gives them their values when built.
  std::vector<std::pair<std::string, Layer*>> unbuilt;

  GraphWalker() { graph.add_nodes(); }  // node 0: the root

  void add_item(const CheckpointItem& item) {
    std::visit([&](const auto& object) { add(0, "", item.name, object); }, item.object);
    // Slot variables need the variables' paths, so optimizers come after everything else.
  }

  void add_pending_optimizers(const std::vector<VariablePtr>& trained) {
    for (auto& [node, path, optimizer] : optimizers_) add_optimizer_slots(node, path, *optimizer, trained);
  }

 private:
  struct PendingOptimizer {
    int node;
    std::string path;
    std::shared_ptr<Optimizer> optimizer;
  };
  std::map<const Variable*, std::pair<int, std::string>> variables_;  // node id and path
  std::map<const void*, int> objects_;
  std::vector<PendingOptimizer> optimizers_;

  int new_node(int parent, const std::string& local_name) {
    int id = graph.nodes_size();
    graph.add_nodes();
    link(parent, local_name, id);
    return id;
  }

  void link(int parent, const std::string& local_name, int child) {
    auto* ref = graph.mutable_nodes(parent)->add_children();
    ref->set_node_id(child);
    ref->set_local_name(local_name);
  }

  void add_attribute(int node, const std::string& attribute, const std::string& full_name, const std::string& key) {
    auto* a = graph.mutable_nodes(node)->add_attributes();
    a->set_name(attribute);
    a->set_full_name(full_name);
    a->set_checkpoint_key(key);
  }

  void add_variable(int parent, const std::string& parent_path, const std::string& local, const VariablePtr& v) {
    auto known = variables_.find(v.get());
    if (known != variables_.end()) {  // shared: another edge to the same node
      link(parent, local, known->second.first);
      return;
    }
    const std::string path = join(parent_path, local);
    int node = new_node(parent, local);
    variables_[v.get()] = {node, path};
    const std::string key = attribute_key(path, "VARIABLE_VALUE");
    add_attribute(node, "VARIABLE_VALUE", v->name(), key);
    slots.push_back({key, [v] { return v->value(); }, [v](const Tensor& t) { v->assign(t); }, v.get()});
    variable_keys[v.get()] = key;
  }

  void add(int parent, const std::string& parent_path, const std::string& local, const VariablePtr& v) {
    add_variable(parent, parent_path, local, v);
  }

  void add(int parent, const std::string& parent_path, const std::string& local, const std::shared_ptr<Layer>& layer) {
    auto known = objects_.find(layer.get());
    if (known != objects_.end()) {
      link(parent, local, known->second);
      return;
    }
    // An unnamed layer is the root itself (Keras's save_weights: keys without a "model/" prefix).
    const bool is_root = local.empty() && parent == 0;
    const std::string path = is_root ? parent_path : join(parent_path, local);
    int node = is_root ? 0 : new_node(parent, local);
    objects_[layer.get()] = node;
    if (auto* model = dynamic_cast<Model*>(layer.get())) {
      add_model_children(node, path, *model);
      return;
    }
    // A recurrent layer's weights are its cell's in Keras ("keras3": the object "cell"), and tf-keras's
    // checkpoints keep them there: layer_with_weights-1/cell/kernel.
    const std::vector<Layer::KerasWeightPath> weight_paths = layer->keras_weight_paths();
    std::map<std::string, int> owners;  // an object below the layer -> its node
    for (size_t i = 0; i < weight_paths.size(); ++i) {
      const std::string& object =
          weight_paths[i].checkpoint_object.empty() ? weight_paths[i].keras3 : weight_paths[i].checkpoint_object;
      int owner = node;
      if (!object.empty()) {
        auto [it, added] = owners.emplace(object, 0);
        if (added) it->second = new_node(node, object);
        owner = it->second;
      }
      add_variable(owner, object.empty() ? path : join(path, object), weight_paths[i].checkpoint,
                   layer->own_weights().at(i).second);
    }
    if (!layer->built()) unbuilt.emplace_back(path, layer.get());
    if (layer->draws_random_numbers()) {
      const std::string key = attribute_key(path, "GENERATOR_STATE");  // beside the graph
      Layer* l = layer.get();
      slots.push_back({key, [l] { return generator_state_tensor(l->generator()); },
                       [l](const Tensor& t) { l->generator().set_state(generator_state_from(t)); }, nullptr, true});
    }
  }

  void add_model_children(int node, const std::string& path, Model& model) {
    if (!model.is_graph_network()) {
      for (const auto& [attribute, layer] : model.named_layers()) add(node, path, attribute, layer);
      return;
    }
    // Keras names a graph network's layers by position: layer_with_weights-K counts the layers that
    // have weights, layer-I all of them; both edges lead to the same object, and keys use the first.
    const auto layers = model.layers();
    int with_weights = 0;
    for (const auto& layer : layers)
      if (!layer->weights().empty()) add(node, path, "layer_with_weights-" + std::to_string(with_weights++), layer);
    for (size_t i = 0; i < layers.size(); ++i) add(node, path, "layer-" + std::to_string(i), layers[i]);
  }

  void add(int parent, const std::string& parent_path, const std::string& local, const std::shared_ptr<Optimizer>& opt) {
    const std::string path = join(parent_path, local);
    int node = new_node(parent, local);
    for (const auto& v : opt->hyperparameter_variables()) {
      if (v == opt->iterations()) {
        add_variable(node, path, "_iterations", v);
      } else if (v->name() == "learning_rate") {
        add_variable(node, path, "_learning_rate", v);
        slots.back().optional = true;
      } else {
        const std::string key = attribute_key(join(path, v->name()), "VARIABLE_VALUE");  // beside the graph
        slots.push_back({key, [v] { return v->value(); }, [v](const Tensor& t) { v->assign(t); }, v.get(), true});
      }
    }
    optimizers_.push_back({node, path, opt});
  }

  // The optimizer's list "_variables": item 0 is the step count, then the slots of the checkpoint's
  // trained variables in Keras's order (a slot that does not exist yet leaves its position empty).
  void add_optimizer_slots(int node, const std::string& optimizer_path, Optimizer& opt,
                           const std::vector<VariablePtr>& trained) {
    const std::string list_path = join(optimizer_path, "_variables");
    const int list = new_node(node, "_variables");
    link(list, "0", variables_.at(opt.iterations().get()).first);
    const auto order = opt.keras_slot_order(trained);
    for (size_t i = 0; i < order.size(); ++i) {
      const auto& [variable, slot_name] = order[i];
      if (!opt.has_slots(*variable)) continue;
      VariablePtr slot = opt.get_slot(*variable, slot_name);
      const std::string position = std::to_string(i + 1);
      const int slot_node = new_node(list, position);
      const std::string key = attribute_key(join(list_path, position), "VARIABLE_VALUE");
      add_attribute(slot_node, "VARIABLE_VALUE", slot->name(), key);
      slots.push_back(
          {key, [slot] { return slot->value(); }, [slot](const Tensor& t) { slot->assign(t); }, slot.get()});
      slot_keys[{variable.get(), optimizer_path, slot_name}] = key;
      listed_slot_keys[optimizer_path].resize(i + 1);
      listed_slot_keys[optimizer_path][i] = key;
    }
    // tf.keras 2.11+'s SGD has a momentum slot for every variable even without momentum, where it stays
    // zero: written so that its restore finds every variable it has, ignored when read.
    if (dynamic_cast<const SGD*>(&opt) && opt.slot_names().empty()) {
      for (size_t i = 0; i < trained.size(); ++i) {
        const std::string position = std::to_string(i + 1);
        const int slot_node = new_node(list, position);
        const std::string key = attribute_key(join(list_path, position), "VARIABLE_VALUE");
        add_attribute(slot_node, "VARIABLE_VALUE", "SGD/m/" + trained[i]->name(), key);
        VariablePtr variable = trained[i];
        slots.push_back({key, [variable] { return Tensor::zeros(variable->value().shape(), variable->value().dtype()); },
                         [](const Tensor&) {}, nullptr, true});
        listed_slot_keys[optimizer_path].push_back(key);
      }
    }
  }

  void add(int parent, const std::string& parent_path, const std::string& local, Generator* generator) {
    const std::string path = join(parent_path, local);
    int node = new_node(parent, local);
    const std::string key = attribute_key(path, "GENERATOR_STATE");
    add_attribute(node, "GENERATOR_STATE", local, key);
    slots.push_back({key, [generator] { return generator_state_tensor(*generator); },
                     [generator](const Tensor& t) { generator->set_state(generator_state_from(t)); }, nullptr, true});
  }

  void add(int parent, const std::string& parent_path, const std::string& local, BatchIterator* iterator) {
    const std::string path = join(parent_path, local);
    int node = new_node(parent, local);
    const std::string key = attribute_key(path, "ITERATOR_STATE");
    add_attribute(node, "ITERATOR_STATE", local, key);
    slots.push_back({key,
                     [iterator] {
                       auto a = iterator->state().to_array();
                       return Tensor::from_vector<int64_t>({4}, std::vector<int64_t>(a.begin(), a.end()));
                     },
                     [iterator](const Tensor& t) {
                       std::array<int64_t, 4> a;
                       std::copy_n(t.data<int64_t>(), 4, a.begin());
                       iterator->set_state(BatchIteratorState::from_array(a));
                     },
                     nullptr, true});
  }

  void add(int parent, const std::string& parent_path, const std::string& local, const std::shared_ptr<Callback>& callback) {
    const std::string path = join(parent_path, local);
    int node = new_node(parent, local);
    // Each number of the callback's state is a float64 scalar child, like a variable.
    for (const auto& [name, value] : callback->get_state()) {
      const std::string child_path = join(path, name);
      int child = new_node(node, name);
      const std::string key = attribute_key(child_path, "VARIABLE_VALUE");
      add_attribute(child, "VARIABLE_VALUE", local + "/" + name, key);
      Callback* c = callback.get();
      std::string field = name;
      slots.push_back({key, [c, field] { return Tensor::scalar(c->get_state().at(field), DType::Float64); },
                       [c, field](const Tensor& t) {
                         CallbackState state = c->get_state();
                         state[field] = t.item();
                         c->set_state(state);
                       }});
    }
  }
};

bool has_root_object(const std::vector<CheckpointItem>& items) { return !items.empty() && items.front().name.empty(); }

GraphWalker walk(const std::vector<CheckpointItem>& items, const VariablePtr& save_counter) {
  GraphWalker walker;
  for (const auto& item : items) walker.add_item(item);
  // Keras's weights files (a model as the root) have no save counter; tf.train.Checkpoint's do.
  if (!has_root_object(items)) walker.add_item(CheckpointItem("save_counter", save_counter));
  walker.add_pending_optimizers(trained_variables(items));
  return walker;
}

std::string unescape(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '.' && i + 1 < name.size()) {
      out += name[i + 1] == 'S' ? '/' : name[i + 1];
      ++i;
    } else {
      out += name[i];
    }
  }
  return out;
}

int file_child(const GraphProto& graph, int node, const std::string& local);

// The values the file holds for the variables of the object at `path` (escaped local names joined
// by '/'), found through the file's object graph: the keys of an unbuilt layer cannot be derived from
// our objects (layer_with_weights-K needs the weights), but the graph's layer-I edges lead there too.
std::map<std::string, Layer::DeferredValue> deferred_values(const BundleReader& reader, const GraphProto& graph,
                                                            const std::string& path) {
  std::map<std::string, Layer::DeferredValue> out;
  if (graph.nodes_size() == 0) return out;
  int node = 0;
  size_t begin = 0;
  while (begin <= path.size() && !path.empty()) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    const std::string local = unescape(path.substr(begin, end - begin));
    int next = -1;
    for (const auto& child : graph.nodes(node).children())
      if (child.local_name() == local) next = child.node_id();
    if (next < 0 || next >= graph.nodes_size()) return out;
    node = next;
    begin = end + 1;
  }
  // A recurrent layer's weights may be in its "cell" (tf-keras, and cairn since it writes tf-keras's graph).
  std::vector<int> owners{node};
  if (int cell = file_child(graph, node, "cell"); cell >= 0) owners.push_back(cell);
  for (int owner : owners)
    for (const auto& child : graph.nodes(owner).children()) {
      if (child.node_id() < 0 || child.node_id() >= graph.nodes_size()) continue;
      for (const auto& attribute : graph.nodes(child.node_id()).attributes())
        if (attribute.name() == "VARIABLE_VALUE" && reader.contains(attribute.checkpoint_key()))
          out[child.local_name()] = {attribute.checkpoint_key(), reader.read(attribute.checkpoint_key())};
    }
  return out;
}

// The file's object graph; empty when the file has none (a TF1 name-based checkpoint).
GraphProto read_object_graph(const BundleReader& reader) {
  GraphProto graph;
  if (reader.contains(kObjectGraphKey) && !graph.ParseFromString(reader.read_string(kObjectGraphKey)))
    throw FormatError("Checkpoint " + reader.prefix() + ": the object graph does not parse");
  return graph;
}

// The key of node's attribute `name` in the file, or "".
std::string file_key(const GraphProto& graph, int node, const std::string& name) {
  if (node < 0 || node >= graph.nodes_size()) return "";
  for (const auto& attribute : graph.nodes(node).attributes())
    if (attribute.name() == name) return attribute.checkpoint_key();
  return "";
}

int file_child(const GraphProto& graph, int node, const std::string& local) {
  if (node < 0 || node >= graph.nodes_size()) return -1;
  for (const auto& child : graph.nodes(node).children())
    if (child.local_name() == local && child.node_id() >= 0 && child.node_id() < graph.nodes_size())
      return child.node_id();
  return -1;
}

// Where the values of our keys are in a file that TensorFlow or Keras wrote in a layout of its own,
// found through the file's object graph: our key -> the file's key. The layouts:
// * tf.train.Checkpoint(model=...) restored into a model as the root: the model is the root's "model";
// * tf-keras's recurrent layers keep their weights one level deeper, in "cell";
// * Keras 3 optimizers list their learning rate in "_variables" too, after the iteration count, which
//   moves each slot one position on;
// * the legacy optimizers (TF 2.0-2.10, and cairn's files before tf.keras 2.11's layout) keep "iter",
//   "learning_rate" and the other hyperparameters as children, and their slots beside each variable;
// * Keras 3 saves a model's weights only through its optimizer, as "_trainable_variables".
class FileAliases {
 public:
  FileAliases(const GraphProto& graph, const std::vector<CheckpointItem>& items, const GraphWalker& walker)
      : graph_(graph) {
    if (graph_.nodes_size() == 0) return;
    visit(0, "", 0);
    if (has_root_object(items)) {
      if (int model = file_child(graph_, 0, "model"); model >= 0) visit(model, "", 0);
      // Keras 3's model.export() keeps the model's variables, in the model's order, as "variables". A
      // layer that draws random numbers (Dropout, LSTM) adds its seed generator's state there, which cairn's
      // layers keep in generators of their own: then the trainable and non-trainable lists fit apart.
      const auto& root = std::get<std::shared_ptr<Layer>>(items.front().object);
      add_list(list_keys(file_child(graph_, 0, "variables")), root->weights(), walker);
      add_list(list_keys(file_child(graph_, 0, "trainable_variables")), root->trainable_weights(), walker);
      add_list(list_keys(file_child(graph_, 0, "non_trainable_variables")), root->non_trainable_weights(), walker);
    }
    add_slot_variables(walker);
    for (const auto& item : items)
      if (const auto* optimizer = std::get_if<std::shared_ptr<Optimizer>>(&item.object))
        add_keras_optimizer(escape(item.name), **optimizer, trained_variables(items), walker);
  }

  // The file's key for our key, or "". Paths through a recurrent layer's "cell" are walked as the
  // layer's own (visit), so that files with and without the cell level both match.
  std::string find(const std::string& key) const {
    auto it = aliases_.find(key);
    if (it == aliases_.end()) {
      std::string collapsed = key;
      for (size_t at; (at = collapsed.find("/cell/")) != std::string::npos;) collapsed.erase(at, 5);
      it = aliases_.find(collapsed);
    }
    return it == aliases_.end() ? "" : it->second;
  }

 private:
  // Bounds the paths walked in a hostile graph (every node reachable along many paths).
  static constexpr size_t kMaxPaths = 100000;
  static constexpr int kMaxDepth = 64;

  void visit(int node, const std::string& path, int depth) {
    if (depth > kMaxDepth || paths_walked_++ > kMaxPaths) return;
    auto& paths = node_paths_[node];
    if (std::find(paths.begin(), paths.end(), path) != paths.end()) return;
    paths.push_back(path);
    path_nodes_.emplace(path, node);
    for (const auto& attribute : graph_.nodes(node).attributes())
      aliases_.emplace(attribute_key(path, attribute.name()), attribute.checkpoint_key());
    for (const auto& child : graph_.nodes(node).children()) {
      if (child.node_id() < 0 || child.node_id() >= graph_.nodes_size()) continue;
      const bool cell = child.local_name() == "cell";  // an RNN layer's weights, as the layer's own
      visit(child.node_id(), cell ? path : join(path, child.local_name()), depth + 1);
    }
  }

  // The legacy optimizers' slots, tied to their variables by node ids rather than by paths: the file's
  // slot of the variable at one of our variables' paths, for that variable's slot of the same name.
  void add_slot_variables(const GraphWalker& walker) {
    std::map<std::string, const Variable*> variable_at;
    for (const auto& [variable, key] : walker.variable_keys) variable_at.emplace(key, variable);
    for (int node = 0; node < graph_.nodes_size(); ++node)
      for (const auto& slot : graph_.nodes(node).slot_variables()) {
        const std::string key = file_key(graph_, slot.slot_variable_node_id(), "VARIABLE_VALUE");
        if (key.empty() || !node_paths_.count(node) || !node_paths_.count(slot.original_variable_node_id())) continue;
        for (const std::string& optimizer_path : node_paths_.at(node))
          for (const std::string& owner_path : node_paths_.at(slot.original_variable_node_id())) {
            auto variable = variable_at.find(attribute_key(owner_path, "VARIABLE_VALUE"));
            if (variable == variable_at.end()) continue;
            auto ours = walker.slot_keys.find({variable->second, optimizer_path, slot.slot_name()});
            if (ours != walker.slot_keys.end()) aliases_.emplace(ours->second, key);
          }
      }
  }

  // The VARIABLE_VALUE keys of a list node's children "0", "1", ...
  std::vector<std::string> list_keys(int list) const {
    std::vector<std::string> keys;
    for (int i = 0;; ++i) {
      const std::string key = file_key(graph_, file_child(graph_, list, std::to_string(i)), "VARIABLE_VALUE");
      if (key.empty()) return keys;
      keys.push_back(key);
    }
  }

  // The values of a list of variables in a file's list of the same length, by position.
  void add_list(const std::vector<std::string>& keys, const std::vector<VariablePtr>& vars, const GraphWalker& walker) {
    if (keys.size() != vars.size()) return;
    for (size_t i = 0; i < vars.size(); ++i)
      if (auto ours = walker.variable_keys.find(vars[i].get()); ours != walker.variable_keys.end())
        aliases_.emplace(ours->second, keys[i]);
  }

  void add_keras_optimizer(const std::string& path, const Optimizer& optimizer, const std::vector<VariablePtr>& vars,
                           const GraphWalker& walker) {
    auto found = path_nodes_.find(path);
    if (found == path_nodes_.end()) return;
    const int node = found->second;
    for (const auto& [ours, theirs] : {std::pair<const char*, const char*>{"_iterations", "iter"},
                                       {"_learning_rate", "learning_rate"}})
      if (std::string key = file_key(graph_, file_child(graph_, node, theirs), "VARIABLE_VALUE"); !key.empty())
        aliases_.emplace(attribute_key(join(path, ours), "VARIABLE_VALUE"), key);
    add_list(list_keys(file_child(graph_, node, "_trainable_variables")), vars, walker);
    const int list = file_child(graph_, node, "_variables");
    if (list < 0) return;
    // The slots follow the iteration count, and in Keras 3 the learning rate: they are then one position
    // further on than ours, and the file's keys at our positions are other slots.
    const int second = file_child(graph_, list, "1");
    const size_t first = second >= 0 && second == file_child(graph_, node, "_learning_rate") ? 2 : 1;
    auto ours = walker.listed_slot_keys.find(path);
    if (ours == walker.listed_slot_keys.end()) return;
    for (size_t i = 0; i < ours->second.size(); ++i) {
      if (ours->second[i].empty()) continue;
      const std::string key = file_key(graph_, file_child(graph_, list, std::to_string(first + i)), "VARIABLE_VALUE");
      if (key.empty())
        aliases_.erase(ours->second[i]);
      else
        aliases_[ours->second[i]] = key;
    }
  }

  const GraphProto& graph_;
  std::map<std::string, std::string> aliases_;
  std::map<int, std::vector<std::string>> node_paths_;
  std::map<std::string, int> path_nodes_;
  size_t paths_walked_ = 0;
};

}  // namespace

Checkpoint::Checkpoint(std::vector<CheckpointItem> items, Env& env)
    : items_(std::move(items)),
      save_counter_(std::make_shared<Variable>("save_counter", Tensor::scalar(0, DType::Int64), false)),
      env_(env) {
  std::set<std::string> names;
  for (const auto& item : items_) {
    if (item.name.empty() && std::holds_alternative<std::shared_ptr<Layer>>(item.object) && &item == &items_.front())
      continue;  // the root object
    if (item.name.empty() || item.name == "save_counter")
      throw InvalidArgument("Checkpoint: an object may not be named '" + item.name + "'");
    if (!names.insert(item.name).second) throw InvalidArgument("Checkpoint: two objects are named '" + item.name + "'");
  }
}

std::vector<std::pair<std::string, Tensor>> Checkpoint::values() const {
  GraphWalker walker = walk(items_, save_counter_);
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Slot& s : walker.slots) out.emplace_back(s.key, s.read());
  return out;
}

std::string Checkpoint::object_graph() const { return walk(items_, save_counter_).graph.SerializeAsString(); }

Checkpoint::~Checkpoint() = default;
Checkpoint::Checkpoint(Checkpoint&&) noexcept = default;

void Checkpoint::sync() {
  if (async_) async_->wait();
}

void Checkpoint::reserve_async_staging() {
  if (!async_) async_ = std::make_unique<AsyncCheckpointWriter>();
  async_->reserve(values());
}

std::string Checkpoint::write_and_commit(const std::string& path, const CheckpointOptions& options,
                                         std::function<void()> commit, std::function<void()> undo) {
  sync();
  try {
    GraphWalker walker = walk(items_, save_counter_);
    if (options.enable_async) {
      std::vector<std::pair<std::string, Tensor>> values;
      for (const Slot& s : walker.slots) values.emplace_back(s.key, s.read());
      if (!async_) async_ = std::make_unique<AsyncCheckpointWriter>();
      async_->stage(values, kObjectGraphKey, walker.graph.SerializeAsString());
      async_->start(env_, path, std::move(commit), undo);
      return path;
    }
    BundleWriter writer(env_, path);
    for (const Slot& s : walker.slots) writer.add(s.key, s.read());
    writer.add_string(kObjectGraphKey, walker.graph.SerializeAsString());
    writer.finish();
    if (commit) commit();
  } catch (...) {
    if (undo) undo();
    throw;
  }
  return path;
}

std::string Checkpoint::write(const std::string& path, const CheckpointOptions& options) {
  return write_and_commit(path, options, nullptr, nullptr);
}

std::string Checkpoint::save(const std::string& prefix, const CheckpointOptions& options) {
  sync();
  const int64_t number = static_cast<int64_t>(save_counter_->value().item()) + 1;
  save_counter_->mutable_value().data<int64_t>()[0] = number;
  const std::string path = prefix + "-" + std::to_string(number);
  Env& env = env_;
  return write_and_commit(
      path, options,
      [&env, path] {
        CheckpointState state;
        state.model_checkpoint_path = path;
        state.all_model_checkpoint_paths = {path};
        write_checkpoint_state(env, parent_dir(path), state);
      },
      // A failed save changes nothing.
      [counter = save_counter_, number] { counter->mutable_value().data<int64_t>()[0] = number - 1; });
}

RestoreStatus Checkpoint::restore(const std::string& path) {
  sync();
  BundleReader reader(env_, path);
  const GraphProto graph = read_object_graph(reader);
  // Optimizer slots are created on restore (TensorFlow defers them the same way) so that a fresh
  // optimizer can take the saved ones; creating zero slots does not change training.
  for (const auto& item : items_)
    if (const auto* opt = std::get_if<std::shared_ptr<Optimizer>>(&item.object)) {
      std::vector<VariablePtr> vars;
      for (const auto& other : items_)
        if (const auto* layer = std::get_if<std::shared_ptr<Layer>>(&other.object))
          for (const auto& v : (*layer)->trainable_weights()) vars.push_back(v);
      // Slots keyed under their variables (legacy optimizers), or listed by the optimizer (Keras 2.11+).
      const std::string slot_marker = "/.OPTIMIZER_SLOT/" + escape(item.name) + "/";
      bool file_has_slots = file_child(graph, file_child(graph, 0, item.name), "_variables") >= 0;
      for (const auto& key : reader.keys()) file_has_slots |= key.find(slot_marker) != std::string::npos;
      if (file_has_slots && !vars.empty()) (*opt)->build(vars);
    }

  GraphWalker walker = walk(items_, save_counter_);
  RestoreStatus status;
  status.path_ = path;
  struct Planned {
    const Slot* slot;
    std::string key;  // the file's key for the slot's value
    Tensor value;     // the value of a slot that is not a variable's
  };
  std::vector<Planned> planned;
  std::set<std::string> used;
  // Values are found through the file's object graph, where it has one: the same key can name another
  // value in another layout (Keras 3's _variables/N is our _variables/N-1). cairn's own state, beside
  // the graph, and the values of a file without a graph (TF1's name-based checkpoints) by their keys.
  const FileAliases aliases(graph, items_, walker);
  for (const Slot& s : walker.slots) {
    std::string key = aliases.find(s.key);
    if (key.empty()) key = s.key;
    if (!reader.contains(key)) {
      if (!s.optional) status.missing_keys_.push_back(s.key);
      continue;
    }
    used.insert(key);
    const BundleEntryInfo& info = reader.info(key);
    Tensor current = s.read();
    if (!info.dtype || *info.dtype != current.dtype())
      throw FormatError("Checkpoint " + path + ": key '" + key + "' holds tf dtype " + std::to_string(info.tf_dtype) +
                        " but the object is " + std::string(dtype_name(current.dtype())));
    if (info.shape != current.shape())
      throw ShapeError("Checkpoint " + path + ": key '" + key + "' has shape " + shape_str(info.shape) +
                       " in the checkpoint but " + shape_str(current.shape()) + " in the model");
    planned.push_back({&s, key, Tensor()});
  }
  // Verify, then read in place: every value is read and verified before any is assigned, so that a
  // restore is all or nothing; variables' values only through a small buffer, and then again, checked
  // once more, straight into the variables. Memory: the state and 256 KB, where a staging copy of
  // every value would double it (and on this project's VMs, faulting in fresh pages costs more than the
  // copy: docs/performance.md). The second read sees the same bytes unless the file is rewritten in
  // place meanwhile (cairn never does: its writers replace files by renaming).
  for (Planned& p : planned) {
    if (p.slot->variable) {
      reader.verify(p.key);
    } else {
      p.value = reader.read(p.key);
    }
  }
  std::vector<std::pair<Layer*, std::map<std::string, Layer::DeferredValue>>> deferred;
  if (!walker.unbuilt.empty()) {
    for (const auto& [path, layer] : walker.unbuilt) deferred.emplace_back(layer, deferred_values(reader, graph, path));
  }
  {
    autodiff::NoGradGuard no_grad;
    for (Planned& p : planned) {
      if (p.slot->variable) {
        Tensor& value = p.slot->variable->mutable_value();  // dtype and shape were checked above
        try {
          reader.read_into(p.key, value.raw_data(), value.nbytes());
        } catch (const FormatError& e) {
          throw FormatError("Checkpoint " + path + " changed while it was restored, after every value was verified; "
                            "the objects may hold part of it: " + e.what());
        } catch (const IOError& e) {
          throw IOError("Checkpoint " + path + ": reading it again after every value was verified failed; the objects "
                        "may hold part of it: " + e.what());
        }
      } else {
        p.slot->assign(p.value);
      }
    }
  }
  for (const auto& [layer, values] : deferred)
    for (const auto& [name, value] : values) used.insert(value.key);
  for (const auto& key : reader.keys())
    if (!used.count(key) && key != kObjectGraphKey) status.unused_keys_.push_back(key);
  // Last, so that a failed restore leaves even the unbuilt layers without pending values.
  for (auto& [layer, values] : deferred) layer->defer_restore(std::move(values));
  return status;
}

namespace {
std::string list(const std::vector<std::string>& keys) {
  std::string s;
  for (size_t i = 0; i < keys.size() && i < 10; ++i) s += "\n  " + keys[i];
  if (keys.size() > 10) s += "\n  ... and " + std::to_string(keys.size() - 10) + " more";
  return s;
}
}  // namespace

const RestoreStatus& RestoreStatus::assert_consumed() const {
  if (!unused_keys_.empty())
    throw InvalidArgument("Unresolved object in checkpoint " + path_ + ": values with no matching object:" + list(unused_keys_));
  return assert_existing_objects_matched();
}

const RestoreStatus& RestoreStatus::assert_existing_objects_matched() const {
  if (!missing_keys_.empty())
    throw InvalidArgument("Checkpoint " + path_ + " has no value for these objects:" + list(missing_keys_));
  return *this;
}

}  // namespace cairn
