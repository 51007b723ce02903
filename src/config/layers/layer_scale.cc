// keras.applications.convnext.LayerScale's config (Keras 3 and tf-keras write the same keys).
#include "cairn/layers/layer_scale.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass layer_scale_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const LayerScale& l = as<LayerScale>(layer);
    return {{"init_values", l.init_values()}, {"projection_dim", l.projection_dim()}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("LayerScale", name));
    const double init_values = r.number("init_values");
    const int64_t projection_dim = r.dimension("projection_dim");
    r.finish();
    return std::make_shared<LayerScale>(init_values, projection_dim, name);
  };
  return {"LayerScale", write, read, "keras.applications.convnext's (ConvNeXt's residual scales): all arguments"};
}

}  // namespace cairn::config_detail
