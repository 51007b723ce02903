// Operation nodes of functional configs, in Keras 3's and tf-keras 2's forms.
#include "operation_config.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/internal/config/config_reader.h"

namespace cairn::config_detail {

namespace {

using Kind = OperationValue::Kind;

constexpr const char* kKeras3OpsModule = "keras.src.ops.";
constexpr const char* kNotImplemented = "not implemented yet";
constexpr const char* kConstantValue = "_CONSTANT_VALUE";  // tf-keras: a first argument that is not a tensor

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// A tf-keras node reference: [layer_name, node_index, tensor_index] or the same with the call's kwargs.
bool is_tf_reference(const Json& value) {
  return value.is_array() && (value.size() == 3 || value.size() == 4) && value[0].is_string() &&
         value[1].is_number_integer() && value[2].is_number_integer() && (value.size() == 3 || value[3].is_object());
}

// An element of a tf-keras operation's node: a reference, or a first argument that is a constant,
// ["_CONSTANT_VALUE", -1, value, kwargs].
bool is_tf_node_element(const Json& value) {
  return is_tf_reference(value) || (value.is_array() && (value.size() == 3 || value.size() == 4) &&
                                    value[0] == kConstantValue && (value.size() == 3 || value[3].is_object()));
}

// Call arguments as OperationValues; each tensor argument is numbered in the order it is met and its
// reference kept.
class ArgumentReader {
 public:
  ArgumentReader(std::string context, bool tf_keras) : context_(std::move(context)), tf_keras_(tf_keras) {}
  std::vector<Json>& tensors() { return tensors_; }

  OperationValue read(const Json& raw, const std::string& where, bool tensors_allowed = true) {
    const Json& value = unwrap_tuple(raw);
    if (value.is_null()) return OperationValue::none();
    if (value.is_boolean()) return OperationValue::of_bool(value.get<bool>());
    if (value.is_number_integer()) return OperationValue::of_int(value.get<int64_t>());
    if (value.is_number()) return OperationValue::of_number(value.get<double>());
    if (value.is_string()) return OperationValue::of_text(value.get<std::string>());
    if (value.is_array()) {
      if (tf_keras_ && is_tf_reference(value)) return tensor(Json::array({value[0], value[1], value[2]}), where, tensors_allowed);
      std::vector<OperationValue> items;
      for (const Json& item : value) items.push_back(read(item, where, tensors_allowed));
      return OperationValue::of_list(std::move(items));
    }
    const std::string class_name = string_at(value, "class_name");
    const Json* config = value.contains("config") && value["config"].is_object() ? &value["config"] : nullptr;
    if (class_name == "__ellipsis__") {
      OperationValue v;
      v.kind = Kind::Ellipsis;
      return v;
    }
    if (!tf_keras_ && class_name == "__keras_tensor__" && config && config->contains("keras_history"))
      return tensor((*config)["keras_history"], where, tensors_allowed);
    if (!tf_keras_ && class_name == "__slice__" && config) return slice(*config, where);
    if (tf_keras_ && value.size() == 3 && value.contains("start") && value.contains("stop") && value.contains("step"))
      return slice(value, where);
    if (!tf_keras_ && (class_name == "__numpy__" || class_name == "__tensor__") && config && config->contains("value"))
      return read((*config)["value"], where, false);
    throw FormatError(context_ + ": " + where + " = " + show(raw) +
                      " is not supported (cairn's operations take tensors, numbers, strings, lists and slices)");
  }

 private:
  OperationValue tensor(const Json& history, const std::string& where, bool allowed) {
    if (!allowed) throw FormatError(context_ + ": " + where + " cannot be a tensor, got " + show(history));
    tensors_.push_back(history);
    return OperationValue::of_tensor(static_cast<int64_t>(tensors_.size() - 1));
  }

  OperationValue slice(const Json& bounds, const std::string& where) {
    OperationValue v;
    v.kind = Kind::Slice;
    for (const char* key : {"start", "stop", "step"}) {
      const Json bound = bounds.value(key, Json());
      if (!bound.is_null() && !bound.is_number_integer())
        throw FormatError(context_ + ": " + where + ": a slice's " + key + " must be an integer or null, got " + show(bound));
      v.items.push_back(bound.is_null() ? OperationValue::none() : OperationValue::of_int(bound.get<int64_t>()));
    }
    return v;
  }

