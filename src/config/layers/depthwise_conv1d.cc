// keras.layers.DepthwiseConv1D's config.
#include "cairn/layers/depthwise_conv1d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass depthwise_conv1d_layer_class() {
  auto write = [](const Layer& layer) {
    const DepthwiseConv1D& c = as<DepthwiseConv1D>(layer);
    return Json{{"depth_multiplier", c.depth_multiplier()},
                {"kernel_size", Json::array({c.kernel_size()})},
                {"strides", Json::array({c.strides()})},
                {"padding", c.padding()},
                {"data_format", "channels_last"},
                {"dilation_rate", Json::array({c.dilation_rate()})},
                {"activation", activation_name(c.activation())},
                {"use_bias", c.use_bias()},
                {"depthwise_initializer", initializer_config(*c.options().depthwise_initializer)},
                {"bias_initializer", initializer_config(*c.options().bias_initializer)},
                {"depthwise_regularizer", nullptr},
                {"bias_regularizer", nullptr},
                {"activity_regularizer", nullptr},
                {"depthwise_constraint", nullptr},
                {"bias_constraint", nullptr}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("DepthwiseConv1D", name));
    const int kernel_size = single(r, "kernel_size");
    DepthwiseConv1DOptions options;
    options.depth_multiplier = static_cast<int>(r.integer_in("depth_multiplier", 1, kMaxConfigDimension, 1));
    options.strides = single(r, "strides", 1);
    options.padding = r.string("padding", "valid");
    require_channels_last(r);
    options.dilation_rate = single(r, "dilation_rate", 1);
    // tf.keras 2 writes its Conv base class's groups, always 1 for this class.
    r.require("groups", {kNull, 1}, "tf.keras's DepthwiseConv1D has no grouped form");
    options.activation = r.activation("activation", "linear");
    options.use_bias = r.boolean("use_bias", true);
    options.depthwise_initializer = r.initializer("depthwise_initializer", options.depthwise_initializer);
    options.bias_initializer = r.initializer("bias_initializer", options.bias_initializer);
    require_null(r, {"depthwise_regularizer", "bias_regularizer", "depthwise_constraint", "bias_constraint"});
    options.name = name;
    r.finish();
    return std::make_shared<DepthwiseConv1D>(kernel_size, options);
  };
  return {"DepthwiseConv1D", write, read,
          "channels_last, padding valid or same, depth_multiplier, dilation_rate (also with strides)"};
}

}  // namespace cairn::config_detail
