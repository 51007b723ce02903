// keras.layers.Dense's config.
#include "cairn/layers/dense.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass dense_layer_class() {
  auto write = [](const Layer& layer) {
    const Dense& d = as<Dense>(layer);
    return with_kernel_and_bias({{"units", d.units()}}, d);
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Dense", name));
    const int64_t units = r.dimension("units");
    DenseOptions options;
    read_kernel_and_bias(r, options);
    options.name = name;
    r.finish();
    return std::make_shared<Dense>(units, options);
  };
  return {"Dense", write, read, "all arguments; regularizers, constraints and LoRA only as null"};
}

}  // namespace cairn::config_detail
