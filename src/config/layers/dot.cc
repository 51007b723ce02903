// keras.layers.Dot's config.
#include "cairn/layers/dot.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass dot_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Dot& dot = as<Dot>(layer);
    const Json axes = dot.axes().size() == 1 ? Json(dot.axes()[0]) : Json(dot.axes());
    return {{"axes", axes}, {"normalize", dot.normalize()}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Dot", name));
    const Json& axes = unwrap_tuple(r.take_required("axes"));
    const bool normalize = r.boolean("normalize", false);
    r.finish();
    if (axes.is_number_integer()) return std::make_shared<Dot>(axes.get<int>(), normalize, name);
    if (!axes.is_array() || axes.size() != 2 || !axes[0].is_number_integer() || !axes[1].is_number_integer())
      r.unsupported("axes", axes, "Keras takes an integer or two integers");
    return std::make_shared<Dot>(std::array<int, 2>{axes[0].get<int>(), axes[1].get<int>()}, normalize, name);
  };
  return {"Dot", write, read, "two inputs, one axis of each"};
}

}  // namespace cairn::config_detail
