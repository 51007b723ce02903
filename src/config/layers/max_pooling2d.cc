// keras.layers.MaxPooling2D's config.
#include "cairn/layers/max_pooling2d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass max_pooling2d_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const MaxPooling2D& p = as<MaxPooling2D>(layer);
    return {{"pool_size", pair_config(p.pool_size())},
            {"padding", p.padding()},
            {"strides", pair_config(p.strides())},
            {"data_format", "channels_last"}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("MaxPooling2D", name));
    const std::array<int, 2> pool_size = r.pair("pool_size", std::array<int, 2>{2, 2});
    MaxPooling2DOptions options;
    options.padding = r.string("padding", "valid");
    if (r.has("strides") && !config["strides"].is_null())
      options.strides = r.pair("strides");
    else
      r.ignore("strides");  // null: the pool size, as in Keras
    require_channels_last(r);
    options.name = name;
    r.finish();
    return std::make_shared<MaxPooling2D>(pool_size, options);
  };
  return {"MaxPooling2D", write, read, "channels_last, padding valid or same"};
}

}  // namespace cairn::config_detail
