// keras.layers.Add's config.
#include "cairn/layers/merge.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass add_layer_class() {
  auto write = [](const Layer& layer) {
    as<Add>(layer);
    return Json::object();
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Add", name));
    r.finish();
    return std::make_shared<Add>(name);
  };
  return {"Add", write, read, "inputs of one shape, or that broadcast (size 1, lower rank)"};
}

}  // namespace cairn::config_detail
