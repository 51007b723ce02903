// keras.layers.Conv1D's config.
#include "cairn/layers/conv1d.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass conv1d_layer_class() {
  auto write = [](const Layer& layer) {
    const Conv1D& c = as<Conv1D>(layer);
    return with_kernel_and_bias({{"filters", c.filters()},
                                 {"kernel_size", Json::array({c.kernel_size()})},
                                 {"strides", Json::array({c.strides()})},
                                 {"padding", c.padding()},
                                 {"data_format", "channels_last"},
                                 {"dilation_rate", Json::array({c.dilation_rate()})},
                                 {"groups", c.groups()}},
                                c);
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Conv1D", name));
    const int64_t filters = r.dimension("filters");
    const int kernel_size = single(r, "kernel_size");
    Conv1DOptions options;
    options.strides = single(r, "strides", 1);
    options.padding = r.string("padding", "valid");
    require_channels_last(r);
    options.dilation_rate = single(r, "dilation_rate", 1);
    options.groups = static_cast<int>(r.integer_in("groups", 1, kMaxConfigDimension, 1));
    read_kernel_and_bias(r, options);
    options.name = name;
    r.finish();
    return std::make_shared<Conv1D>(filters, kernel_size, options);
  };
  return {"Conv1D", write, read, "channels_last, padding valid, same or causal, dilation_rate, groups"};
}

}  // namespace cairn::config_detail
