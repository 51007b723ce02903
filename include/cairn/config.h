// Keras's JSON configs: layers, Sequential and functional models, optimizers, losses and the
// training_config of a compiled model, written in tf.keras 2.x's format and read back from tf.keras 2.x
// and Keras 3 files:
//
//   std::string json = model_to_json(*model);                 // Keras's model.to_json()
//   std::shared_ptr<Model> copy = model_from_json(json);      // keras.models.model_from_json
//
// Reading is strict: a key cairn does not know, or a value it cannot honour (activation "selu",
// LSTM stateful true, a kernel_regularizer...), is a FormatError naming the layer, the key and the
// value; nothing is silently dropped. Layers are rebuilt through a registry keyed by Keras class name,
// which register_layer() extends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cairn/layers/layer.h"
#include "cairn/losses.h"
#include "cairn/model.h"
#include "cairn/optimizers.h"

namespace cairn {

// A JSON value whose objects keep their keys in insertion order, so configs read like Keras's.
using Json = nlohmann::ordered_json;

// The tf.keras version whose formats cairn writes (to_json's "keras_version").
inline constexpr const char* kKerasVersion = "2.4.0";

// ---- reading JSON text

// The deepest nesting of arrays and objects that parse_json accepts. Copying, printing and destroying a
// JSON value recurse once per level, so 100,000 brackets (200 KB) would overflow the stack.
inline constexpr int kMaxJsonDepth = 512;
// The JSON value of `text`, which comes from `source` (a path, "model JSON"); every error starts with
// `source`. ResourceLimitError for nesting deeper than kMaxJsonDepth (found before parsing);
// FormatError for malformed JSON and for numbers out of range. Every JSON text cairn reads goes
// through here.
Json parse_json(std::string_view text, const std::string& source);

// The tensor memory (bytes) that building a layer or model from a config may allocate unless the
// caller allows more or less: a config comes without its weights, so only this bounds what a hostile
// one asks for (Dense units 2^40). 512 MiB is 134 million float32 weights.
inline constexpr uint64_t kDefaultConfigAllocationLimit = uint64_t{512} << 20;
// The largest units, filters, kernel or pool size, input_dim or output_dim, or input dimension a config
// may give: Keras's dimensions are int32 in TensorFlow's kernels.
inline constexpr int64_t kMaxConfigDimension = 2147483647;

// ---- layers

// {"class_name": "Dense", "config": {"name", "trainable", "dtype", ...the class's keys}} with Keras's
// keys and values. Sequential and functional models give model_config(). InvalidArgument for a layer
// whose class is not registered, and for a subclassed model.
Json layer_config(const Layer& layer);
// The layer of {"class_name", "config"} (Keras 2 or Keras 3 form; "Sequential", "Functional" and "Model"
// give models). A Keras 3 "build_config" builds the layer. FormatError for an unknown class name, a
// key cairn does not know or a value it does not support (units outside [1, kMaxConfigDimension]...);
// ResourceLimitError when its weights would take more than `allocation_limit` bytes.
LayerPtr layer_from_config(const Json& config, uint64_t allocation_limit = kDefaultConfigAllocationLimit);

// A class's own config keys (after name, trainable and dtype, which layer_config writes).
using LayerConfigWriter = std::function<Json(const Layer& layer)>;
// Makes a layer named `name` ("" for an automatic name) from the class's own keys: `config` without name,
// trainable, dtype, activity_regularizer and batch_input_shape, which layer_from_config reads itself.
// Should throw FormatError for keys it does not know.
using LayerConfigReader = std::function<LayerPtr(const std::string& name, const Json& config)>;
// Adds (or replaces) a class in the registry, so that layer_config, layer_from_config and the model
// functions handle it. The built-in classes are listed in docs/keras_support.md. Registering a Keras
// name that cairn lacks ("GRU"), or a custom class's name, or "Lambda", lets configs that use it load.
void register_layer(const std::string& class_name, LayerConfigWriter writer, LayerConfigReader reader);
// Whether `class_name` is in the registry (a built-in class or one register_layer added).
bool is_registered_layer(const std::string& class_name);

// ---- models

// Keras 2's {"class_name": "Sequential" | "Functional", "config": {...}}: a Sequential's layers start
// with an InputLayer once the model is built; a functional model lists its layers with their
// inbound_nodes and its input_layers and output_layers. InvalidArgument for a subclassed model (it is
// rebuilt by its own code; its weights load into it) and for a model with two layers of the same name.
Json model_config(const Model& model);
// Rebuilds a Sequential or functional model ("Functional", or Keras 2's "Model"; Keras 3's
// inbound_nodes too). A layer that appears in several nodes is shared. FormatError when the config
// cannot be honoured; ResourceLimitError when its weights would take more than `allocation_limit` bytes.
std::shared_ptr<Model> model_from_config(const Json& config, uint64_t allocation_limit = kDefaultConfigAllocationLimit);
// model_config plus "keras_version" and "backend", as Keras's model.to_json(); indent < 0 is compact.
std::string model_to_json(const Model& model, int indent = -1);
// The model of a to_json() string (Keras 2 or Keras 3), parsed by parse_json with the source name
// "model JSON". FormatError for malformed JSON; otherwise as model_from_config.
std::shared_ptr<Model> model_from_json(const std::string& json,
                                       uint64_t allocation_limit = kDefaultConfigAllocationLimit);

// ---- optimizers, losses, training_config

// {"class_name": "Adam", "config": {"name": "Adam", "learning_rate", "decay", "beta_1", "beta_2",
// "epsilon", "amsgrad"}}, as tf.keras 2.x's OptimizerV2 (likewise SGD, Adagrad, RMSprop).
Json optimizer_config(const Optimizer& optimizer);
// A new optimizer from tf.keras 2.x ("lr" too), Keras 2.11+ or Keras 3 configs, or from a string
// shortcut ("adam"). FormatError for options cairn does not have (clipnorm, weight_decay, a schedule).
OptimizerPtr optimizer_from_config(const Json& config);
// {"class_name": "SparseCategoricalCrossentropy", "config": {"reduction": "auto", "name": ...,
// "from_logits": ...}} (likewise the other losses).
Json loss_config(const Loss& loss);
// A loss from its identifier ("mse"), class config (Keras 2 or 3) or Keras 3 function form.
LossPtr loss_from_config(const Json& config);
// A compiled model's training_config, as the h5 attribute of tf.keras 2.x: {"loss", "metrics",
// "weighted_metrics" (null when none), "loss_weights": null, "optimizer_config"}. InvalidArgument if not
// compiled.
Json training_config(const Model& model);
// The compile options of a training_config (tf.keras 2.x) or compile_config (Keras 3), for
// model.compile(). FormatError for what cairn cannot honour (several outputs, loss weights...).
CompileOptions compile_options_from_training_config(const Json& training_config);

}  // namespace cairn
