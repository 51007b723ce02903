// Which Keras generation an optimizer config is of: the legacy optimizers (TF 2.0-2.10,
// tf.keras.optimizers.legacy, Keras 2.2) add Adagrad's and RMSprop's epsilon after the square root, the
// current ones (tf.keras 2.11+, Keras 3) under it; the config says which, and cairn's says it back.
#include <gtest/gtest.h>

#include "cairn/config.h"

namespace cairn {
namespace {

bool legacy_of(const std::string& json) {
  const OptimizerPtr optimizer = optimizer_from_config(Json::parse(json));
  if (const auto* rmsprop = dynamic_cast<const RMSprop*>(optimizer.get())) return rmsprop->legacy();
  if (const auto* adagrad = dynamic_cast<const Adagrad*>(optimizer.get())) return adagrad->legacy();
  ADD_FAILURE() << "not an RMSprop or Adagrad: " << json;
  return false;
}

TEST(OptimizerGeneration, TheConfigSaysWhetherTheOptimizerIsLegacy) {
  // Keras 3 (no "decay", no "is_legacy_optimizer").
  EXPECT_FALSE(legacy_of(R"({"class_name": "RMSprop", "config": {"name": "rm_sprop", "learning_rate": 0.01,
      "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false,
      "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
      "gradient_accumulation_steps": null, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": false}})"));
  // tf.keras 2.11+'s current optimizers say so.
  EXPECT_FALSE(legacy_of(R"({"class_name": "Custom>RMSprop", "config": {"name": "RMSprop", "jit_compile": false,
      "is_legacy_optimizer": false, "learning_rate": 0.01, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07,
      "centered": false}})"));
  EXPECT_TRUE(legacy_of(R"({"class_name": "Adagrad", "config": {"name": "Adagrad", "is_legacy_optimizer": true,
      "learning_rate": 0.01, "decay": 0.0, "initial_accumulator_value": 0.1, "epsilon": 1e-07}})"));
  // TF 2.0-2.10 and tf.keras.optimizers.legacy write "decay"; Keras 2.2 "lr" and "decay".
  EXPECT_TRUE(legacy_of(R"({"class_name": "RMSprop", "config": {"name": "RMSprop", "learning_rate": 0.01,
      "decay": 0.0, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": false}})"));
  EXPECT_TRUE(legacy_of(R"({"class_name": "Adagrad", "config": {"lr": 0.01, "epsilon": 1e-07, "decay": 0.0}})"));
  EXPECT_FALSE(legacy_of(R"({"class_name": "Adagrad", "config": {"learning_rate": 0.01}})"));
}

TEST(OptimizerGeneration, CairnsConfigKeepsTheGeneration) {
  for (const bool legacy : {false, true}) {
    const RMSprop rmsprop(0.01, 0.9, 0.0, 1e-7, false, 0.0, legacy);
    const Adagrad adagrad(0.01, 0.1, 1e-7, 0.0, legacy);
    for (const Optimizer* optimizer : {static_cast<const Optimizer*>(&rmsprop), static_cast<const Optimizer*>(&adagrad)}) {
      const Json config = optimizer_config(*optimizer);
      // A legacy optimizer writes "decay" (as Keras's legacy ones did), a current one does not (tf-keras's
      // current optimizers refuse it).
      EXPECT_EQ(config["config"].contains("decay"), legacy) << config.dump();
      EXPECT_EQ(legacy_of(config.dump()), legacy) << config.dump();
    }
  }
}

// Keras writes an optimizer's hyperparameters as floats, and Keras 3's SGD refuses an integer momentum.
TEST(OptimizerGeneration, HyperparametersAreWrittenAsFloats) {
  const Json sgd = optimizer_config(SGD(0.1))["config"];
  EXPECT_TRUE(sgd["momentum"].is_number_float()) << sgd.dump();
  EXPECT_EQ(sgd["momentum"].dump(), "0.0");
  EXPECT_TRUE(optimizer_config(RMSprop())["config"]["momentum"].is_number_float());
}

}  // namespace
}  // namespace cairn
