// The configs of keras.layers.GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D.
#include "cairn/layers/global_pooling.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

template <class L>
LayerClass global_pooling_class(const std::string& class_name, const std::string& support) {
  auto write = [](const Layer& layer) -> Json {
    return {{"data_format", "channels_last"}, {"keepdims", as<L>(layer).keepdims()}};
  };
  auto read = [class_name](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe(class_name, name));
    require_channels_last(r);
    const bool keepdims = r.boolean("keepdims", false);
    r.finish();
    return std::make_shared<L>(keepdims, name);
  };
  return {class_name, write, read, support};
}

}  // namespace

LayerClass global_average_pooling1d_layer_class() {
  return global_pooling_class<GlobalAveragePooling1D>("GlobalAveragePooling1D",
                                                      "channels_last, keepdims; a mask: the mean of the unmasked steps");
}
LayerClass global_average_pooling2d_layer_class() {
  return global_pooling_class<GlobalAveragePooling2D>("GlobalAveragePooling2D", "channels_last, keepdims");
}
LayerClass global_max_pooling1d_layer_class() {
  return global_pooling_class<GlobalMaxPooling1D>("GlobalMaxPooling1D", "channels_last, keepdims; a mask is ignored, as in Keras 3");
}
LayerClass global_max_pooling2d_layer_class() {
  return global_pooling_class<GlobalMaxPooling2D>("GlobalMaxPooling2D", "channels_last, keepdims");
}

}  // namespace cairn::config_detail
