// keras.layers.Conv1DTranspose's config.
#include "cairn/layers/conv1d_transpose.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass conv1d_transpose_layer_class() {
  auto write = [](const Layer& layer) {
    const Conv1DTranspose& c = as<Conv1DTranspose>(layer);
    return with_kernel_and_bias(
        {{"filters", c.filters()},
         {"kernel_size", Json::array({c.kernel_size()})},
         {"strides", Json::array({c.strides()})},
         {"padding", c.padding()},
         {"output_padding", c.output_padding() ? Json::array({*c.output_padding()}) : Json(nullptr)},
         {"data_format", "channels_last"},
         {"dilation_rate", Json::array({c.dilation_rate()})}},
        c);
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Conv1DTranspose", name));
    const int64_t filters = r.dimension("filters");
    const int kernel_size = single(r, "kernel_size");
    Conv1DTransposeOptions options;
    options.strides = single(r, "strides", 1);
    options.padding = r.string("padding", "valid");
    // null, n or [n], below the stride (the layer checks that): single() takes only positive sizes.
    if (const Json* value = r.take("output_padding"); value && !value->is_null()) {
      const Json& v = unwrap_tuple(*value);
      const Json& n = v.is_array() && v.size() == 1 ? v[0] : v;
      if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() >= kMaxConfigDimension)
        r.fail("output_padding must be null, a non-negative integer or a list of one, got " + show(*value));
      options.output_padding = n.get<int>();
    }
    require_channels_last(r);
    options.dilation_rate = single(r, "dilation_rate", 1);
    // tf.keras 2 writes its Conv base class's groups, always 1 for this class.
    r.require("groups", {kNull, 1}, "tf.keras's Conv1DTranspose has no grouped form");
    read_kernel_and_bias(r, options);
    options.name = name;
    r.finish();
    return std::make_shared<Conv1DTranspose>(filters, kernel_size, options);
  };
  return {"Conv1DTranspose", write, read,
          "channels_last, padding valid or same, output_padding; dilation_rate with strides 1 (as Keras; the dilated "
          "form checked as Conv1D's adjoint only, as Conv2DTranspose's)"};
}

}  // namespace cairn::config_detail