  std::string context_;
  bool tf_keras_;
  std::vector<Json> tensors_;
};

bool is_parameter(const OperationSpec& spec, const std::string& name) {
  for (const std::string& p : spec.call_parameters)
    if (p == name) return true;
  for (const OperationSpec::ConfigParameter& p : spec.config_parameters)
    if (p.name == name) return true;
  return false;
}

std::string full_name(const OperationSpec& spec) { return spec.module + "." + spec.class_name; }

// Keras 3: the constructor's arguments in the config, the call's in each node's args and kwargs.
std::vector<std::pair<std::map<std::string, OperationValue>, std::vector<Json>>> bind_keras3(
    const OperationSpec& spec, const Json& config, const Json& inbound_nodes, const std::string& context) {
  std::map<std::string, OperationValue> constructor;
  {
    ConfigReader r(config, context);
    r.ignore("name");
    ArgumentReader reader(context, false);
    for (const OperationSpec::ConfigParameter& p : spec.config_parameters)
      if (const Json* value = r.take(p.name)) constructor[p.name] = reader.read(*value, p.name, false);
    r.finish();
  }
  std::vector<std::pair<std::map<std::string, OperationValue>, std::vector<Json>>> calls;
  for (const Json& node : inbound_nodes) {
    ConfigReader r(node, context + ": inbound node");
    ArgumentReader reader(context, false);
    std::map<std::string, OperationValue> arguments = constructor;
    const Json& args = r.take_required("args");
    if (!args.is_array()) r.fail("args must be a list, got " + show(args));
    if (args.size() > spec.call_parameters.size())
      r.fail(full_name(spec) + " takes " + std::to_string(spec.call_parameters.size()) + " positional arguments, got " +
             std::to_string(args.size()));
    for (size_t i = 0; i < args.size(); ++i)
      arguments[spec.call_parameters[i]] = reader.read(args[i], spec.call_parameters[i]);
    if (const Json* kwargs = r.take("kwargs"); kwargs && !kwargs->is_null()) {
      if (!kwargs->is_object()) r.fail("kwargs must be an object, got " + show(*kwargs));
      for (const auto& [key, value] : kwargs->items()) {
        if (!is_parameter(spec, key) || (arguments.count(key) && !constructor.count(key)))
          r.fail(full_name(spec) + " takes no argument " + clipped(key) + " here");
        arguments[key] = reader.read(value, key);
      }
    }
    r.finish();
    calls.emplace_back(std::move(arguments), std::move(reader.tensors()));
  }
  return calls;
}

// tf-keras: the first argument in the node (one reference, a list of them, or a _CONSTANT_VALUE), the
// others as the kwargs of each reference.
std::vector<std::pair<std::map<std::string, OperationValue>, std::vector<Json>>> bind_tf_keras(
    const TfOperationAlias& alias, const Json& inbound_nodes, const std::string& context) {
  std::vector<std::pair<std::map<std::string, OperationValue>, std::vector<Json>>> calls;
  for (const Json& node : inbound_nodes) {
    const bool one = is_tf_node_element(node);
    if (!one && !(node.is_array() && !node.empty() && std::all_of(node.begin(), node.end(), is_tf_node_element)))
      throw FormatError(context + ": an inbound node must be [layer_name, node_index, tensor_index, kwargs] or a "
                        "list of them, got " + show(node));
    const Json elements = one ? Json::array({node}) : node;
    ArgumentReader reader(context, true);
    std::vector<OperationValue> first;
    for (const Json& element : elements) {
      if (element[0] == kConstantValue)
        first.push_back(reader.read(element[2], alias.parameters[0].first));
      else
        first.push_back(reader.read(Json::array({element[0], element[1], element[2]}), alias.parameters[0].first));
    }
    std::map<std::string, OperationValue> arguments;
    arguments[alias.parameters[0].second] = one ? first[0] : OperationValue::of_list(first);
    const Json kwargs = elements[0].size() == 4 ? elements[0][3] : Json::object();
    for (const auto& item : kwargs.items()) {
      // Named, not a structured binding: the lambda below captures the key (clang refuses bindings there).
      const std::string key = item.key();
      const Json& value = item.value();
      auto parameter = std::find_if(alias.parameters.begin() + 1, alias.parameters.end(),
                                    [&](const auto& p) { return p.first == key; });
      if (parameter == alias.parameters.end())
        throw FormatError(context + ": tf." + alias.function + " takes no argument " + clipped(key));
      if (parameter->second.empty()) {
        // The op's name (tf-keras drops it too); the other unmapped options only at their defaults.
        if (key != "name" && !value.is_null() && value != false)
          throw FormatError(context + ": tf." + alias.function + "'s argument " + clipped(key) + " = " + show(value) +
                            " is not supported");
        continue;
      }
      arguments[parameter->second] = reader.read(value, key);
    }
    for (const auto& [parameter, value] : alias.defaults) arguments.emplace(parameter, value);
    if (alias.adapt) alias.adapt(arguments);
    calls.emplace_back(std::move(arguments), std::move(reader.tensors()));
  }
  return calls;
}

Json value_json(const OperationValue& v, const OperationCall& call) {
  switch (v.kind) {
    case Kind::None: return nullptr;
    case Kind::Boolean: return v.boolean;
    case Kind::Integer: return v.integer;
    case Kind::Number: return v.number;
    case Kind::Text: return v.text;
    case Kind::List: {
      Json items = Json::array();
      for (const OperationValue& item : v.items) items.push_back(value_json(item, call));
      return items;
    }
    case Kind::Tensor: {
      const auto i = static_cast<size_t>(v.integer);
      return {{"class_name", "__keras_tensor__"},
              {"config", {{"shape", shape_config(call.shapes.at(i))}, {"dtype", "float32"},
                          {"keras_history", call.references.at(i)}}}};
    }
    case Kind::Slice:
      return {{"class_name", "__slice__"},
              {"config", {{"start", value_json(v.items.at(0), call)}, {"stop", value_json(v.items.at(1), call)},
                          {"step", value_json(v.items.at(2), call)}}}};
    case Kind::Ellipsis: return {{"class_name", "__ellipsis__"}, {"config", Json::object()}};
  }
  return nullptr;
}

}  // namespace

bool is_operation_entry(const std::string& module, const std::string& class_name) {
  return starts_with(module, kKeras3OpsModule) || class_name == "TFOpLambda" || class_name == "SlicingOpLambda" ||
         class_name == "ClassMethod" || class_name == "InstanceMethod" || class_name == "InstanceProperty";
}

ReadOperation read_operation(const std::string& module, const std::string& class_name, const std::string& name,
                             const Json& config, const Json& inbound_nodes, const std::string& context) {
  if (!inbound_nodes.is_array() || inbound_nodes.empty())
    throw FormatError(context + ": an operation needs its call in inbound_nodes, got " + show(inbound_nodes));
  const OperationSpec* spec = nullptr;
  std::vector<std::pair<std::map<std::string, OperationValue>, std::vector<Json>>> calls;
  if (class_name == "TFOpLambda" || class_name == "SlicingOpLambda") {
    const std::string function = string_at(config, "function");
    const TfOperationAlias* alias = find_tf_operation(function);
    if (!alias)
      throw FormatError(context + ": tf." + clipped(function) + " (a " + class_name +
                        " layer) is a TensorFlow operation cairn does not implement; docs/keras_support.md lists those it does");
    ConfigReader r(config, context);
    for (const char* key : {"name", "trainable", "dtype", "function"}) r.ignore(key);
    r.finish();
    spec = find_operation_class(alias->keras3_class);
    calls = bind_tf_keras(*alias, inbound_nodes, context);
  } else if (starts_with(module, kKeras3OpsModule)) {
    spec = find_operation(module, class_name);
    if (!spec)
      throw FormatError(context + ": " + clipped(module + "." + class_name) +
                        " is a Keras operation cairn does not implement; docs/keras_support.md lists those it does");
    calls = bind_keras3(*spec, config, inbound_nodes, context);
  } else {
    throw FormatError(context + ": " + clipped(class_name) +
                      " is a tf-keras layer that calls a method of a TensorFlow class, which cairn does not implement");
  }
  for (size_t i = 1; i < calls.size(); ++i)
    if (calls[i].first != calls[0].first || calls[i].second.size() != calls[0].second.size())
      throw FormatError(context + ": the operation's calls differ in their constant arguments; cairn's operations "
                        "repeat one call");
  ReadOperation read;
  try {
    read.layer = std::make_shared<Operation>(*spec, calls[0].first, calls[0].second.size(), name);
  } catch (const InvalidArgument& e) {
    throw FormatError(context + ": " + clip_message(e.what()));
  }
  for (auto& [arguments, tensors] : calls) read.calls.push_back(std::move(tensors));
  return read;
}

Json operation_entry(const Operation& op, const std::vector<OperationCall>& calls) {
  const OperationSpec& spec = op.spec();
  Json config = {{"name", op.name()}};
  const OperationCall no_tensors;
  for (const OperationSpec::ConfigParameter& p : spec.config_parameters)
    config[p.name] = value_json(op.arguments().at(p.name), no_tensors);
  Json nodes = Json::array();
  for (const OperationCall& call : calls) {
    Json args = Json::array();
    for (const std::string& p : spec.call_parameters) {
      auto it = op.arguments().find(p);
      args.push_back(it == op.arguments().end() ? Json() : value_json(it->second, call));
    }
    nodes.push_back({{"args", args}, {"kwargs", Json::object()}});
  }
  return {{"module", spec.module},
          {"class_name", spec.class_name},
          {"config", config},
          {"registered_name", spec.class_name},
          {"name", op.name()},
          {"inbound_nodes", nodes}};
}

KerasSupportSection operation_support_section() {
  KerasSupportSection section;
  section.title = "Operations";
  section.intro =
      "The operations a functional model may apply to tensors directly (Keras 3: `keras.ops.tanh(x) * 2.0 + x`, "
      "entries of module `keras.src.ops.*` in its config; tf-keras 2: `TFOpLambda` and `SlicingOpLambda` layers "
      "of TensorFlow functions). cairn runs them from a fixed table, never as code, with gradients, between "
      "tensors and constants with numpy's broadcasting, and writes them in Keras 3's form. Any other operation "
      "is refused by its name.";
  for (const OperationSpec& spec : operation_specs()) {
    std::string note = spec.support.empty() ? "all arguments" : spec.support;
    std::string functions;
    for (const TfOperationAlias& alias : tf_operation_aliases())
      if (alias.keras3_class == spec.class_name) functions += (functions.empty() ? "" : ", ") + std::string("`tf.") + alias.function + "`";
    if (!functions.empty()) note += "; tf-keras: " + functions;
    section.rows.push_back({spec.module.substr(std::string("keras.src.").size()) + "." + spec.class_name, true, note});
  }
  // Operations that real models use and cairn lacks, and why; any operation outside the table is refused.
  constexpr const char* kNoGradient = "its output is not differentiable (comparisons, indices, rounding)";
  const std::vector<std::pair<std::string, std::string>> missing = {
      {"ops.numpy.Einsum", "cairn has no general tensor contraction yet (Matmul covers the usual products)"},
      {"ops.numpy.Where", "cairn has no elementwise select yet"},
      {"ops.numpy.Take", "cairn has no gather along an axis yet (GetItem covers integer and slice keys)"},
      {"ops.numpy.Split", "an operation with several outputs; slice with GetItem instead"},
      {"ops.math.Erf", "cairn has no erf op yet (Gelu has its own)"},
      {"ops.linalg.Norm", "cairn has no general norms yet (Normalize has the L2 one)"},
      {"ops.numpy.Cumsum", kNotImplemented},
      {"ops.numpy.Prod", kNotImplemented},
      {"ops.numpy.Pad", kNotImplemented},
      {"ops.numpy.Flip", kNotImplemented},
      {"ops.numpy.Repeat", kNotImplemented},
      {"ops.numpy.Arange", "makes a constant with no tensor input, which Keras does not record in a model"},
      {"ops.numpy.Argmax", kNoGradient},
      {"ops.numpy.Greater", kNoGradient},
      {"ops.numpy.Equal", kNoGradient},
      {"ops.numpy.Sign", kNoGradient},
      {"ops.numpy.Round", kNoGradient},
      {"ops.nn.OneHot", kNoGradient},
  };
  for (const auto& [name, reason] : missing) section.rows.push_back({name, false, reason});
  return section;
}

}  // namespace cairn::config_detail
