// compile's weighted_metrics in training configs: read from the compile_config Keras 3 wrote
// (tests/fixtures/keras3/masks_compile_config.json, from tests/conformance/generate_masks_fit.py) and
// written back in the same place, for one output and by output name for several.
#include <gtest/gtest.h>

#include <fstream>

#include "cairn/config.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"

namespace cairn {
namespace {

std::vector<std::string> names_of(const std::vector<MetricSpec>& metrics) {
  std::vector<std::string> names;
  for (const MetricSpec& metric : metrics) names.push_back(metric.name);
  return names;
}

TEST(WeightedMetricsConfig, Keras3CompileConfigReadsAndWritesBack) {
  std::ifstream in(std::string(CAIRN_FIXTURES_DIR) + "/keras3/masks_compile_config.json");
  ASSERT_TRUE(in);
  const Json keras = Json::parse(in);
  const CompileOptions options = compile_options_from_training_config(keras);
  const std::vector<std::string> weighted{"accuracy", "auc", "precision", "recall", "mse", "root_mean_squared_error"};
  EXPECT_EQ(names_of(options.metrics), std::vector<std::string>{"accuracy"});
  EXPECT_EQ(names_of(options.weighted_metrics), weighted);
  // AUC(num_thresholds=20) is not the "auc" identifier's: it stays an object with its arguments.
  ASSERT_TRUE(options.weighted_metrics[1].object);
  EXPECT_EQ(options.weighted_metrics[1].object->get_config(), AUC(20).get_config());

  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{make_dense(1, {.activation = "sigmoid"})}, Shape{4});
  model->compile(options);
  const Json written = training_config(*model);
  ASSERT_TRUE(written["weighted_metrics"].is_array());
  EXPECT_EQ(written["weighted_metrics"].size(), weighted.size());
  const CompileOptions back = compile_options_from_training_config(written);
  EXPECT_EQ(names_of(back.weighted_metrics), weighted);
  EXPECT_EQ(names_of(back.metrics), std::vector<std::string>{"accuracy"});
}

TEST(WeightedMetricsConfig, SeveralOutputsByNameAndNullWhenNone) {
  SymbolicTensor in = Input({3}, "features");
  SymbolicTensor flag = (*make_dense(1, {.activation = "sigmoid", .name = "flag"}))(in);
  SymbolicTensor score = (*make_dense(1, {.name = "score"}))(in);
  auto model = std::make_shared<Functional>(std::vector<SymbolicTensor>{in}, std::vector<SymbolicTensor>{flag, score});
  model->compile({.optimizer = "sgd", .output_losses = {{"flag", "binary_crossentropy"}, {"score", "mse"}},
                  .output_weighted_metrics = {{"flag", {"accuracy"}}}});
  const Json written = training_config(*model);
  EXPECT_EQ(written["weighted_metrics"].dump(), R"({"flag":["accuracy"]})");
  EXPECT_TRUE(written["metrics"].is_null());
  const CompileOptions back = compile_options_from_training_config(written);
  ASSERT_EQ(back.output_weighted_metrics.by_name().count("flag"), 1u);
  EXPECT_EQ(names_of(back.output_weighted_metrics.by_name().at("flag")), std::vector<std::string>{"accuracy"});

  model->compile({.optimizer = "sgd", .output_losses = {{"flag", "binary_crossentropy"}, {"score", "mse"}}});
  EXPECT_TRUE(training_config(*model)["weighted_metrics"].is_null());
}

}  // namespace
}  // namespace cairn
