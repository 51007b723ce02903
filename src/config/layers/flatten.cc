// keras.layers.Flatten's config.
#include "cairn/layers/flatten.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass flatten_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    as<Flatten>(layer);
    return {{"data_format", "channels_last"}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Flatten", name));
    require_channels_last(r);
    r.finish();
    return std::make_shared<Flatten>(name);
  };
  return {"Flatten", write, read, "channels_last"};
}

}  // namespace cairn::config_detail
