// The configs of keras.layers' Multiply, Subtract, Average, Maximum and Minimum: no keys of their own.
#include "cairn/layers/elementwise_merge.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

template <class L>
LayerClass merge_class(const std::string& class_name, const std::string& support) {
  auto write = [](const Layer& layer) {
    as<L>(layer);
    return Json::object();
  };
  auto read = [class_name](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe(class_name, name));
    r.finish();
    return std::make_shared<L>(name);
  };
  return {class_name, write, read, support};
}

}  // namespace

LayerClass multiply_layer_class() { return merge_class<Multiply>("Multiply", "inputs of one shape, or that broadcast (size 1, lower rank)"); }
LayerClass subtract_layer_class() { return merge_class<Subtract>("Subtract", "two inputs of one shape, or that broadcast (size 1, lower rank)"); }
LayerClass average_layer_class() { return merge_class<Average>("Average", "inputs of one shape, or that broadcast (size 1, lower rank)"); }
LayerClass maximum_layer_class() { return merge_class<Maximum>("Maximum", "inputs of one shape, or that broadcast (size 1, lower rank)"); }
LayerClass minimum_layer_class() { return merge_class<Minimum>("Minimum", "inputs of one shape, or that broadcast (size 1, lower rank)"); }

}  // namespace cairn::config_detail
