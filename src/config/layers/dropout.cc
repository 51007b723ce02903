// keras.layers.Dropout's config.
#include "cairn/layers/dropout.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass dropout_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Dropout& d = as<Dropout>(layer);
    return {{"rate", d.rate()},
            {"noise_shape", d.noise_shape().empty() ? Json(nullptr) : shape_config(d.noise_shape())},
            {"seed", seed_config(d.seed())}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Dropout", name));
    const double rate = r.number("rate");
    // A list (or Keras 3 tuple) with null for the input's own size: (None, 1, 1, 1) drops whole samples.
    Shape noise_shape;
    if (const Json* value = r.take("noise_shape"); value && !value->is_null())
      noise_shape = shape_from_config(*value, r.context(), "noise_shape");
    for (int64_t size : noise_shape)
      if (size == 0) r.unsupported("noise_shape", config["noise_shape"], "sizes must be positive or null");
    const std::optional<uint64_t> seed = r.seed("seed");
    r.finish();
    return std::make_shared<Dropout>(rate, seed, name, noise_shape);
  };
  return {"Dropout", write, read, "rate, noise_shape and seed"};
}

}  // namespace cairn::config_detail
