// The layer registry: Keras class name -> config writer and reader, with the built-in layers.
#include <limits>
#include <map>
#include <mutex>

#include "cairn/allocation_budget.h"
#include "cairn/error.h"
#include "cairn/layers/activation.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/flatten.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/max_pooling2d.h"
#include "cairn/layers/merge.h"
#include "cairn/internal/config/config_reader.h"

namespace cairn {

using config_detail::ConfigReader;
using config_detail::initializer_config;

namespace {

struct LayerClass {
  LayerConfigWriter writer;
  LayerConfigReader reader;
};

// The layer as its class (the registry picks the writer by class name, so a mismatch is a user error).
template <class L>
const L& as(const Layer& layer) {
  const L* typed = dynamic_cast<const L*>(&layer);
  if (!typed)
    throw InvalidArgument("layer '" + layer.name() + "' has class name '" + layer.class_name() +
                          "' but is not that class; register_layer() its own config functions");
  return *typed;
}

const Json kNull = nullptr;
std::string activation_name(const std::string& activation) { return activation.empty() ? "linear" : activation; }
Json pair_config(std::array<int, 2> p) { return Json::array({p[0], p[1]}); }

// Regularizers, constraints and similar keys that cairn has only in their null form.
void require_null(ConfigReader& reader, std::initializer_list<const char*> keys) {
  for (const char* key : keys) reader.require(key, {kNull}, "cairn has no " + std::string(key));
}
void require_channels_last(ConfigReader& reader) {
  reader.require("data_format", {kNull, "channels_last"}, "cairn's images are channels_last");
}
// Keras 3's LoRA and quantization options of Dense and Embedding.
void require_no_lora(ConfigReader& reader) {
  reader.require("lora_rank", {kNull, 0}, "cairn has no LoRA");
  reader.require("lora_alpha", {kNull}, "cairn has no LoRA");
  reader.require("quantization_config", {kNull}, "cairn has no quantization");
}

// Dense and Conv2D end their configs alike: the activation, the bias, the two initializers, and the
// regularizers and constraints that cairn has only as null.
template <class L>
Json with_kernel_and_bias(Json config, const L& layer) {
  config.update(Json{{"activation", activation_name(layer.activation())},
                     {"use_bias", layer.use_bias()},
                     {"kernel_initializer", initializer_config(*layer.options().kernel_initializer)},
                     {"bias_initializer", initializer_config(*layer.options().bias_initializer)},
                     {"kernel_regularizer", nullptr},
                     {"bias_regularizer", nullptr},
                     {"activity_regularizer", nullptr},
                     {"kernel_constraint", nullptr},
                     {"bias_constraint", nullptr}});
  return config;
}
template <class Options>
void read_kernel_and_bias(ConfigReader& r, Options& options) {
  options.activation = r.activation("activation", "linear");
  options.use_bias = r.boolean("use_bias", true);
  options.kernel_initializer = r.initializer("kernel_initializer", options.kernel_initializer);
  options.bias_initializer = r.initializer("bias_initializer", options.bias_initializer);
  require_null(r, {"kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"});
  require_no_lora(r);
}

// ---- Dense
Json dense_config(const Layer& layer) {
  const Dense& d = as<Dense>(layer);
  return with_kernel_and_bias({{"units", d.units()}}, d);
}
LayerPtr dense_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Dense", name));
  const int64_t units = r.dimension("units");
  DenseOptions options;
  read_kernel_and_bias(r, options);
  options.name = name;
  r.finish();
  return std::make_shared<Dense>(units, options);
}

// ---- Dropout
Json dropout_config(const Layer& layer) {
  const Dropout& d = as<Dropout>(layer);
  return {{"rate", d.rate()}, {"noise_shape", nullptr}, {"seed", d.seed() ? Json(*d.seed()) : Json(nullptr)}};
}
LayerPtr dropout_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Dropout", name));
  const double rate = r.number("rate");
  r.require("noise_shape", {kNull}, "cairn's Dropout draws one mask value per element");
  const std::optional<uint64_t> seed = r.seed("seed");
  r.finish();
  return std::make_shared<Dropout>(rate, seed, name);
}

// ---- Flatten
Json flatten_config(const Layer& layer) {
  as<Flatten>(layer);
  return {{"data_format", "channels_last"}};
}
LayerPtr flatten_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Flatten", name));
  require_channels_last(r);
  r.finish();
  return std::make_shared<Flatten>(name);
}

