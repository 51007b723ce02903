// keras.layers.Normalization's config: the kept axes, invert, and the mean and variance when given
// (nested lists; null when the layer is adapted, its statistics then being weights).
#include "cairn/layers/normalization.h"
#include "layer_registry.h"
#include "number_arrays.h"

namespace cairn::config_detail {

LayerClass normalization_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const NormalizationOptions& o = as<Normalization>(layer).options();
    return {{"axis", o.axis},
            {"invert", o.invert},
            {"mean", o.mean.defined() ? number_array_config(o.mean) : Json(nullptr)},
            {"variance", o.variance.defined() ? number_array_config(o.variance) : Json(nullptr)}};
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
      if (value && !value->is_null()) (key == std::string("mean") ? o.mean : o.variance) = number_array_from_config(r, key, *value);
    }
    o.name = name;
    r.finish();
    return std::make_shared<Normalization>(o);
  };
  return {"Normalization", write, read, "given or adapted (adapt()) mean and variance over any kept axes; invert"};
}

}  // namespace cairn::config_detail
