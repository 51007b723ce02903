// keras.layers.Rescaling's config.
#include "cairn/layers/rescaling.h"
#include "layer_registry.h"
#include "number_arrays.h"

namespace cairn::config_detail {

LayerClass rescaling_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Rescaling& r = as<Rescaling>(layer);
    return {{"scale", number_array_config(r.scale())}, {"offset", number_array_config(r.offset())}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Rescaling", name));
    // A number, or a list per channel (EfficientNet's with ImageNet weights).
    const Tensor scale = number_array_from_config(r, "scale", r.take_required("scale"));
    const Json* offset = r.take("offset");
    const Tensor shift = offset && !offset->is_null() ? number_array_from_config(r, "offset", *offset)
                                                      : Tensor::scalar(0.0, DType::Float64);
    r.finish();
    return std::make_shared<Rescaling>(scale, shift, name);
  };
  return {"Rescaling", write, read, "scale and offset: numbers or per-channel arrays"};
}

}  // namespace cairn::config_detail
