// keras.layers.MaxPooling1D's config.
#include "cairn/layers/max_pooling1d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass max_pooling1d_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const MaxPooling1D& p = as<MaxPooling1D>(layer);
    return {{"pool_size", Json::array({p.pool_size()})},
            {"padding", p.padding()},
            {"strides", Json::array({p.strides()})},
            {"data_format", "channels_last"}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("MaxPooling1D", name));
    const int pool_size = single(r, "pool_size", 2);
    MaxPooling1DOptions options;
    options.padding = r.string("padding", "valid");
    if (r.has("strides") && !config["strides"].is_null())
      options.strides = single(r, "strides");
    else
      r.ignore("strides");  // null: the pool size, as in Keras
    require_channels_last(r);
    options.name = name;
    r.finish();
    return std::make_shared<MaxPooling1D>(pool_size, options);
  };
  return {"MaxPooling1D", write, read, "channels_last, padding valid or same"};
}

}  // namespace cairn::config_detail
