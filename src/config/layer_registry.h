// The layer registry's entries and the helpers that the layer classes' config files share. Each built-in
// layer's Keras config lives in src/config/layers/<layer>.cc as one `LayerClass <layer>_layer_class()`,
// listed once in src/config/layers/builtin_layers.inc (see docs/design.md, "Adding a layer").
#pragma once

#include <array>
#include <string>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/internal/config/config_reader.h"

namespace cairn::config_detail {

// A Keras layer class as cairn knows it: how its config is written and read, and what
// docs/keras_support.md says about it.
struct LayerClass {
  std::string class_name;  // Keras's, "Dense"
  LayerConfigWriter writer;
  LayerConfigReader reader;
  // One line for docs/keras_support.md: what of the Keras class cairn has ("all arguments but ...").
  std::string support;
};

// Every built-in class, in the order of builtin_layers.inc.
const std::vector<LayerClass>& builtin_layer_classes();

// The layer as its class (the registry picks the writer by class name, so a mismatch is a user error).
template <class L>
const L& as(const Layer& layer) {
  const L* typed = dynamic_cast<const L*>(&layer);
  if (!typed)
    throw InvalidArgument("layer '" + layer.name() + "' has class name '" + layer.class_name() +
                          "' but is not that class; register_layer() its own config functions");
  return *typed;
}

inline const Json kNull = nullptr;
inline std::string activation_name(const std::string& activation) { return activation.empty() ? "linear" : activation; }
inline Json pair_config(std::array<int, 2> p) { return Json::array({p[0], p[1]}); }

// Regularizers, constraints and similar keys that cairn has only in their null form.
void require_null(ConfigReader& reader, std::initializer_list<const char*> keys);
void require_channels_last(ConfigReader& reader);
// Keras 3's LoRA and quantization options of Dense and Embedding.
void require_no_lora(ConfigReader& reader);
// An int n or a one-element list [n] (Keras 1D sizes: kernel_size, strides, pool_size); `fallback` when
// null or absent.
int single(ConfigReader& reader, const std::string& key, std::optional<int> fallback = std::nullopt);

// An axis argument that Keras takes as an int or a list of ints (UnitNormalization, RMSNormalization):
// `fallback` when null or absent. Written back as an int when there is one axis.
std::vector<int> axes(ConfigReader& reader, const std::string& key, std::vector<int> fallback);
Json axes_config(const std::vector<int>& axes);

// A layer's random seed as Keras writes it: the number, or null when the layer has none of its own.
inline Json seed_config(std::optional<uint64_t> seed) { return seed ? Json(*seed) : Json(nullptr); }

// Dense, Conv1D and Conv2D end their configs alike: the activation, the bias, the two initializers, and
// the regularizers and constraints that cairn has only as null.
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

// Declarations of every built-in class's entry (defined in src/config/layers/<file>.cc).
#define CAIRN_LAYER(file) LayerClass file##_layer_class();
#include "layers/builtin_layers.inc"
#undef CAIRN_LAYER

}  // namespace cairn::config_detail
