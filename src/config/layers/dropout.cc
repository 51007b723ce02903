// keras.layers.Dropout's config.
#include "cairn/layers/dropout.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass dropout_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Dropout& d = as<Dropout>(layer);
    return {{"rate", d.rate()}, {"noise_shape", nullptr}, {"seed", d.seed() ? Json(*d.seed()) : Json(nullptr)}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Dropout", name));
    const double rate = r.number("rate");
    r.require("noise_shape", {kNull}, "cairn's Dropout draws one mask value per element");
    const std::optional<uint64_t> seed = r.seed("seed");
    r.finish();
    return std::make_shared<Dropout>(rate, seed, name);
  };
  return {"Dropout", write, read, "rate and seed; noise_shape only as null"};
}

}  // namespace cairn::config_detail
