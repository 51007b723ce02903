// The configs of keras.layers.MaxPooling1D/2D and AveragePooling1D/2D, which share their keys.
#include <type_traits>

#include "cairn/layers/average_pooling.h"
#include "cairn/layers/max_pooling1d.h"
#include "cairn/layers/max_pooling2d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

// Size is int (1D) or std::array<int, 2> (2D): Keras writes both as lists.
template <class Size>
Json size_config(Size size) {
  if constexpr (std::is_same_v<Size, int>)
    return Json::array({size});
  else
    return pair_config(size);
}

template <class Size>
Size read_size(ConfigReader& r, const std::string& key, std::optional<Size> fallback = std::nullopt) {
  if constexpr (std::is_same_v<Size, int>)
    return single(r, key, fallback);
  else
    return r.pair(key, fallback);
}

// PoolingLayer is a Pooling1D or Pooling2D constructible from (pool_size, Options); Keras's default
// pool_size is 2 in each dimension.
template <class PoolingLayer, class Options, class Size = typename decltype(Options::strides)::value_type>
LayerClass pooling_layer_class(const std::string& class_name, Size default_pool_size) {
  auto write = [](const Layer& layer) -> Json {
    const PoolingLayer& p = as<PoolingLayer>(layer);
    return {{"pool_size", size_config(p.pool_size())},
            {"padding", p.padding()},
            {"strides", size_config(p.strides())},
            {"data_format", "channels_last"}};
  };
  auto read = [class_name, default_pool_size](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe(class_name, name));
    const Size pool_size = read_size<Size>(r, "pool_size", default_pool_size);
    Options options;
    options.padding = r.string("padding", "valid");
    if (r.has("strides") && !config["strides"].is_null())
      options.strides = read_size<Size>(r, "strides");
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
  return pooling_layer_class<MaxPooling1D, MaxPooling1DOptions>("MaxPooling1D", 2);
}

LayerClass max_pooling2d_layer_class() {
  return pooling_layer_class<MaxPooling2D, MaxPooling2DOptions>("MaxPooling2D", {2, 2});
}

LayerClass average_pooling1d_layer_class() {
  return pooling_layer_class<AveragePooling1D, AveragePooling1DOptions>("AveragePooling1D", 2);
}

LayerClass average_pooling2d_layer_class() {
  return pooling_layer_class<AveragePooling2D, AveragePooling2DOptions>("AveragePooling2D", {2, 2});
}

}  // namespace cairn::config_detail
