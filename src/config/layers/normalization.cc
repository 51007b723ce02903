// keras.layers.Normalization's config: the kept axes, invert, and the mean and variance when given
// (nested lists; null when the layer is adapted, its statistics then being weights).
#include <algorithm>

#include "cairn/layers/normalization.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

// A statistic as Keras writes it (a number or nested lists of numbers) as a float64 tensor.
Tensor statistic_from_config(ConfigReader& r, const std::string& key, const Json& value) {
  Shape shape;
  for (const Json* level = &value; level->is_array(); level = &(*level)[0]) {
    if (level->empty() || shape.size() >= 8) r.unsupported(key, value, "a number or nested lists of numbers of rank at most 8");
    shape.push_back(static_cast<int64_t>(level->size()));
  }
  // Read into a vector first: the values' number is bounded by the JSON, the first branch's sizes are not.
  std::vector<double> values;
  // Every element must sit at the depth the first one set, with the sizes found there.
  auto fill = [&](auto&& self, const Json& node, size_t depth) -> void {
    if (depth == shape.size()) {
      if (!node.is_number()) r.unsupported(key, value, "a number or nested lists of numbers");
      values.push_back(node.get<double>());
      return;
    }
    if (!node.is_array() || static_cast<int64_t>(node.size()) != shape[depth])
      r.unsupported(key, value, "nested lists of one shape");
    for (const Json& child : node) self(self, child, depth + 1);
  };
  fill(fill, value, 0);
  Tensor out(shape, DType::Float64);
  std::copy(values.begin(), values.end(), out.data<double>());
  return out;
}

Json statistic_config(const Tensor& statistic) {
  const Tensor values = statistic.to(DType::Float64);
  const Shape& shape = values.shape();
  int64_t next = 0;
  auto build = [&](auto&& self, size_t depth) -> Json {
    if (depth == shape.size()) return values.data<double>()[next++];
    Json list = Json::array();
    for (int64_t i = 0; i < shape[depth]; ++i) list.push_back(self(self, depth + 1));
    return list;
  };
  return build(build, 0);
}

}  // namespace

LayerClass normalization_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const NormalizationOptions& o = as<Normalization>(layer).options();
    return {{"axis", o.axis},
            {"invert", o.invert},
            {"mean", o.mean.defined() ? statistic_config(o.mean) : Json(nullptr)},
            {"variance", o.variance.defined() ? statistic_config(o.variance) : Json(nullptr)}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Normalization", name));
    NormalizationOptions o;
    if (const Json* axis = r.take("axis")) {
      const Json& axes = unwrap_tuple(*axis);
      if (axes.is_null()) {
        o.axis.clear();
      } else if (axes.is_number_integer()) {
        o.axis = {axes.get<int>()};
      } else {
        if (!axes.is_array()) r.unsupported("axis", *axis, "an integer, a list of integers or null");
        o.axis.clear();
        for (const Json& a : axes) {
          if (!a.is_number_integer()) r.unsupported("axis", *axis, "an integer, a list of integers or null");
          o.axis.push_back(a.get<int>());
        }
      }
    }
    o.invert = r.boolean("invert", false);
    for (const char* key : {"mean", "variance"}) {
      const Json* value = r.take(key);
      if (value && !value->is_null()) (key == std::string("mean") ? o.mean : o.variance) = statistic_from_config(r, key, *value);
    }
    o.name = name;
    r.finish();
    return std::make_shared<Normalization>(o);
  };
  return {"Normalization", write, read, "given or adapted (adapt()) mean and variance over any kept axes; invert"};
}

}  // namespace cairn::config_detail
