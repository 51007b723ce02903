// The configs of keras.layers.AveragePooling1D and AveragePooling2D.
#include "cairn/layers/average_pooling.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass average_pooling1d_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const AveragePooling1D& p = as<AveragePooling1D>(layer);
    return {{"pool_size", Json::array({p.pool_size()})},
            {"padding", p.padding()},
            {"strides", Json::array({p.strides()})},
            {"data_format", "channels_last"}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("AveragePooling1D", name));
    const int pool_size = single(r, "pool_size", 2);
    AveragePooling1DOptions options;
    options.padding = r.string("padding", "valid");
    if (r.has("strides") && !config["strides"].is_null())
      options.strides = single(r, "strides");
    else
      r.ignore("strides");  // null: the pool size, as in Keras
    require_channels_last(r);
    options.name = name;
    r.finish();
    return std::make_shared<AveragePooling1D>(pool_size, options);
  };
  return {"AveragePooling1D", write, read, "channels_last, padding valid or same"};
}

LayerClass average_pooling2d_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const AveragePooling2D& p = as<AveragePooling2D>(layer);
    return {{"pool_size", pair_config(p.pool_size())},
            {"padding", p.padding()},
            {"strides", pair_config(p.strides())},
            {"data_format", "channels_last"}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("AveragePooling2D", name));
    const std::array<int, 2> pool_size = r.pair("pool_size", std::array<int, 2>{2, 2});
    AveragePooling2DOptions options;
    options.padding = r.string("padding", "valid");
    if (r.has("strides") && !config["strides"].is_null())
      options.strides = r.pair("strides");
    else
      r.ignore("strides");  // null: the pool size, as in Keras
    require_channels_last(r);
    options.name = name;
    r.finish();
    return std::make_shared<AveragePooling2D>(pool_size, options);
  };
  return {"AveragePooling2D", write, read, "channels_last, padding valid or same"};
}

}  // namespace cairn::config_detail
