// The configs of keras.layers.MaxPooling1D/2D and AveragePooling1D/2D, which share their keys.
#include "cairn/layers/average_pooling.h"
#include "cairn/layers/max_pooling1d.h"
#include "cairn/layers/max_pooling2d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

// PoolingLayer is a Pooling1D constructible from (int pool_size, Options).
template <class PoolingLayer, class Options>
LayerClass pooling1d_layer_class(const std::string& class_name) {
  auto write = [](const Layer& layer) -> Json {
    const PoolingLayer& p = as<PoolingLayer>(layer);
    return {{"pool_size", Json::array({p.pool_size()})},
            {"padding", p.padding()},
            {"strides", Json::array({p.strides()})},
            {"data_format", "channels_last"}};
  };
  auto read = [class_name](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe(class_name, name));
    const int pool_size = single(r, "pool_size", 2);
    Options options;
    options.padding = r.string("padding", "valid");
    if (r.has("strides") && !config["strides"].is_null())
      options.strides = single(r, "strides");
    else
      r.ignore("strides");  // null: the pool size, as in Keras
    require_channels_last(r);
    options.name = name;
    r.finish();
    return std::make_shared<PoolingLayer>(pool_size, options);
  };
  return {class_name, write, read, "channels_last, padding valid or same"};
}

// PoolingLayer is a Pooling2D constructible from (std::array<int, 2> pool_size, Options).
template <class PoolingLayer, class Options>
LayerClass pooling2d_layer_class(const std::string& class_name) {
  auto write = [](const Layer& layer) -> Json {
    const PoolingLayer& p = as<PoolingLayer>(layer);
    return {{"pool_size", pair_config(p.pool_size())},
            {"padding", p.padding()},
            {"strides", pair_config(p.strides())},
            {"data_format", "channels_last"}};
  };
  auto read = [class_name](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe(class_name, name));
    const std::array<int, 2> pool_size = r.pair("pool_size", std::array<int, 2>{2, 2});
    Options options;
    options.padding = r.string("padding", "valid");
    if (r.has("strides") && !config["strides"].is_null())
      options.strides = r.pair("strides");
    else
      r.ignore("strides");  // null: the pool size, as in Keras
    require_channels_last(r);
    options.name = name;
    r.finish();
    return std::make_shared<PoolingLayer>(pool_size, options);
  };
  return {class_name, write, read, "channels_last, padding valid or same"};
}

}  // namespace

LayerClass max_pooling1d_layer_class() {
  return pooling1d_layer_class<MaxPooling1D, MaxPooling1DOptions>("MaxPooling1D");
}

LayerClass max_pooling2d_layer_class() {
  return pooling2d_layer_class<MaxPooling2D, MaxPooling2DOptions>("MaxPooling2D");
}

LayerClass average_pooling1d_layer_class() {
  return pooling1d_layer_class<AveragePooling1D, AveragePooling1DOptions>("AveragePooling1D");
}

LayerClass average_pooling2d_layer_class() {
  return pooling2d_layer_class<AveragePooling2D, AveragePooling2DOptions>("AveragePooling2D");
}

}  // namespace cairn::config_detail
