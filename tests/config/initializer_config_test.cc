// Every registered initializer's Keras config round trips through a layer's config, in Keras 2 and
// Keras 3 forms, with its arguments and seed.
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/initializers.h"
#include "cairn/layers/dense.h"

namespace cairn {
namespace {

TEST(InitializerConfig, EveryRegisteredInitializerRoundTripsThroughADenseConfig) {
  for (const InitializerRegistration& entry : initializer_registry()) {
    SCOPED_TRACE(entry.class_name);
    const InitializerPtr initializer = get_initializer(entry.identifiers.front());
    auto dense = std::make_shared<Dense>(3, DenseOptions{.kernel_initializer = initializer});
    const Json config = layer_config(*dense);
    EXPECT_EQ(config["config"]["kernel_initializer"]["class_name"], entry.class_name);
    EXPECT_EQ(layer_config(*layer_from_config(config)), config) << config.dump();
  }
  // Keras 3's form with a seed and its arguments.
  const Json keras3 = Json::parse(R"({"class_name": "Dense", "config": {"name": "d", "units": 2,
      "kernel_initializer": {"module": "keras.initializers", "class_name": "VarianceScaling",
      "config": {"seed": 3, "scale": 2.0, "mode": "fan_out", "distribution": "uniform", "input_axes": null,
      "output_axes": null}, "registered_name": null},
      "bias_initializer": {"module": "keras.initializers", "class_name": "Constant", "config": {"value": 0.5},
      "registered_name": null}}})");
  const Json written = layer_config(*layer_from_config(keras3));
  EXPECT_EQ(written["config"]["kernel_initializer"]["config"]["mode"], "fan_out");
  EXPECT_EQ(written["config"]["kernel_initializer"]["config"]["seed"], 3);
  EXPECT_EQ(written["config"]["bias_initializer"]["config"]["value"], 0.5);
}

}  // namespace
}  // namespace cairn