// ---- Activation
Json activation_config(const Layer& layer) {
  return {{"activation", activation_name(as<Activation>(layer).activation())}};
}
LayerPtr activation_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Activation", name));
  if (!r.has("activation")) r.fail("the key \"activation\" is missing");
  const std::string activation = r.activation("activation", "linear");
  r.finish();
  return std::make_shared<Activation>(activation, name);
}

// ---- Conv2D
Json conv2d_config(const Layer& layer) {
  const Conv2D& c = as<Conv2D>(layer);
  return with_kernel_and_bias({{"filters", c.filters()},
                               {"kernel_size", pair_config(c.kernel_size())},
                               {"strides", pair_config(c.strides())},
                               {"padding", c.padding()},
                               {"data_format", "channels_last"},
                               {"dilation_rate", Json::array({1, 1})},
                               {"groups", 1}},
                              c);
}
LayerPtr conv2d_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Conv2D", name));
  const int64_t filters = r.dimension("filters");
  const std::array<int, 2> kernel_size = r.pair("kernel_size");
  Conv2DOptions options;
  options.strides = r.pair("strides", std::array<int, 2>{1, 1});
  options.padding = r.string("padding", "valid");
  require_channels_last(r);
  if (r.pair("dilation_rate", std::array<int, 2>{1, 1}) != std::array<int, 2>{1, 1})
    r.unsupported("dilation_rate", config["dilation_rate"], "cairn's Conv2D has no dilation");
  r.require("groups", {kNull, 1}, "cairn's Conv2D has no grouped convolution");
  read_kernel_and_bias(r, options);
  options.name = name;
  r.finish();
  return std::make_shared<Conv2D>(filters, kernel_size, options);
}

// ---- MaxPooling2D
Json max_pooling2d_config(const Layer& layer) {
  const MaxPooling2D& p = as<MaxPooling2D>(layer);
  return {{"pool_size", pair_config(p.pool_size())},
          {"padding", p.padding()},
          {"strides", pair_config(p.strides())},
          {"data_format", "channels_last"}};
}
LayerPtr max_pooling2d_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("MaxPooling2D", name));
  const std::array<int, 2> pool_size = r.pair("pool_size", std::array<int, 2>{2, 2});
  MaxPooling2DOptions options;
  options.padding = r.string("padding", "valid");
  if (r.has("strides") && !config["strides"].is_null())
    options.strides = r.pair("strides");
  else
    r.ignore("strides");  // null: the pool size, as in Keras
  require_channels_last(r);
  options.name = name;
  r.finish();
  return std::make_shared<MaxPooling2D>(pool_size, options);
}

// ---- Embedding
Json embedding_config(const Layer& layer) {
  const Embedding& e = as<Embedding>(layer);
  return {{"input_dim", e.input_dim()},
          {"output_dim", e.output_dim()},
          {"embeddings_initializer", initializer_config(*e.options().embeddings_initializer)},
          {"embeddings_regularizer", nullptr},
          {"activity_regularizer", nullptr},
          {"embeddings_constraint", nullptr},
          {"mask_zero", false},
          {"input_length", nullptr}};
}
LayerPtr embedding_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Embedding", name));
  const int64_t input_dim = r.dimension("input_dim");
  const int64_t output_dim = r.dimension("output_dim");
  EmbeddingOptions options;
  options.embeddings_initializer = r.initializer("embeddings_initializer", options.embeddings_initializer);
  options.name = name;
  require_null(r, {"embeddings_regularizer", "embeddings_constraint"});
  r.require("mask_zero", {false}, "cairn has no masking");
  r.require("sparse", {false}, "cairn's embedding gradients are dense");
  // Keras uses input_length only to infer static output shapes; the lookup is the same.
  if (const Json* length = r.take("input_length"); length && !length->is_null() && !length->is_number_integer())
    r.fail("input_length must be null or an integer, got " + config_detail::show(*length));
  require_no_lora(r);
  r.finish();
  return std::make_shared<Embedding>(input_dim, output_dim, options);
}

