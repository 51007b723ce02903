// keras.layers.Identity's config: nothing but the layer's name.
#include "cairn/layers/identity.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass identity_layer_class() {
  auto write = [](const Layer&) -> Json { return Json::object(); };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Identity", name));
    r.finish();
    return std::make_shared<Identity>(name);
  };
  return {"Identity", write, read, "all arguments"};
}

}  // namespace cairn::config_detail
