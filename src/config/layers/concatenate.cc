// keras.layers.Concatenate's config.
#include <limits>

#include "cairn/layers/merge.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass concatenate_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"axis", as<Concatenate>(layer).axis()}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Concatenate", name));
    const int64_t axis = r.integer_in("axis", std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), -1);
    r.finish();
    return std::make_shared<Concatenate>(static_cast<int>(axis), name);
  };
  return {"Concatenate", write, read, "any axis; the output's mask from the inputs' masks, as Keras 3"};
}

}  // namespace cairn::config_detail
