// keras.layers.Conv2D's config.
#include "cairn/layers/conv2d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass conv2d_layer_class() {
  auto write = [](const Layer& layer) {
    const Conv2D& c = as<Conv2D>(layer);
    return with_kernel_and_bias({{"filters", c.filters()},
                                 {"kernel_size", pair_config(c.kernel_size())},
                                 {"strides", pair_config(c.strides())},
                                 {"padding", c.padding()},
                                 {"data_format", "channels_last"},
                                 {"dilation_rate", pair_config(c.dilation_rate())},
                                 {"groups", c.groups()}},
                                c);
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Conv2D", name));
    const int64_t filters = r.dimension("filters");
    const std::array<int, 2> kernel_size = r.pair("kernel_size");
    Conv2DOptions options;
    options.strides = r.pair("strides", std::array<int, 2>{1, 1});
    options.padding = r.string("padding", "valid");
    require_channels_last(r);
    options.dilation_rate = r.pair("dilation_rate", std::array<int, 2>{1, 1});
    options.groups = static_cast<int>(r.integer_in("groups", 1, kMaxConfigDimension, 1));
    read_kernel_and_bias(r, options);
    options.name = name;
    r.finish();
    return std::make_shared<Conv2D>(filters, kernel_size, options);
  };
  return {"Conv2D", write, read, "channels_last, padding valid or same, dilation_rate, groups"};
}

}  // namespace cairn::config_detail
