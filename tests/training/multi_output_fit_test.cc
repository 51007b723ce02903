// fit / evaluate / predict for models with several inputs and outputs (lists and name maps, per-output
// losses, loss weights and metrics, with Keras 3's log names), sample_weight, class_weight,
// validation_freq and validation_batch_size.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cairn/layers/dense.h"
#include "cairn/layers/merge.h"
#include "cairn/model.h"
#include "cairn/ops.h"
#include "expect_error.h"

namespace cairn {
namespace {

struct TwoByTwo {
  Tensor a, b, flag, kind, weight;
};

// 20 samples: inputs a (3) and b (2); targets flag (0/1, shape (n, 1)) and kind (0..2); a weight each.
TwoByTwo two_by_two_data(int64_t n = 20) {
  Generator g(9);
  TwoByTwo d{Tensor({n, 3}), Tensor({n, 2}), Tensor({n, 1}), Tensor({n}, DType::Int64), Tensor({n})};
  for (float& v : d.a.span<float>()) v = g.uniform();
  for (float& v : d.b.span<float>()) v = g.uniform();
  for (int64_t i = 0; i < n; ++i) {
    d.flag.data<float>()[i] = d.a.data<float>()[3 * i] > 0.5f ? 1.0f : 0.0f;
    d.kind.data<int64_t>()[i] = i % 3;
    d.weight.data<float>()[i] = 0.25f * static_cast<float>(i % 5);
  }
  return d;
}

// Inputs "a" and "b", outputs "flag" (sigmoid) and "kind" (3 logits).
std::shared_ptr<Functional> two_by_two_model() {
  clear_session();
  set_random_seed(4);
  SymbolicTensor a = Input({3}, "a"), b = Input({2}, "b");
  SymbolicTensor h = (*std::make_shared<Concatenate>())({a, b});
  h = (*std::make_shared<Dense>(8, DenseOptions{.activation = "relu", .name = "hidden"}))(h);
  SymbolicTensor flag = (*std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid", .name = "flag"}))(h);
  SymbolicTensor kind = (*std::make_shared<Dense>(3, DenseOptions{.name = "kind"}))(h);
  return std::make_shared<Functional>(std::vector<SymbolicTensor>{a, b}, std::vector<SymbolicTensor>{flag, kind});
}

void compile_two_by_two(Model& model, double learning_rate = 0.1) {
  model.compile({.optimizer = std::make_shared<SGD>(learning_rate),
                 .output_losses = {{"flag", "binary_crossentropy"}, {"kind", std::make_shared<SparseCategoricalCrossentropy>(true)}},
                 .loss_weights = {{"flag", 0.5}, {"kind", 2.0}},
                 .output_metrics = {{"flag", {"accuracy", std::make_shared<AUC>(5, "ROC", "auc5")}}, {"kind", {"accuracy"}}}});
}

std::vector<std::string> keys(const std::map<std::string, std::vector<double>>& history) {
  std::vector<std::string> out;
  for (const auto& [key, values] : history) out.push_back(key);
  return out;
}

TEST(MultiOutputFit, LogsAreNamedAsKeras3NamesThem) {
  const TwoByTwo d = two_by_two_data();
  auto model = two_by_two_model();
  EXPECT_EQ(model->input_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(model->output_names(), (std::vector<std::string>{"flag", "kind"}));
  compile_two_by_two(*model);
  // Keras 3.15's history keys for this compile (tests/conformance/generate_multi_output.py prints them).
  const History history = model->fit({{"a", d.a}, {"b", d.b}}, {{"flag", d.flag}, {"kind", d.kind}},
                                     {.batch_size = 8, .epochs = 1, .verbose = 0,
                                      .validation_data = std::make_pair(Arrays{d.a, d.b}, Arrays{d.flag, d.kind}),
                                      .sample_weight = d.weight});
  EXPECT_EQ(keys(history.history),
            (std::vector<std::string>{"flag_accuracy", "flag_auc5", "flag_loss", "kind_accuracy", "kind_loss", "loss",
                                      "val_flag_accuracy", "val_flag_auc5", "val_flag_loss", "val_kind_accuracy",
                                      "val_kind_loss", "val_loss"}));
}

TEST(MultiOutputFit, TheTotalLossIsTheWeightedSumAndMapsEqualLists) {
  const TwoByTwo d = two_by_two_data();
  auto model = two_by_two_model();
  compile_two_by_two(*model);
  const Logs by_list = model->evaluate({d.a, d.b}, {d.flag, d.kind}, {.batch_size = 7});
  const Logs by_name = model->evaluate({{"b", d.b}, {"a", d.a}}, {{"kind", d.kind}, {"flag", d.flag}}, {.batch_size = 7});
  EXPECT_EQ(by_list, by_name);
  EXPECT_NEAR(by_list.at("loss"), 0.5 * by_list.at("flag_loss") + 2.0 * by_list.at("kind_loss"), 1e-5);

  // Each output's loss is its own loss on its own output.
  const std::vector<Tensor> outputs = model->predict_outputs({d.a, d.b}, {.batch_size = 6});
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].shape(), (Shape{20, 1}));
  EXPECT_EQ(outputs[1].shape(), (Shape{20, 3}));
  EXPECT_NEAR(by_list.at("flag_loss"), BinaryCrossentropy()(d.flag, outputs[0]).item(), 1e-5);
  EXPECT_NEAR(by_list.at("kind_loss"), SparseCategoricalCrossentropy(true)(d.kind, outputs[1]).item(), 1e-5);
  testing::expect_error_mentioning<InvalidArgument>([&] { model->predict({d.a, d.b}); }, {"2 outputs", "predict_outputs"});
}

TEST(MultiOutputFit, SampleWeightsScaleEachSampleOverTheBatchSize) {
  const TwoByTwo d = two_by_two_data();
  auto model = two_by_two_model();
  compile_two_by_two(*model);
  const std::vector<Tensor> outputs = model->predict_outputs({d.a, d.b});
  // Keras's sum_over_batch_size: sum(loss_i * w_i) / n, not over the sum of the weights.
  const Tensor flag_losses = BinaryCrossentropy().call(d.flag, outputs[0]);
  const Tensor kind_losses = SparseCategoricalCrossentropy(true).call(d.kind, outputs[1]);
  double flag = 0, kind = 0;
  for (int64_t i = 0; i < 20; ++i) {
    flag += flag_losses.data<float>()[i] * d.weight.data<float>()[i];
    kind += kind_losses.data<float>()[i] * (i < 10 ? 1.0 : 3.0);
  }
  Tensor kind_weight({20});
  for (int64_t i = 0; i < 20; ++i) kind_weight.data<float>()[i] = i < 10 ? 1.0f : 3.0f;
  const Logs logs = model->test_on_batch({d.a, d.b}, {d.flag, d.kind}, {{"flag", d.weight}, {"kind", kind_weight}});
  EXPECT_NEAR(logs.at("flag_loss"), flag / 20, 1e-5);
  EXPECT_NEAR(logs.at("kind_loss"), kind / 20, 1e-5);
  // One array weighs every output.
  const Logs same = model->test_on_batch({d.a, d.b}, {d.flag, d.kind}, d.weight);
  EXPECT_NEAR(same.at("flag_loss"), flag / 20, 1e-5);
  // The metrics are not weighted (Keras's `metrics`, unlike `weighted_metrics`).
  const Logs unweighted = model->test_on_batch({d.a, d.b}, {d.flag, d.kind});
  EXPECT_EQ(same.at("flag_accuracy"), unweighted.at("flag_accuracy"));
  EXPECT_EQ(same.at("flag_auc5"), unweighted.at("flag_auc5"));
}

TEST(MultiOutputFit, ClassWeightIsTheSampleWeightOfEachLabel) {
  const TwoByTwo d = two_by_two_data();
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(3)}, Shape{3});
  model->compile({.optimizer = std::make_shared<SGD>(0.0), .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  Tensor weights({20});
  for (int64_t i = 0; i < 20; ++i) weights.data<float>()[i] = i % 3 == 0 ? 2.0f : (i % 3 == 2 ? 0.5f : 1.0f);
  const Logs expected = model->evaluate(d.a, d.kind, {.batch_size = 20, .sample_weight = weights});
  // Class 1 is not in the map: weight 1, as in Keras.
  const History history = model->fit(d.a, d.kind, {.batch_size = 20, .verbose = 0, .shuffle = false,
                                                   .class_weight = {{0, 2.0}, {2, 0.5}}});
  EXPECT_NEAR(history.history.at("loss")[0], expected.at("loss"), 1e-6);
  EXPECT_NE(history.history.at("loss")[0], model->evaluate(d.a, d.kind, {.batch_size = 20}).at("loss"));

  testing::expect_error_mentioning<InvalidArgument>(
      [&] { model->fit(d.a, d.kind, {.verbose = 0, .sample_weight = weights, .class_weight = {{0, 2.0}}}); },
      {"class_weight", "sample_weight"});
  auto two = two_by_two_model();
  compile_two_by_two(*two);
  testing::expect_error_mentioning<InvalidArgument>([&] { two->fit({d.a, d.b}, {d.flag, d.kind}, {.verbose = 0, .class_weight = {{0, 2.0}}}); },
                                {"class_weight", "single output"});
}

TEST(MultiOutputFit, ValidationFreqAndValidationBatchSize) {
  const TwoByTwo d = two_by_two_data();
  auto model = two_by_two_model();
  compile_two_by_two(*model);
  const History history = model->fit({d.a, d.b}, {d.flag, d.kind},
                                     {.batch_size = 4, .epochs = 5, .verbose = 0, .validation_split = 0.25,
                                      .validation_freq = 2, .validation_batch_size = 2});
  // Epochs 2 and 4 validate (Keras's (epoch + 1) % validation_freq == 0); 5 samples in batches of 2.
  EXPECT_EQ(history.history.at("loss").size(), 5u);
  EXPECT_EQ(history.history.at("val_loss").size(), 2u);
  EXPECT_EQ(history.history.at("val_kind_accuracy").size(), 2u);
  testing::expect_error_mentioning<InvalidArgument>([&] { model->fit({d.a, d.b}, {d.flag, d.kind}, {.verbose = 0, .validation_freq = 0}); },
                                {"validation_freq"});
}

TEST(MultiOutputFit, BadStructuresAreNamed) {
  const TwoByTwo d = two_by_two_data();
  auto model = two_by_two_model();
  compile_two_by_two(*model);
  testing::expect_error_mentioning<InvalidArgument>([&] { model->fit({d.a}, {d.flag, d.kind}, {.verbose = 0}); }, {"x", "2", "a, b", "1 arrays"});
  testing::expect_error_mentioning<InvalidArgument>([&] { model->fit({{"a", d.a}, {"c", d.b}}, {d.flag, d.kind}, {.verbose = 0}); },
                                {"'c'", "a, b"});
  testing::expect_error_mentioning<InvalidArgument>([&] { model->fit({d.a, d.b}, {{"flag", d.flag}}, {.verbose = 0}); }, {"'kind'"});
  testing::expect_error_mentioning<ShapeError>([&] { model->fit({d.a, ops::slice_rows(d.b, 0, 10)}, {d.flag, d.kind}, {.verbose = 0}); },
                           {"cardinality", "20, 10"});
  testing::expect_error_mentioning<InvalidArgument>([&] { model->compile({.loss = "mse", .metrics = {"accuracy"}}); },
                                {"output_metrics", "flag, kind"});
  testing::expect_error_mentioning<InvalidArgument>(
      [&] { model->compile({.output_losses = {{"flag", "mse"}, {"score", "mse"}}}); }, {"'score'", "flag, kind"});
  testing::expect_error_mentioning<InvalidArgument>([&] { model->compile({.loss = "mse", .loss_weights = {1.0, 2.0, 3.0}}); },
                                {"loss_weights", "3 entries", "2"});
}

TEST(MultiOutputFit, ListsOfLossesAndMetricsInOutputOrder) {
  const TwoByTwo d = two_by_two_data();
  auto model = two_by_two_model();
  model->compile({.optimizer = "sgd",
                  .output_losses = {"binary_crossentropy", std::make_shared<SparseCategoricalCrossentropy>(true)},
                  .loss_weights = {0.5, 2.0},
                  .output_metrics = std::vector<std::vector<MetricSpec>>{{"accuracy"}, {"accuracy", "sparse_top_k_categorical_accuracy"}}});
  const Logs logs = model->evaluate({d.a, d.b}, {d.flag, d.kind});
  std::vector<std::string> names;
  for (const auto& [key, value] : logs) names.push_back(key);
  EXPECT_EQ(names, (std::vector<std::string>{"flag_accuracy", "flag_loss", "kind_accuracy", "kind_loss",
                                             "kind_sparse_top_k_categorical_accuracy", "loss"}));
}

}  // namespace
}  // namespace cairn
