// keras.layers.DepthwiseConv2D's config.
#include "cairn/layers/depthwise_conv2d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass depthwise_conv2d_layer_class() {
  auto write = [](const Layer& layer) {
    const DepthwiseConv2D& c = as<DepthwiseConv2D>(layer);
    return Json{{"depth_multiplier", c.depth_multiplier()},
                {"kernel_size", pair_config(c.kernel_size())},
                {"strides", pair_config(c.strides())},
                {"padding", c.padding()},
                {"data_format", "channels_last"},
                {"dilation_rate", pair_config(c.dilation_rate())},
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
    ConfigReader r(config, describe("DepthwiseConv2D", name));
    const std::array<int, 2> kernel_size = r.pair("kernel_size");
    DepthwiseConv2DOptions options;
    options.depth_multiplier = static_cast<int>(r.integer_in("depth_multiplier", 1, kMaxConfigDimension, 1));
    options.strides = r.pair("strides", std::array<int, 2>{1, 1});
    options.padding = r.string("padding", "valid");
    require_channels_last(r);
    options.dilation_rate = r.pair("dilation_rate", std::array<int, 2>{1, 1});
    // tf.keras 2 writes its Conv base class's groups, always 1 for this class.
    r.require("groups", {kNull, 1}, "tf.keras's DepthwiseConv2D has no grouped form");
    options.activation = r.activation("activation", "linear");
    options.use_bias = r.boolean("use_bias", true);
    options.depthwise_initializer = r.initializer("depthwise_initializer", options.depthwise_initializer);
    options.bias_initializer = r.initializer("bias_initializer", options.bias_initializer);
    require_null(r, {"depthwise_regularizer", "bias_regularizer", "depthwise_constraint", "bias_constraint"});
    options.name = name;
    r.finish();
    return std::make_shared<DepthwiseConv2D>(kernel_size, options);
  };
  return {"DepthwiseConv2D", write, read,
          "channels_last, padding valid or same, depth_multiplier, dilation_rate (also with strides)"};
}

}  // namespace cairn::config_detail
