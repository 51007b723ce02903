// Sequential and functional model configs in Keras 2's layout, read back from Keras 2 and Keras 3.
#include <functional>
#include <map>
#include <new>
#include <set>

#include "cairn/allocation_budget.h"
#include "cairn/error.h"
#include "cairn/internal/config/config_reader.h"
#include "cairn/layers/bidirectional.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/masking.h"
#include "operation_config.h"

namespace cairn {

using config_detail::ConfigReader;
using config_detail::describe;
using config_detail::quote_name;
using config_detail::shape_config;
using config_detail::shape_from_config;
using config_detail::show;

namespace {

// Keras numbers a layer's calls from 0, but a Sequential or functional model used as a layer has
// already been called once on its own inputs, so its calls in an enclosing model count from 1.
int first_node_index(const Layer& layer) {
  const Model* model = dynamic_cast<const Model*>(&layer);
  return model && model->is_graph_network() && model->built() ? 1 : 0;
}

Json input_layer_config(const Shape& shape, const std::string& name) {
  return {{"batch_input_shape", shape_config(shape)},
          {"dtype", "float32"},
          {"sparse", false},
          {"ragged", false},
          {"name", name}};
}

// ---------------------------------------------------------------- writing

Json sequential_config(const Sequential& model) {
  Json layers = Json::array();
  const std::vector<LayerPtr> children = model.layers();
  if (model.built()) {
    // Keras names the input of a Sequential built from its first layer's input_shape this way.
    const std::string input_name = (children.empty() ? model.name() : children[0]->name()) + "_input";
    layers.push_back({{"class_name", "InputLayer"}, {"config", input_layer_config(model.built_input_shape(), input_name)}});
  }
  for (const LayerPtr& layer : children) layers.push_back(layer_config(*layer));
  Json config = {{"name", model.name()}, {"layers", layers}};
  if (!model.trainable()) config["trainable"] = false;
  return {{"class_name", "Sequential"}, {"config", config}};
}

Json functional_config(const Functional& model) {
  std::set<const SymbolicNode*> input_nodes;
  for (const SymbolicTensor& input : model.inputs()) input_nodes.insert(input.node().get());
  // The layer calls in the order the model runs them (depth-first post-order from the outputs).
  std::vector<const SymbolicNode*> calls;
  std::set<const SymbolicNode*> visited;
  std::function<void(const SymbolicNode*)> visit = [&](const SymbolicNode* node) {
    if (!visited.insert(node).second || input_nodes.count(node)) return;
    for (const SymbolicTensor& in : node->inputs) visit(in.node().get());
    calls.push_back(node);
  };
  for (const SymbolicTensor& output : model.outputs()) visit(output.node().get());

  std::vector<const Layer*> layer_order;
  std::map<const Layer*, std::vector<const SymbolicNode*>> calls_of;
  std::map<const SymbolicNode*, int> node_index;
  for (const SymbolicNode* call : calls) {
    auto& of_layer = calls_of[call->layer.get()];
    if (of_layer.empty()) layer_order.push_back(call->layer.get());
    node_index[call] = first_node_index(*call->layer) + static_cast<int>(of_layer.size());
    of_layer.push_back(call);
  }

  // Configs refer to layers by name, so two layers of one name would be ambiguous.
  std::map<std::string, const void*> owners;
  auto claim = [&](const std::string& name, const void* owner) {
    auto [it, inserted] = owners.emplace(name, owner);
    if (!inserted && it->second != owner)
      throw InvalidArgument("model '" + model.name() + "' has two layers named '" + name +
                            "'; a config needs unique layer names");
  };
  for (const SymbolicTensor& input : model.inputs()) claim(input.node()->name, input.node().get());
  for (const Layer* layer : layer_order) claim(layer->name(), layer);

  auto reference = [&](const SymbolicTensor& t) {
    const SymbolicNode* node = t.node().get();
    const bool is_input = input_nodes.count(node) != 0;
    return Json::array({is_input ? node->name : node->layer->name(), is_input ? 0 : node_index.at(node),
                        static_cast<int64_t>(t.output_index())});
  };

  Json layers = Json::array();
  for (const SymbolicTensor& input : model.inputs())
    layers.push_back({{"class_name", "InputLayer"},
                      {"config", input_layer_config(input.shape(), input.node()->name)},
                      {"name", input.node()->name},
                      {"inbound_nodes", Json::array()}});
  for (const Layer* layer : layer_order) {
    if (const auto* op = dynamic_cast<const Operation*>(layer)) {  // Keras 3's form: constants among the args
      std::vector<config_detail::OperationCall> op_calls;
      for (const SymbolicNode* call : calls_of[layer]) {
        config_detail::OperationCall& c = op_calls.emplace_back();
        for (const SymbolicTensor& in : call->inputs) {
          c.references.push_back(reference(in));
          c.shapes.push_back(in.shape());
        }
      }
      layers.push_back(config_detail::operation_entry(*op, op_calls));
      continue;
    }
    Json inbound_nodes = Json::array();
    for (const SymbolicNode* call : calls_of[layer]) {
      Json node = Json::array();
      if (layer->takes_inputs_as_arguments() && call->inputs.size() > 1) {
        // tf-keras's form of mha(query, value, key): the first input, the others as call arguments.
        Json arguments = {{"value", reference(call->inputs[1])}};
        if (call->inputs.size() > 2) arguments["key"] = reference(call->inputs[2]);
        Json ref = reference(call->inputs[0]);
        ref.push_back(arguments);
        node.push_back(ref);
      } else {
        for (const SymbolicTensor& in : call->inputs) {
          Json ref = reference(in);
          ref.push_back(Json::object());  // the call's keyword arguments: none
          node.push_back(ref);
        }
      }
      inbound_nodes.push_back(node);
    }
    Json entry = layer_config(*layer);
    entry["name"] = layer->name();
    entry["inbound_nodes"] = inbound_nodes;
    layers.push_back(entry);
  }
  Json input_layers = Json::array();
  for (const SymbolicTensor& input : model.inputs()) input_layers.push_back(reference(input));
  Json output_layers = Json::array();
  for (const SymbolicTensor& output : model.outputs()) output_layers.push_back(reference(output));
  Json config = {{"name", model.name()},
                 {"layers", layers},
                 {"input_layers", input_layers},
                 {"output_layers", output_layers}};
  if (!model.trainable()) config["trainable"] = false;
  return {{"class_name", "Functional"}, {"config", config}};
}

// ---------------------------------------------------------------- reading

// Keras's errors from building a model become FormatErrors about the config.
template <class F>
auto as_format_error(const std::string& context, F&& make) {
  try {
    return make();
  } catch (const FormatError&) {
    throw;
  } catch (const Error& e) {
    throw FormatError(context + ": " + config_detail::clip_message(e.what()));
  }
}

// One element of a model's "layers" list.
struct Entry {
  std::string module;  // Keras 3's: "keras.layers", "keras.src.ops.numpy" (an operation)
  std::string class_name;
  const Json* config = nullptr;
  std::string name;                    // the entry's "name", else its config's
  const Json* inbound_nodes = nullptr;  // functional models only
};

Entry read_entry(const Json& json, const std::string& context, bool functional) {
  ConfigReader r(json, context);
  Entry entry;
  entry.module = r.has("module") && json["module"].is_string() ? r.string("module") : "";
  entry.class_name = r.string("class_name");
  entry.config = &r.take_required("config");
  entry.name = r.string("name", config_detail::string_at(*entry.config, "name"));
  if (functional) entry.inbound_nodes = &r.take_required("inbound_nodes");
  // A model used as a layer carries its own compile_config (Keras 3), which says nothing about the call.
  for (const char* key : {"module", "registered_name", "build_config", "compile_config"}) r.ignore(key);
  r.finish();
  return entry;
}

// An InputLayer's full shape (batch dimension -1).
Shape read_input_layer(const Json& config, const std::string& entry_name) {
  const std::string context = describe("InputLayer", entry_name);
  ConfigReader r(config, context);
  r.take("name");
  const Json* shape = r.take("batch_input_shape");
  if (const Json* keras3 = r.take("batch_shape"); !shape) shape = keras3;
  if (!shape || shape->is_null()) r.fail("batch_input_shape (Keras 3: batch_shape) is missing");
  Shape full = shape_from_config(*shape, context, "batch_input_shape");
  if (full.empty()) r.fail("batch_input_shape " + show(*shape) + " has no batch dimension");
  if (full[0] >= 0)
    r.unsupported("batch_input_shape", *shape, "a fixed batch size; cairn's models take batches of any size");
  // The inputs of Embedding layers are integers in Keras; cairn's layers take either.
  if (const Json* dtype = r.take("dtype"); dtype && !config_detail::is_float32_dtype(*dtype) && *dtype != "int32" &&
                                           *dtype != "int64")
    r.unsupported("dtype", *dtype, "cairn's inputs are float32, int32 or int64");
  r.require("sparse", {false}, "cairn has no sparse inputs");
  r.require("ragged", {false}, "cairn has no ragged inputs");
  r.require("optional", {false}, "cairn's model inputs are all required");
  r.finish();
  return full;
}

Shape without_batch(const Shape& full) { return Shape(full.begin() + 1, full.end()); }

std::shared_ptr<Model> read_sequential(const Json& config) {
  const Json* layers = &config;  // Keras 2.0 and 2.1: the config is the list of layers
  std::string name;
  bool trainable = true;
  std::optional<Shape> build_input_shape;
  if (!config.is_array()) {
    ConfigReader r(config, "Sequential");
    name = r.string("name", "");
    layers = &r.take_required("layers");
    trainable = r.boolean("trainable", true);
    if (const Json* dtype = r.take("dtype"); dtype && !config_detail::is_float32_dtype(*dtype))
      r.unsupported("dtype", *dtype, "cairn's models compute in float32");
    // Keras 2's Sequential built by model.build(shape) (any batch size is accepted then).
    if (const Json* shape = r.take("build_input_shape"); shape && !shape->is_null())
      build_input_shape = shape_from_config(*shape, "Sequential", "build_input_shape");
    r.finish();
  }
  const std::string context = describe("Sequential", name);
  if (!layers->is_array()) throw FormatError(context + ": layers must be a list, got " + show(*layers));

  std::vector<LayerPtr> stack;
  std::optional<Shape> input_shape;
  for (size_t i = 0; i < layers->size(); ++i) {
    Entry entry = read_entry((*layers)[i], context + ": layers[" + std::to_string(i) + "]", false);
    if (entry.class_name == "InputLayer") {
      if (i != 0) throw FormatError(context + ": an InputLayer can only be the first layer, found at layers[" +
                                    std::to_string(i) + "]");
      input_shape = read_input_layer(*entry.config, entry.name);
      continue;
    }
    config_detail::ReadLayer read = config_detail::read_layer(entry.class_name, *entry.config);
    // Without an InputLayer, Keras 2 takes the model's input shape from its first layer.
    if (stack.empty() && !input_shape && read.batch_input_shape) {
      if (read.batch_input_shape->empty() || (*read.batch_input_shape)[0] >= 0)
        throw FormatError(describe(entry.class_name, read.layer->name()) + ": batch_input_shape = " +
                          show(shape_config(*read.batch_input_shape)) +
                          " is not supported (a fixed batch size; cairn's models take batches of any size)");
      input_shape = read.batch_input_shape;
    }
    stack.push_back(read.layer);
  }
  if (!input_shape && build_input_shape && !build_input_shape->empty()) input_shape = build_input_shape;
  auto model = as_format_error(context, [&] {
    return std::make_shared<Sequential>(stack, input_shape ? std::optional<Shape>(without_batch(*input_shape)) : std::nullopt,
                                        name);
  });
  if (!trainable) model->set_trainable(false);
  return model;
}

}  // namespace

bool config_detail::takes_initial_state(const Layer& layer) {
  return dynamic_cast<const Recurrent*>(&layer) || dynamic_cast<const Bidirectional*>(&layer);
}

bool config_detail::is_keras_mask_operation(const std::string& class_name) {
  return class_name == "NotEqual" || class_name == "Any";
}

namespace {

// Which output of which call of which layer a tensor is: Keras's (layer name, node index, tensor index).
struct TensorRef {
  std::string layer;
  int64_t node = 0;
  int64_t tensor = 0;  // the output of a layer with several (LSTM(return_state=True): 1 is h)
};

// [name, node_index, tensor_index] (+ Keras 2's call kwargs).
TensorRef read_history(const Json& history, const std::string& context) {
  if (!history.is_array() || history.size() < 3 || history.size() > 4 || !history[0].is_string() ||
      !history[1].is_number_integer() || !history[2].is_number_integer() || history[1].get<int64_t>() < 0 ||
      history[2].get<int64_t>() < 0)
    throw FormatError(context + ": expected [layer_name, node_index, tensor_index], got " + show(history));
  if (history.size() == 4) {
    if (!history[3].is_object()) throw FormatError(context + ": the call arguments must be an object, got " + show(history[3]));
    for (const auto& [key, value] : history[3].items())
      // tf-keras records base(x, training=False), the transfer-learning call, which gives what cairn's
      // inference gives; training=True (a Dropout kept on at inference) does not.
      if (!value.is_null() && !(key == "training" && value == false))
        throw FormatError(context + ": the call argument " + config_detail::clipped(key) + " = " + show(value) +
                          " is not supported (cairn calls layers with their inputs only)");
  }
  return {history[0].get<std::string>(), history[1].get<int64_t>(), history[2].get<int64_t>()};
}

// A recurrent layer's initial_state call argument: one tensor or a list of them, each read by `read_one`.
template <class ReadOne>
std::vector<TensorRef> read_initial_state(const Json& value, const std::string& context, ReadOne read_one) {
  const bool one = !value.is_array() || (!value.empty() && value[0].is_string());  // Keras 2's [name, node, tensor]
  std::vector<TensorRef> states;
  if (one) states.push_back(read_one(value));
  else
    for (const Json& state : value) states.push_back(read_one(state));
  if (states.empty()) throw FormatError(context + ": initial_state is an empty list");
  return states;
}

// Keras 3: {"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history": [...]}}.
TensorRef read_keras_tensor(const Json& tensor, const std::string& context) {
  if (config_detail::string_at(tensor, "class_name") != "__keras_tensor__" || !tensor.contains("config") ||
      !tensor["config"].is_object() || !tensor["config"].contains("keras_history"))
    throw FormatError(context + ": a call argument that is not a Keras tensor is not supported, got " + show(tensor));
  return read_history(tensor["config"]["keras_history"], context);
}

// A layer's inbound_nodes: for each call, the tensors it takes.
// `call_masks` (Keras 3) gets, for each call, the layer whose output is its mask argument ("" for none).
std::vector<std::vector<TensorRef>> read_inbound_nodes(const Json& nodes, const std::string& context,
                                                      std::vector<std::string>* call_masks = nullptr) {
  if (!nodes.is_array()) throw FormatError(context + ": inbound_nodes must be a list, got " + show(nodes));
  std::vector<std::vector<TensorRef>> calls;
  for (const Json& node : nodes) {
    std::vector<TensorRef> inputs;
    std::string mask_source;
    if (node.is_array()) {  // Keras 2: [[name, node, tensor, kwargs], ...]
      for (const Json& history : node) {
        // tf-keras passes MultiHeadAttention's value and key tensors as call arguments: the inputs after it,
        // as a recurrent layer's initial_state (the states after the sequence).
        std::vector<TensorRef> arguments;
        Json own = history;
        if (own.is_array() && own.size() == 4 && own[3].is_object()) {
          for (const char* key : {"value", "key"})
            if (own[3].contains(key) && own[3][key].is_array()) {
              arguments.push_back(read_history(own[3][key], context));
              own[3].erase(key);
            }
          if (own[3].contains("initial_state") && !own[3]["initial_state"].is_null()) {
            for (const TensorRef& state : read_initial_state(own[3]["initial_state"], context,
                                                             [&](const Json& h) { return read_history(h, context); }))
              arguments.push_back(state);
            own[3].erase("initial_state");
          }
        }
        inputs.push_back(read_history(own, context));
        inputs.insert(inputs.end(), arguments.begin(), arguments.end());
      }
    } else if (node.is_object()) {  // Keras 3: {"args": [x or [x, y]], "kwargs": {}}
      ConfigReader r(node, context + ": inbound node");
      const Json& args = r.take_required("args");
      if (!args.is_array() || args.empty())
        r.fail("args must hold the input arguments (a tensor or a list of tensors), got " + show(args));
      const Json& first = args[0];
      if (first.is_array() && args.size() == 1) {
        for (const Json& tensor : first) inputs.push_back(read_keras_tensor(tensor, context));
      } else {
        // One tensor, or several positional ones (MultiHeadAttention's query, value, key): the layer's inputs in order.
        for (const Json& tensor : args) inputs.push_back(read_keras_tensor(tensor, context));
      }
      if (const Json* kwargs = r.take("kwargs"); kwargs && !kwargs->is_null()) {
        if (!kwargs->is_object()) r.fail("kwargs must be an object, got " + show(*kwargs));
        for (const auto& [key, value] : kwargs->items()) {
          // Keras 3 records the mask a layer was called with (cairn's models carry masks themselves) and
          // training = false for the layers whose call it fixed (what cairn's inference runs); training =
          // true (a Dropout kept on at inference) is refused, as in tf-keras's form.
          if (key == "mask" && call_masks && value.is_object()) {
            mask_source = read_keras_tensor(value, context).layer;
          } else if (key == "initial_state" && !value.is_null()) {
            // A recurrent layer's initial states: cairn's layer takes them as inputs after the sequence.
            for (const TensorRef& state : read_initial_state(value, context,
                                                             [&](const Json& t) { return read_keras_tensor(t, context); }))
              inputs.push_back(state);
          } else if (!value.is_null() && !(key == "training" && value == false)) {
            r.fail("the call argument " + config_detail::clipped(key) + " = " + show(value) +
                   " is not supported (cairn calls layers with their inputs only)");
          }
        }
      }
      r.finish();
    } else {
      throw FormatError(context + ": an inbound node must be a list or an object, got " + show(node));
    }
    if (inputs.empty()) throw FormatError(context + ": an inbound node without inputs");
    calls.push_back(std::move(inputs));
    if (call_masks) call_masks->push_back(std::move(mask_source));
  }
  return calls;
}

// The mask a tensor carries, by how it is computed: ids != value (Embedding(mask_zero=True), value 0) or,
// with any_over_features, any(x != value, axis=-1) (Masking(mask_value)).
struct MaskOrigin {
  bool any_over_features = false;
  TensorRef of;
  double value = 0;
  bool operator==(const MaskOrigin& o) const {
    return any_over_features == o.any_over_features && of.layer == o.of.layer && of.node == o.of.node && value == o.value;
  }
};

// The single call of a Keras 3 mask operation: its positional arguments; null if it is not that.
const Json* single_call_args(const Json& inbound_nodes) {
  if (!inbound_nodes.is_array() || inbound_nodes.size() != 1 || !inbound_nodes[0].is_object()) return nullptr;
  const Json& node = inbound_nodes[0];
  if (!node.contains("args") || !node["args"].is_array()) return nullptr;
  return &node["args"];
}

// NotEqual(x, value) as Keras 3 writes it: x and the value; nullopt for any other form.
std::optional<std::pair<TensorRef, double>> read_not_equal(const Json& inbound_nodes, const std::string& context) {
  const Json* args = single_call_args(inbound_nodes);
  if (!args || args->size() != 2 || !(*args)[0].is_object() || !(*args)[1].is_number()) return std::nullopt;
  return std::make_pair(read_keras_tensor((*args)[0], context), (*args)[1].get<double>());
}

// input_layers / output_layers: a list of [name, node, tensor], or (Keras 3, one tensor) the triple itself.
std::vector<TensorRef> read_tensor_list(const Json& value, const std::string& context) {
  if (value.is_array() && value.size() == 3 && value[0].is_string()) return {read_history(value, context)};
  if (!value.is_array()) throw FormatError(context + ": expected a list of [layer_name, node_index, tensor_index], got " + show(value));
  std::vector<TensorRef> refs;
  for (const Json& history : value) refs.push_back(read_history(history, context));
  return refs;
}

std::shared_ptr<Model> read_functional(const Json& config) {
  ConfigReader r(config, "Functional");
  const std::string name = r.string("name", "");
  const std::string context = describe("Functional", name);
  const Json& layers = r.take_required("layers");
  const Json& input_layers = r.take_required("input_layers");
  const Json& output_layers = r.take_required("output_layers");
  const bool trainable = r.boolean("trainable", true);
  r.finish();
  if (!layers.is_array()) throw FormatError(context + ": layers must be a list, got " + show(layers));

  struct PendingLayer {
    std::string name;
    LayerPtr layer;
    std::vector<std::vector<TensorRef>> calls;
    std::vector<std::string> call_masks;  // per call: the mask operation passed as its mask argument, or ""
    size_t done = 0;
  };
  std::vector<PendingLayer> pending;
  std::map<std::string, std::vector<std::vector<SymbolicTensor>>> outputs;  // by layer name: each call's outputs
  std::map<std::string, int> first_index;
  std::set<std::string> input_names;
  // Keras 3 writes the operations that compute masks (Embedding's ids != 0, Masking's any(x != value))
  // as layers of their own, whose outputs reach layers only as their mask argument. cairn's models
  // compute the same masks as they run (Layer::compute_mask), so these layers are not made; a layer's
  // mask argument is dropped only where cairn's own mask for its input is that same mask.
  std::map<std::string, const Entry*> mask_layers;
  std::vector<Entry> entries;
  entries.reserve(layers.size());
  // Keras 2 counts a nested model's build on its own inputs as its node 0 (first_node_index); Keras 3,
  // whose configs write calls as {"args": ..., "kwargs": ...}, does not: its nodes start at 0.
  bool keras3_calls = false;
  for (const Json& layer : layers)
    if (layer.is_object() && layer.contains("inbound_nodes") && layer["inbound_nodes"].is_array())
      for (const Json& node : layer["inbound_nodes"]) keras3_calls |= node.is_object();
  for (size_t i = 0; i < layers.size(); ++i) {
    entries.push_back(read_entry(layers[i], context + ": layers[" + std::to_string(i) + "]", true));
    const Entry& entry = entries.back();
    if (entry.name.empty()) throw FormatError(context + ": layers[" + std::to_string(i) + "] has no name");
    if (outputs.count(entry.name)) throw FormatError(context + ": two layers are named " + quote_name(entry.name));
    if (entry.class_name == "InputLayer") {
      if (!entry.inbound_nodes->is_array() || !entry.inbound_nodes->empty())
        throw FormatError(context + ": InputLayer " + quote_name(entry.name) + " must have no inbound nodes");
      const Shape shape = read_input_layer(*entry.config, entry.name);
      outputs[entry.name] = {std::vector<SymbolicTensor>{Input(without_batch(shape), entry.name)}};
      first_index[entry.name] = 0;
      input_names.insert(entry.name);
      continue;
    }
    if (config_detail::is_keras_mask_operation(entry.class_name)) {
      mask_layers[entry.name] = &entry;
      continue;
    }
    if (config_detail::is_operation_entry(entry.module, entry.class_name)) {  // keras.ops.*, tf-keras's TFOpLambda
      const std::string where = context + ": layer " + quote_name(entry.name);
      config_detail::ReadOperation op = config_detail::read_operation(entry.module, entry.class_name, entry.name,
                                                                      *entry.config, *entry.inbound_nodes, where);
      outputs[entry.name] = {};
      first_index[entry.name] = 0;
      PendingLayer p{entry.name, op.layer, {}, {}};
      for (const std::vector<Json>& call : op.calls) {
        std::vector<TensorRef> refs;
        for (const Json& history : call) refs.push_back(read_history(history, where));
        p.calls.push_back(std::move(refs));
      }
      pending.push_back(std::move(p));
      continue;
    }
    config_detail::ReadLayer read = config_detail::read_layer(entry.class_name, *entry.config);
    outputs[entry.name] = {};
    first_index[entry.name] = keras3_calls ? 0 : first_node_index(*read.layer);
    PendingLayer p{entry.name, read.layer, {}, {}};
    p.calls = read_inbound_nodes(*entry.inbound_nodes, context + ": layer " + quote_name(entry.name), &p.call_masks);
    pending.push_back(std::move(p));
  }

  // The mask a mask operation computes, if it is one cairn's layers compute: ids != v or any(x != v, axis=-1).
  auto operation_mask = [&](const std::string& name) -> std::optional<MaskOrigin> {
    const Entry& op = *mask_layers.at(name);
    const std::string where = context + ": layer " + quote_name(name);
    if (op.class_name == "NotEqual") {
      auto not_equal = read_not_equal(*op.inbound_nodes, where);
      if (!not_equal) return std::nullopt;
      return MaskOrigin{false, not_equal->first, not_equal->second};
    }
    const Json* args = single_call_args(*op.inbound_nodes);
    const bool last_axis = op.config->is_object() && op.config->value("axis", Json()) == Json(-1) &&
                           !op.config->value("keepdims", false);
    if (!args || args->size() != 1 || !(*args)[0].is_object() || !last_axis) return std::nullopt;
    const TensorRef compared = read_keras_tensor((*args)[0], where);
    auto it = mask_layers.find(compared.layer);
    if (it == mask_layers.end() || it->second->class_name != "NotEqual") return std::nullopt;
    auto not_equal = read_not_equal(*it->second->inbound_nodes, context + ": layer " + quote_name(compared.layer));
    if (!not_equal) return std::nullopt;
    return MaskOrigin{true, not_equal->first, not_equal->second};
  };
  // The mask cairn hands along with `ref` as the model runs: made by Embedding(mask_zero)/Masking and
  // passed on by the single-input layers that support masking (Functional::run).
  std::map<std::string, const PendingLayer*> pending_by_name;
  for (const PendingLayer& p : pending) pending_by_name[p.name] = &p;
  auto carried_mask = [&](TensorRef ref) -> std::optional<MaskOrigin> {
    for (size_t step = 0; step <= pending.size(); ++step) {  // bounded: a malformed config may be cyclic
      auto it = pending_by_name.find(ref.layer);
      if (it == pending_by_name.end()) return std::nullopt;  // an InputLayer
      const PendingLayer& p = *it->second;
      const int64_t position = ref.node - first_index[p.name];
      if (position < 0 || position >= static_cast<int64_t>(p.calls.size())) return std::nullopt;
      const std::vector<TensorRef>& call = p.calls[static_cast<size_t>(position)];
      if (ref.tensor != 0) return std::nullopt;  // a recurrent layer's final states carry no mask
      if (call.size() != 1 && !config_detail::takes_initial_state(*p.layer)) return std::nullopt;
      if (const auto* embedding = dynamic_cast<const Embedding*>(p.layer.get()))
        return embedding->options().mask_zero ? std::optional<MaskOrigin>(MaskOrigin{false, call[0], 0.0}) : std::nullopt;
      if (const auto* masking = dynamic_cast<const Masking*>(p.layer.get()))
        return MaskOrigin{true, call[0], masking->mask_value()};
      if (!p.layer->supports_masking()) return std::nullopt;
      ref = call[0];
    }
    return std::nullopt;
  };
  for (const PendingLayer& p : pending)
    for (size_t c = 0; c < p.call_masks.size(); ++c) {
      const std::string& source = p.call_masks[c];
      if (source.empty()) continue;
      if (!mask_layers.count(source))
        throw FormatError(context + ": the mask argument of layer " + quote_name(p.name) + " comes from " + quote_name(source) +
                          ", which is not one of Keras's mask operations (NotEqual, Any): cairn computes masks itself");
      const std::optional<MaskOrigin> passed = operation_mask(source);
      const bool one_sequence = p.calls[c].size() == 1 || config_detail::takes_initial_state(*p.layer);
      const std::optional<MaskOrigin> carried = one_sequence ? carried_mask(p.calls[c][0]) : std::nullopt;
      if (!passed || !carried || !(*passed == *carried))
        throw FormatError(context + ": layer " + quote_name(p.name) + " is called with an explicit mask (the output of " +
                          quote_name(source) + "), which is not supported: cairn gives a layer only the mask that "
                          "Embedding(mask_zero=True) or Masking computes for its input, and this input carries " +
                          (carried ? "another one" : "none"));
    }

  // The output of `ref` once its layer call has been made; FormatError if it can never be.
  auto resolve = [&](const TensorRef& ref, const std::string& user) -> std::optional<SymbolicTensor> {
    if (mask_layers.count(ref.layer))
      throw FormatError(context + ": " + user + " takes the output of " + quote_name(ref.layer) +
                        ", a mask operation, as an input: cairn runs those only as masks");
    auto it = outputs.find(ref.layer);
    if (it == outputs.end())
      throw FormatError(context + ": " + user + " takes the output of " + quote_name(ref.layer) +
                        ", which is not a layer of the config");
    const int64_t position = ref.node - first_index[ref.layer];
    if (position < 0)
      throw FormatError(context + ": " + user + " takes node " + std::to_string(ref.node) + " of " + quote_name(ref.layer) +
                        ", whose nodes start at " + std::to_string(first_index[ref.layer]));
    if (position >= static_cast<int64_t>(it->second.size())) return std::nullopt;
    const std::vector<SymbolicTensor>& call_outputs = it->second[static_cast<size_t>(position)];
    if (ref.tensor >= static_cast<int64_t>(call_outputs.size()))
      throw FormatError(context + ": " + user + " takes tensor_index " + std::to_string(ref.tensor) + " of node " +
                        std::to_string(ref.node) + " of " + quote_name(ref.layer) + ", which has " +
                        std::to_string(call_outputs.size()) + " output" + (call_outputs.size() == 1 ? "" : "s"));
    return call_outputs[static_cast<size_t>(ref.tensor)];
  };

  // Make the calls in dependency order: a shared layer's later calls may need outputs of layers listed
  // after it, so sweep until every call is made (Keras does the same).
  for (bool progress = true; progress;) {
    progress = false;
    for (PendingLayer& p : pending) {
      while (p.done < p.calls.size()) {
        std::vector<SymbolicTensor> args;
        for (const TensorRef& ref : p.calls[p.done]) {
          std::optional<SymbolicTensor> t = resolve(ref, "layer " + quote_name(p.name));
          if (!t) break;
          args.push_back(*t);
        }
        if (args.size() < p.calls[p.done].size()) break;
        std::vector<SymbolicTensor> call_outputs =
            as_format_error(context + ": layer " + quote_name(p.name), [&] { return p.layer->call_all_outputs(args); });
        outputs[p.name].push_back(std::move(call_outputs));
        ++p.done;
        progress = true;
      }
    }
  }
  for (const PendingLayer& p : pending)
    if (p.done < p.calls.size())
      for (const TensorRef& ref : p.calls[p.done])
        if (!resolve(ref, "layer " + quote_name(p.name)))
          throw FormatError(context + ": call " + std::to_string(p.done) + " of layer " + quote_name(p.name) + " takes node " +
                            std::to_string(ref.node) + " of " + quote_name(ref.layer) + ", which the config never makes");

  std::vector<SymbolicTensor> inputs;
  for (const TensorRef& ref : read_tensor_list(input_layers, context + ": input_layers")) {
    if (!input_names.count(ref.layer))
      throw FormatError(context + ": input_layers names " + quote_name(ref.layer) + ", which is not an InputLayer");
    std::optional<SymbolicTensor> input = resolve(ref, "input_layers");
    if (!input)
      throw FormatError(context + ": input_layers takes node " + std::to_string(ref.node) + " of " +
                        quote_name(ref.layer) + ", which the config never makes");
    inputs.push_back(*input);
  }
  std::vector<SymbolicTensor> model_outputs;
  for (const TensorRef& ref : read_tensor_list(output_layers, context + ": output_layers")) {
    std::optional<SymbolicTensor> output = resolve(ref, "output_layers");
    if (!output)
      throw FormatError(context + ": output_layers takes node " + std::to_string(ref.node) + " of " +
                        quote_name(ref.layer) + ", which the config never makes");
    model_outputs.push_back(*output);
  }
  if (model_outputs.empty()) throw FormatError(context + ": output_layers is empty");
  auto model = as_format_error(context, [&] { return std::make_shared<Functional>(inputs, model_outputs, name); });
  if (!trainable) model->set_trainable(false);
  return model;
}

}  // namespace

Json model_config(const Model& model) {
  if (const auto* sequential = dynamic_cast<const Sequential*>(&model)) return sequential_config(*sequential);
  if (const auto* functional = dynamic_cast<const Functional*>(&model)) return functional_config(*functional);
  throw InvalidArgument("model '" + model.name() +
                        "' is a subclassed model, which has no config (as in Keras): rebuild it with its own code "
                        "and load its weights");
}

namespace config_detail {

std::shared_ptr<Model> read_model_config(const Json& config) {
  return guard_json("model config", [&] {
    ConfigReader r(config, "model config");
    const std::string class_name = r.string("class_name");
    const Json& inner = r.take_required("config");
    // Keras 3's serialization metadata and to_json's version stamps; compile_config is read by
    // compile_options_from_training_config.
    for (const char* key : {"module", "registered_name", "build_config", "compile_config", "keras_version", "backend"})
      r.ignore(key);
    r.finish();
    if (class_name == "Sequential") return read_sequential(inner);
    if (class_name == "Functional" || class_name == "Model") return read_functional(inner);
    throw FormatError("Unknown model class: " + quote_name(class_name) +
                      ". cairn reads Sequential and Functional (Keras 2: Model) configs; a subclassed model is "
                      "rebuilt by its own code");
  });
}

}  // namespace config_detail

std::shared_ptr<Model> model_from_config(const Json& config, uint64_t allocation_limit) {
  ScopedAllocationBudget budget(allocation_limit, "model config");
  return config_detail::read_model_config(config);
}

std::string model_to_json(const Model& model, int indent) {
  Json json = model_config(model);
  json["keras_version"] = kKerasVersion;
  json["backend"] = "tensorflow";
  return json.dump(indent);
}

std::shared_ptr<Model> model_from_json(const std::string& json, uint64_t allocation_limit) {
  constexpr const char* kSource = "model JSON";
  try {
    ScopedAllocationBudget budget(allocation_limit, kSource);
    return config_detail::read_model_config(parse_json(json, kSource));
  } catch (const std::bad_alloc&) {
    throw ResourceLimitError(std::string(kSource) + ": out of memory while building the model (" +
                             std::to_string(json.size()) + " bytes of JSON)");
  }
}

}  // namespace cairn
