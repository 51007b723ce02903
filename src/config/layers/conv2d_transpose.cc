// keras.layers.Conv2DTranspose's config.
#include "cairn/layers/conv2d_transpose.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass conv2d_transpose_layer_class() {
  auto write = [](const Layer& layer) {
    const Conv2DTranspose& c = as<Conv2DTranspose>(layer);
    return with_kernel_and_bias(
        {{"filters", c.filters()},
         {"kernel_size", pair_config(c.kernel_size())},
         {"strides", pair_config(c.strides())},
         {"padding", c.padding()},
         {"output_padding", c.output_padding() ? pair_config(*c.output_padding()) : Json(nullptr)},
         {"data_format", "channels_last"},
         {"dilation_rate", pair_config(c.dilation_rate())}},
        c);
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Conv2DTranspose", name));
    const int64_t filters = r.dimension("filters");
    const std::array<int, 2> kernel_size = r.pair("kernel_size");
    Conv2DTransposeOptions options;
    options.strides = r.pair("strides", std::array<int, 2>{1, 1});
    options.padding = r.string("padding", "valid");
    // null, n or (a, b), each below its stride (the layer checks that): pair() takes only positive sizes.
    if (const Json* value = r.take("output_padding"); value && !value->is_null()) {
      const Json& v = unwrap_tuple(*value);
      auto size = [](const Json& n) {
        return n.is_number_integer() && n.get<int64_t>() >= 0 && n.get<int64_t>() < kMaxConfigDimension;
      };
      if (size(v))
        options.output_padding = std::array<int, 2>{v.get<int>(), v.get<int>()};
      else if (v.is_array() && v.size() == 2 && size(v[0]) && size(v[1]))
        options.output_padding = std::array<int, 2>{v[0].get<int>(), v[1].get<int>()};
      else
        r.fail("output_padding must be null, an integer or two non-negative integers, got " + value->dump());
    }
    require_channels_last(r);
    options.dilation_rate = r.pair("dilation_rate", std::array<int, 2>{1, 1});
    // tf.keras 2 writes its Conv base class's groups, always 1 for this class.
    r.require("groups", {kNull, 1}, "tf.keras's Conv2DTranspose has no grouped form");
    read_kernel_and_bias(r, options);
    options.name = name;
    r.finish();
    return std::make_shared<Conv2DTranspose>(filters, kernel_size, options);
  };
  return {"Conv2DTranspose", write, read,
          "channels_last, padding valid or same, output_padding; dilation_rate with strides 1 (as Keras), checked "
          "as Conv2D's adjoint only: TensorFlow has no CPU kernel for it to compare with"};
}

}  // namespace cairn::config_detail
