// A compiled model with several outputs keeps each output's loss, loss weight and metrics through
// save_model / load_model (.keras compile_config and .h5 training_config).
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/keras_io.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"
#include "temp_dir.h"

namespace cairn {
namespace {

std::shared_ptr<Functional> two_output_model() {
  clear_session();
  set_random_seed(5);
  SymbolicTensor x = Input({3}, "x");
  SymbolicTensor h = (*std::make_shared<Dense>(4, DenseOptions{.name = "h"}))(x);
  SymbolicTensor flag = (*std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid", .name = "flag"}))(h);
  SymbolicTensor score = (*std::make_shared<Dense>(2, DenseOptions{.name = "score"}))(h);
  return std::make_shared<Functional>(std::vector<SymbolicTensor>{x}, std::vector<SymbolicTensor>{flag, score}, "two");
}

std::vector<std::string> metric_names(const std::vector<MetricSpec>& specs) {
  std::vector<std::string> names;
  for (const MetricSpec& spec : specs) names.push_back(spec.name);
  return names;
}

TEST(MultiOutputCompile, LossesWeightsAndMetricsSurviveSaveAndLoad) {
  testing::TempDir dir;
  for (const std::string file : {"two.keras", "two.h5"}) {
    SCOPED_TRACE(file);
    auto model = two_output_model();
    model->compile({.optimizer = "adam",
                    .output_losses = {{"flag", "binary_crossentropy"}, {"score", std::make_shared<MeanAbsoluteError>()}},
                    .loss_weights = {{"flag", 0.5}, {"score", 2.0}},
                    .output_metrics = std::map<std::string, std::vector<MetricSpec>>{{"flag", {"accuracy"}},
                                                                                    {"score", {"mse"}}}});
    const Tensor x = Tensor::from_vector<float>({4, 3}, {1, 2, 3, -1, 0, 2, 0.5, -2, 1, 3, 1, -1});
    const Tensor flags = Tensor::from_vector<float>({4, 1}, {1, 0, 1, 0});
    const Tensor scores = Tensor::from_vector<float>({4, 2}, {0.5, 1, -1, 2, 0, 0, 1, 1});
    const Logs before = model->evaluate(x, {flags, scores}, {.verbose = 0});

    const std::string path = dir / file;
    save_model(*model, path);
    const std::shared_ptr<Model> loaded = load_model(path);
    ASSERT_TRUE(loaded->compiled());
    ASSERT_EQ(loaded->compiled_output_names(), (std::vector<std::string>{"flag", "score"}));
    EXPECT_EQ(loaded->compiled_losses()[0]->class_name(), "BinaryCrossentropy");
    EXPECT_EQ(loaded->compiled_losses()[1]->class_name(), "MeanAbsoluteError");
    EXPECT_EQ(loaded->compiled_loss_weights()[0], 0.5);
    EXPECT_EQ(loaded->compiled_loss_weights()[1], 2.0);
    EXPECT_EQ(metric_names(loaded->compiled_output_metric_specs()[0]), std::vector<std::string>{"accuracy"});
    EXPECT_EQ(metric_names(loaded->compiled_output_metric_specs()[1]), std::vector<std::string>{"mse"});
    // The same losses, weighted the same, and the same metrics under the same log keys.
    const Logs after = loaded->evaluate(x, {flags, scores}, {.verbose = 0});
    ASSERT_EQ(after.size(), before.size());
    for (const auto& [key, value] : before) {
      ASSERT_TRUE(after.count(key)) << key;
      EXPECT_FLOAT_EQ(after.at(key), value) << key;
    }
    EXPECT_FLOAT_EQ(before.at("loss"), 0.5 * before.at("flag_loss") + 2.0 * before.at("score_loss"));
  }
}

// A loss that Keras has no config for cannot be written: save_model says whose and which output's it is.
class Doubled : public Loss {
 public:
  Doubled() : Loss("Doubled", "doubled") {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override { return MeanSquaredError().call(y_true, y_pred); }
};

TEST(MultiOutputCompile, ALossWithoutKerasConfigIsRefusedAtSave) {
  testing::TempDir dir;
  auto model = two_output_model();
  model->compile({.output_losses = {{"flag", "binary_crossentropy"}, {"score", std::make_shared<Doubled>()}}});
  try {
    save_model(*model, dir / "two.keras");
    FAIL() << "saved a loss without a Keras config";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("model 'two'"), std::string::npos) << message;
    EXPECT_NE(message.find("output 'score'"), std::string::npos) << message;
    EXPECT_NE(message.find("Doubled"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace cairn
