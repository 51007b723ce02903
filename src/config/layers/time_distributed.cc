// keras.layers.TimeDistributed's config: the wrapped layer's own config.
#include "cairn/layers/time_distributed.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass time_distributed_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"layer", layer_config(*as<TimeDistributed>(layer).layer())}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("TimeDistributed", name));
    LayerPtr inner = layer_from_config(r.take_required("layer"));
    r.finish();
    return std::make_shared<TimeDistributed>(inner, name);
  };
  return {"TimeDistributed", write, read, "any registered layer of one input; a mask passes through and reaches the wrapped layer with the steps"};
}

}  // namespace cairn::config_detail