// ---- LSTM
Json lstm_config(const Layer& layer) {
  const LSTM& l = as<LSTM>(layer);
  const LSTMOptions& o = l.options();
  return {{"return_sequences", o.return_sequences},
          {"return_state", false},
          {"go_backwards", false},
          {"stateful", false},
          {"unroll", false},
          {"units", l.units()},
          {"activation", "tanh"},
          {"recurrent_activation", "sigmoid"},
          {"use_bias", o.use_bias},
          {"kernel_initializer", initializer_config(*o.kernel_initializer)},
          {"recurrent_initializer", initializer_config(*o.recurrent_initializer)},
          {"bias_initializer", initializer_config(*o.bias_initializer)},
          {"unit_forget_bias", o.unit_forget_bias},
          {"kernel_regularizer", nullptr},
          {"recurrent_regularizer", nullptr},
          {"bias_regularizer", nullptr},
          {"activity_regularizer", nullptr},
          {"kernel_constraint", nullptr},
          {"recurrent_constraint", nullptr},
          {"bias_constraint", nullptr},
          {"dropout", 0.0},
          {"recurrent_dropout", 0.0},
          {"implementation", 2}};
}
LayerPtr lstm_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("LSTM", name));
  const int64_t units = r.dimension("units");
  LSTMOptions options;
  options.return_sequences = r.boolean("return_sequences", false);
  r.require("return_state", {false}, "cairn's LSTM returns only its output");
  r.require("go_backwards", {false}, "cairn's LSTM runs forward in time");
  r.require("stateful", {false}, "cairn's LSTM keeps no state between batches");
  r.require("time_major", {false}, "cairn's LSTM takes (batch, timesteps, features)");
  r.require("activation", {"tanh"}, "cairn's LSTM uses tanh");
  r.require("recurrent_activation", {"sigmoid"}, "cairn's LSTM uses sigmoid");
  options.use_bias = r.boolean("use_bias", true);
  options.kernel_initializer = r.initializer("kernel_initializer", options.kernel_initializer);
  options.recurrent_initializer = r.initializer("recurrent_initializer", options.recurrent_initializer);
  options.bias_initializer = r.initializer("bias_initializer", options.bias_initializer);
  options.unit_forget_bias = r.boolean("unit_forget_bias", true);
  require_null(r, {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                   "recurrent_constraint", "bias_constraint"});
  r.require("dropout", {0}, "cairn's LSTM has no input dropout");
  r.require("recurrent_dropout", {0}, "cairn's LSTM has no recurrent dropout");
  // These choose how Keras computes the same function (loop unrolling, fused kernels, the seed of the
  // dropout that must be 0, outputs under masks that cairn does not have).
  for (const char* same_result : {"implementation", "unroll", "use_cudnn", "seed", "zero_output_for_mask"})
    r.ignore(same_result);
  options.name = name;
  r.finish();
  return std::make_shared<LSTM>(units, options);
}

// ---- Concatenate, Add
Json concatenate_config(const Layer& layer) { return {{"axis", as<Concatenate>(layer).axis()}}; }
LayerPtr concatenate_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Concatenate", name));
  const int64_t axis = r.integer_in("axis", std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), -1);
  r.finish();
  return std::make_shared<Concatenate>(static_cast<int>(axis), name);
}

Json add_config(const Layer& layer) {
  as<Add>(layer);
  return Json::object();
}
LayerPtr add_from_config(const std::string& name, const Json& config) {
  ConfigReader r(config, config_detail::describe("Add", name));
  r.finish();
  return std::make_shared<Add>(name);
}

std::mutex registry_mutex;

std::map<std::string, LayerClass>& registry() {
  static std::map<std::string, LayerClass> classes = {
      {"Activation", {activation_config, activation_from_config}},
      {"Add", {add_config, add_from_config}},
      {"Concatenate", {concatenate_config, concatenate_from_config}},
      {"Conv2D", {conv2d_config, conv2d_from_config}},
      {"Dense", {dense_config, dense_from_config}},
      {"Dropout", {dropout_config, dropout_from_config}},
      {"Embedding", {embedding_config, embedding_from_config}},
      {"Flatten", {flatten_config, flatten_from_config}},
      {"LSTM", {lstm_config, lstm_from_config}},
      {"MaxPooling2D", {max_pooling2d_config, max_pooling2d_from_config}},
  };
  return classes;
}

std::optional<LayerClass> find_class(const std::string& class_name) {
  std::lock_guard lock(registry_mutex);
  auto it = registry().find(class_name);
  if (it == registry().end()) return std::nullopt;
  return it->second;
}

std::string registered_names() {
  std::lock_guard lock(registry_mutex);
  std::string names;
  for (const auto& [name, functions] : registry()) names += (names.empty() ? "" : ", ") + name;
  return names;
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
  registry()[class_name] = {std::move(writer), std::move(reader)};
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
  if (!functions)
    throw FormatError("Unknown layer: " + quote_name(class_name) + ". cairn has " + registered_names() +
                      "; register_layer() adds others");
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
