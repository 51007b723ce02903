// keras.layers.Rescaling's config.
#include "cairn/layers/rescaling.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass rescaling_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Rescaling& r = as<Rescaling>(layer);
    return {{"scale", r.scale()}, {"offset", r.offset()}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Rescaling", name));
    for (const char* key : {"scale", "offset"})
      if (r.has(key) && !config[key].is_number())
        r.unsupported(key, config[key], "cairn's Rescaling takes a number (per-channel arrays are not supported)");
    const double scale = r.number("scale");
    const double offset = r.number("offset", 0.0);
    r.finish();
    return std::make_shared<Rescaling>(scale, offset, name);
  };
  return {"Rescaling", write, read, "scalar scale and offset"};
}

}  // namespace cairn::config_detail
