// The built-in layer classes (builtin_layers.inc) and the helpers their config files share.
#include "layer_registry.h"

#include <cstdlib>

namespace cairn::config_detail {

const std::vector<LayerClass>& builtin_layer_classes() {
  static const std::vector<LayerClass> classes = {
#define CAIRN_LAYER(file) file##_layer_class(),
#include "layers/builtin_layers.inc"
#undef CAIRN_LAYER
  };
  return classes;
}

void require_null(ConfigReader& reader, std::initializer_list<const char*> keys) {
  for (const char* key : keys) reader.require(key, {kNull}, "cairn has no " + std::string(key));
}

void require_channels_last(ConfigReader& reader) {
  reader.require("data_format", {kNull, "channels_last"}, "cairn's images are channels_last");
}

void require_no_lora(ConfigReader& reader) {
  reader.require("lora_rank", {kNull, 0}, "cairn has no LoRA");
  reader.require("lora_alpha", {kNull}, "cairn has no LoRA");
  reader.require("quantization_config", {kNull}, "cairn has no quantization");
}

int single(ConfigReader& reader, const std::string& key, std::optional<int> fallback) {
  const Json* value = reader.take(key);
  if (!value || value->is_null()) {
    if (!fallback) reader.fail("the key \"" + key + "\" is missing");
    return *fallback;
  }
  const Json& v = unwrap_tuple(*value);
  const Json& item = v.is_array() && v.size() == 1 ? v[0] : v;
  if (!item.is_number_integer() || item.get<int64_t>() < 1 || item.get<int64_t>() > kMaxConfigDimension)
    reader.fail(key + " must be a positive integer or a list of one, got " + show(*value));
  return static_cast<int>(item.get<int64_t>());
}

std::vector<int> axes(ConfigReader& reader, const std::string& key, std::vector<int> fallback) {
  const Json* value = reader.take(key);
  if (!value || value->is_null()) return fallback;
  const Json& v = unwrap_tuple(*value);
  constexpr int64_t kMaxAxis = 64;  // far above any tensor's rank; the layer checks its input's
  auto valid = [&](const Json& a) { return a.is_number_integer() && std::abs(a.get<int64_t>()) <= kMaxAxis; };
  std::vector<int> out;
  if (valid(v)) return {static_cast<int>(v.get<int64_t>())};
  if (!v.is_array() || v.empty()) reader.fail(key + " must be an integer or a list of integers, got " + show(*value));
  for (const Json& a : v) {
    if (!valid(a)) reader.fail(key + " must be an integer or a list of integers, got " + show(*value));
    out.push_back(static_cast<int>(a.get<int64_t>()));
  }
  return out;
}

Json axes_config(const std::vector<int>& axes) { return axes.size() == 1 ? Json(axes[0]) : Json(axes); }

}  // namespace cairn::config_detail
