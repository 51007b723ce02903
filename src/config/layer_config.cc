// The layer registry: Keras class name -> config writer and reader. The built-in classes' entries are in
// src/config/layers/, one file each, listed in builtin_layers.inc.
#include <limits>
#include <map>
#include <mutex>

#include "cairn/allocation_budget.h"
#include "cairn/error.h"
#include "cairn/keras_support.h"
#include "cairn/internal/config/config_reader.h"
#include "layer_registry.h"

namespace cairn {

using config_detail::ConfigReader;
using config_detail::LayerClass;
using config_detail::kNull;

namespace {

std::mutex registry_mutex;

// Keras class name -> the class's entry: the built-in classes, then what register_layer() adds.
std::map<std::string, LayerClass>& registry() {
  static std::map<std::string, LayerClass> classes = [] {
    std::map<std::string, LayerClass> builtin;
    for (const LayerClass& entry : config_detail::builtin_layer_classes()) builtin.emplace(entry.class_name, entry);
    return builtin;
  }();
  return classes;
}

std::optional<LayerClass> find_class(const std::string& class_name) {
  std::lock_guard lock(registry_mutex);
  auto it = registry().find(class_name);
  if (it == registry().end()) return std::nullopt;
  return it->second;
}

// Why a config's class cannot be read: a Lambda's Python code is never run, a Keras class cairn lacks is
// named with the reason, anything else is a custom class, which a C++ class registered under its name
// can stand in for.
std::string unknown_class_message(const std::string& class_name, const std::string& layer_name) {
  const std::string layer = layer_name.empty() ? "" : " (layer " + config_detail::quote_name(layer_name) + ")";
  const std::string quoted = class_name.size() <= 64 ? "\"" + class_name + "\"" : "<the class name>";
  const std::string how_to_register = "derive a C++ class from cairn::Layer and call cairn::register_layer(" + quoted +
                                      ", writer, reader) before loading (include/cairn/config.h)";
  if (class_name == "Lambda")
    return "Lambda layer" + (layer_name.empty() ? "" : " " + config_detail::quote_name(layer_name)) +
           " refused: it holds Python code, which cairn never runs. To load this model, " + how_to_register +
           ", or replace the Lambda with built-in layers";
  if (const std::string reason = keras_layer_unsupported_reason(class_name); !reason.empty())
    return "Keras layer " + config_detail::quote_name(class_name) + layer + " is not supported by cairn: " + reason +
           " (docs/keras_support.md). To load this model anyway, " + how_to_register;
  return "Unknown layer: " + config_detail::quote_name(class_name) + layer +
         ". It is not a Keras layer class, so it is custom code, which cairn cannot run; to load it, " +
         how_to_register + ". docs/keras_support.md lists cairn's layers";
}

bool is_model_class(const std::string& class_name) {
  return class_name == "Sequential" || class_name == "Functional" || class_name == "Model";
}

}  // namespace

void register_layer(const std::string& class_name, LayerConfigWriter writer, LayerConfigReader reader) {
  if (class_name.empty() || is_model_class(class_name) || class_name == "InputLayer")
    throw InvalidArgument("register_layer: '" + class_name + "' cannot be registered as a layer class");
  if (!writer || !reader) throw InvalidArgument("register_layer('" + class_name + "'): both functions must be set");
  std::lock_guard lock(registry_mutex);
  registry()[class_name] = {class_name, std::move(writer), std::move(reader), "registered by the program"};
}

bool is_registered_layer(const std::string& class_name) { return find_class(class_name).has_value(); }

Json layer_config(const Layer& layer) {
  if (const Model* model = dynamic_cast<const Model*>(&layer)) return model_config(*model);
  std::optional<LayerClass> functions = find_class(layer.class_name());
  if (!functions)
    throw InvalidArgument("layer '" + layer.name() + "' of class '" + layer.class_name() +
                          "' has no config; register_layer(\"" + layer.class_name() + "\", ...) adds one");
  Json config = {{"name", layer.name()}, {"trainable", layer.trainable()}, {"dtype", "float32"}};
  const Json own = functions->writer(layer);
  if (!own.is_object())
    throw InvalidArgument("the config writer of class '" + layer.class_name() + "' must give a JSON object");
  for (const auto& [key, value] : own.items()) config[key] = value;
  return Json{{"class_name", layer.class_name()}, {"config", config}};
}

namespace config_detail {

ReadLayer read_layer(const std::string& class_name, const Json& config) {
  if (is_model_class(class_name)) return {read_model_config(Json{{"class_name", class_name}, {"config", config}}), {}};
  if (class_name == "InputLayer")
    throw FormatError("InputLayer has no cairn layer of its own: it is read as part of a model's config");
  std::optional<LayerClass> functions = find_class(class_name);
  if (!functions) throw FormatError(unknown_class_message(class_name, string_at(config, "name")));
  if (!config.is_object()) throw FormatError(class_name + ": the config must be a JSON object, got " + show(config));

  // The keys every layer has, read here; the class reader gets the rest.
  Json own = config;
  std::string name;
  if (own.contains("name") && !own["name"].is_null()) {
    if (!own["name"].is_string()) throw FormatError(class_name + ": name must be a string, got " + show(own["name"]));
    name = own["name"].get<std::string>();
  }
  const std::string context = describe(class_name, name);
  ConfigReader common(own, context);
  common.take("name");
  const bool trainable = common.boolean("trainable", true);
  if (const Json* dtype = common.take("dtype"); dtype && !is_float32_dtype(*dtype))
    common.unsupported("dtype", *dtype, "cairn's layers compute in float32");
  // Keras 3 has it for every layer (tf.keras only for some, where it is null too).
  common.require("activity_regularizer", {kNull}, "cairn has no activity_regularizer");
  std::optional<Shape> batch_input_shape;
  if (const Json* shape = common.take("batch_input_shape"); shape && !shape->is_null())
    batch_input_shape = shape_from_config(*shape, context, "batch_input_shape");
  for (const char* key : {"name", "trainable", "dtype", "activity_regularizer", "batch_input_shape"}) own.erase(key);

  LayerPtr layer;
  try {
    layer = functions->reader(name, own);
  } catch (const FormatError&) {
    throw;
  } catch (const Error& e) {
    throw FormatError(context + ": " + config_detail::clip_message(e.what()));
  }
  if (!layer) throw FormatError(context + ": the registered reader made no layer");
  if (!trainable) layer->set_trainable(false);
  return {layer, batch_input_shape};
}

}  // namespace config_detail

namespace {

LayerPtr read_layer_entry(const Json& config) {
  ConfigReader entry(config, "layer config");
  const std::string class_name = entry.string("class_name");
  const Json& inner = entry.take_required("config");
  entry.ignore("module");
  entry.ignore("registered_name");
  const Json* build_config = entry.take("build_config");
  entry.finish();
  LayerPtr layer = config_detail::read_layer(class_name, inner).layer;
  // Keras 3 records the input shape a layer was built for; building now creates its weights.
  if (!build_config || !build_config->is_object() || !build_config->contains("input_shape") || layer->built())
    return layer;
  const Json& shape = config_detail::unwrap_tuple((*build_config)["input_shape"]);
  // Layers of several inputs (Concatenate, Add) have no weights to create.
  if (shape.is_null() || (shape.is_array() && !shape.empty() && config_detail::unwrap_tuple(shape[0]).is_array()))
    return layer;
  const std::string context = config_detail::describe(class_name, layer->name());
  const Shape input_shape = config_detail::shape_from_config(shape, context, "build_config.input_shape");
  try {
    layer->build(input_shape);
  } catch (const ResourceLimitError& e) {
    throw ResourceLimitError(context + ": build_config: " + e.what());
  } catch (const Error& e) {
    throw FormatError(context + ": build_config: " + config_detail::clip_message(e.what()));
  }
  return layer;
}

}  // namespace

LayerPtr layer_from_config(const Json& config, uint64_t allocation_limit) {
  ScopedAllocationBudget budget(allocation_limit, "layer config");
  return config_detail::guard_json("layer config", [&] { return read_layer_entry(config); });
}

}  // namespace cairn
