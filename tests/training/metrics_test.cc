// Metrics: Keras's resolution of "accuracy", the value of each accuracy on hand-made data, running
// means across batches, and confusion_matrix.
#include "cairn/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "cairn/data.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"
#include "cairn/ops.h"

namespace cairn {
namespace {

template <class M>
bool is_a(const std::unique_ptr<Metric>& metric) {
  return dynamic_cast<const M*>(metric.get()) != nullptr;
}

TEST(Metrics, AccuracyIsResolvedFromTheShapesLikeKeras) {
  // A last dimension of 1 in the prediction: binary, whatever the targets look like.
  auto binary = make_metric("accuracy", {8, 1}, {8, 1});
  EXPECT_TRUE(is_a<BinaryAccuracy>(binary));
  EXPECT_EQ(binary->name(), "accuracy");
  EXPECT_TRUE(is_a<BinaryAccuracy>(make_metric("accuracy", {8}, {8, 1})));
  // One-hot targets of the prediction's shape: categorical.
  auto categorical = make_metric("accuracy", {8, 3}, {8, 3});
  EXPECT_TRUE(is_a<CategoricalAccuracy>(categorical));
  EXPECT_EQ(categorical->name(), "accuracy");
  // Integer labels, with or without a trailing 1: sparse.
  auto sparse = make_metric("acc", {8}, {8, 3});
  EXPECT_TRUE(is_a<SparseCategoricalAccuracy>(sparse));
  EXPECT_EQ(sparse->name(), "acc");
  EXPECT_TRUE(is_a<SparseCategoricalAccuracy>(make_metric("accuracy", {8, 1}, {8, 3})));
  EXPECT_TRUE(is_a<SparseCategoricalAccuracy>(make_metric("accuracy", {8, 5}, {8, 5, 3})));

  // Explicit names keep their class and Keras's name.
  auto named = make_metric("categorical_accuracy", {8}, {8, 1});
  EXPECT_TRUE(is_a<CategoricalAccuracy>(named));
  EXPECT_EQ(named->name(), "categorical_accuracy");
  EXPECT_EQ(make_metric("sparse_categorical_accuracy", {8, 3}, {8, 3})->name(),
            "sparse_categorical_accuracy");
  EXPECT_EQ(make_metric("binary_accuracy", {8}, {8, 3})->name(), "binary_accuracy");
  EXPECT_TRUE(is_metric_name("acc"));
  EXPECT_FALSE(is_metric_name("f1"));
  try {
    make_metric("f1", {8}, {8, 1});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("Unknown metric function: 'f1'"), std::string::npos) << e.what();
  }
}

TEST(Metrics, SparseCategoricalAccuracyComparesArgmaxWithTheLabel) {
  Tensor probs = Tensor::from_values({4, 2}, {0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4});  // argmax 1, 0, 1, 0
  for (DType dtype : {DType::Int64, DType::Int32, DType::UInt8, DType::Float32, DType::Float64}) {
    SparseCategoricalAccuracy m;
    m.update_state(Tensor::from_values({4}, {1, 1, 1, 0}, dtype), probs);
    EXPECT_EQ(m.result(), 0.75) << dtype_name(dtype);
  }
  SparseCategoricalAccuracy column;  // labels of shape (n, 1)
  column.update_state(Tensor::from_values({4, 1}, {1, 0, 0, 0}, DType::Int64), probs);
  EXPECT_EQ(column.result(), 0.75);
  // Ties go to the first class, as tf.argmax does.
  SparseCategoricalAccuracy tie;
  tie.update_state(Tensor::from_values({2}, {0, 1}, DType::Int64),
                   Tensor::from_values({2, 2}, {0.5, 0.5, 0.5, 0.5}));
  EXPECT_EQ(tie.result(), 0.5);
  try {
    SparseCategoricalAccuracy m;
    m.update_state(Tensor::from_values({3}, {1, 1, 1}, DType::Int64), probs);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(3,)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(4, 2)"), std::string::npos) << e.what();
  }
}

TEST(Metrics, CategoricalAccuracyComparesArgmaxes) {
  Tensor onehot = Tensor::from_values({3, 3}, {0, 1, 0, 1, 0, 0, 0, 0, 1});
  Tensor pred = Tensor::from_values({3, 3}, {0.2, 0.7, 0.1, 0.1, 0.8, 0.1, 0.1, 0.2, 0.7});
  CategoricalAccuracy m;
  m.update_state(onehot, pred);
  EXPECT_DOUBLE_EQ(m.result(), 2.0 / 3.0);
  EXPECT_EQ(m.totals(), (std::pair<double, double>{2, 3}));
  EXPECT_THROW(m.update_state(Tensor::from_values({3}, {1, 0, 2}), pred), ShapeError);
}

TEST(Metrics, BinaryAccuracyThresholdsThePrediction) {
  Tensor truth = Tensor::from_values({5, 1}, {1, 0, 1, 0, 1});
  Tensor pred = Tensor::from_values({5, 1}, {0.6, 0.4, 0.4, 0.7, 0.5});
  BinaryAccuracy m;
  m.update_state(truth, pred);
  EXPECT_DOUBLE_EQ(m.result(), 0.4);  // 0.5 is not above the threshold: predicted 1, 0, 0, 1, 0
  BinaryAccuracy low("binary_accuracy", 0.3);
  low.update_state(truth, pred);
  EXPECT_DOUBLE_EQ(low.result(), 0.6);
  BinaryAccuracy flat;  // labels (n,) against predictions (n, 1)
  flat.update_state(Tensor::from_values({5}, {1, 0, 1, 0, 1}, DType::Int64), pred);
  EXPECT_DOUBLE_EQ(flat.result(), 0.4);
  // Several outputs per sample: every element counts.
  BinaryAccuracy multi;
  multi.update_state(Tensor::from_values({2, 2}, {1, 0, 0, 0}),
                     Tensor::from_values({2, 2}, {0.9, 0.9, 0.1, 0.2}));
  EXPECT_DOUBLE_EQ(multi.result(), 0.75);
  EXPECT_THROW(m.update_state(Tensor::from_values({2}, {1, 0}), pred), ShapeError);
}

// Keras's "mae" / "mse": each sample's mean error over its outputs, averaged over the samples.
TEST(Metrics, MeanErrorsAverageEachSamplesErrorOverItsOutputs) {
  const Tensor truth = Tensor::from_values({2, 2}, {1, 2, 3, 4});
  const Tensor pred = Tensor::from_values({2, 2}, {1.5, 2, 1, 4});
  std::unique_ptr<Metric> mae = make_metric("mae", truth.shape(), pred.shape());
  mae->update_state(truth, pred);
  EXPECT_DOUBLE_EQ(mae->result(), (0.25 + 1.0) / 2);
  std::unique_ptr<Metric> mse = make_metric("mean_squared_error", truth.shape(), pred.shape());
  mse->update_state(truth, pred);
  EXPECT_DOUBLE_EQ(mse->result(), (0.125 + 2.0) / 2);
  mse->update_state(Tensor::from_values({1, 2}, {0, 0}), Tensor::from_values({1, 2}, {3, 3}));
  EXPECT_DOUBLE_EQ(mse->result(), (0.125 + 2.0 + 9.0) / 3);  // a running mean over samples
  EXPECT_THROW(mae->update_state(Tensor::from_values({3}, {1, 2, 3}), pred), ShapeError);
}

TEST(Metrics, ResultsAreRunningMeansWeightedByBatchSize) {
  SparseCategoricalAccuracy m;
  EXPECT_EQ(m.result(), 0.0);  // nothing seen yet: 0, as Keras's divide_no_nan
  // 3 of 4 right, then 0 of 2: 3/6, not the mean of 0.75 and 0.
  m.update_state(Tensor::from_values({4}, {1, 1, 1, 0}, DType::Int64),
                 Tensor::from_values({4, 2}, {0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4}));
  EXPECT_EQ(m.result(), 0.75);
  m.update_state(Tensor::from_values({2}, {0, 0}, DType::Int64), Tensor::from_values({2, 2}, {0, 1, 0, 1}));
  EXPECT_EQ(m.result(), 0.5);
  EXPECT_EQ(m.totals(), (std::pair<double, double>{3, 6}));
  SparseCategoricalAccuracy copy;
  copy.set_totals(3, 6);
  EXPECT_EQ(copy.result(), 0.5);
  m.reset_state();
  EXPECT_EQ(m.result(), 0.0);
  EXPECT_EQ(m.totals(), (std::pair<double, double>{0, 0}));

  Mean mean("loss");
  mean.update(2.0, 3);  // a batch of 3 with mean 2
  mean.update(4.0, 1);
  EXPECT_EQ(mean.result(), 2.5);
  Mean values("values");
  values.update_state(Tensor(), Tensor::from_values({4}, {1, 2, 3, 4}));
  EXPECT_EQ(values.result(), 2.5);
}

TEST(Metrics, FitWeightsTheEpochLossByBatchSize) {
  clear_session();
  set_random_seed(0);
  LabeledData d = make_moons(10, 0.1, 3);
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(2)}, Shape{2});
  // A learning rate of 0 keeps the weights, so every batch sees the same model.
  model->compile({.optimizer = std::make_shared<SGD>(0.0),
                  .loss = std::make_shared<SparseCategoricalCrossentropy>(true),
                  .metrics = {"accuracy"}});
  std::vector<double> batch_means;
  auto per_batch = std::make_shared<LambdaCallback>();
  per_batch->on_batch_end_fn = [&](int64_t, const Logs& logs) { batch_means.push_back(logs.at("loss")); };
  History h = model->fit(
      d.x, d.y, {.batch_size = 4, .epochs = 1, .verbose = 0, .callbacks = {per_batch}, .shuffle = false});
  ASSERT_EQ(batch_means.size(), 3u);  // batches of 4, 4 and 2

  Tensor logits = model->predict(d.x);
  const double whole = SparseCategoricalCrossentropy(true)(d.y, logits).item();
  EXPECT_NEAR(h.history["loss"][0], whole, 1e-6);
  // The batch losses, recovered from the running means, weighted 4, 4 and 2.
  const double b0 = batch_means[0], b1 = 2 * batch_means[1] - b0,
               b2 = (10 * batch_means[2] - 4 * b0 - 4 * b1) / 2;
  const double tail =
      SparseCategoricalCrossentropy(true)(ops::slice_rows(d.y, 8, 10), ops::slice_rows(logits, 8, 10)).item();
  EXPECT_NEAR(b2, tail, 1e-5);
  EXPECT_GT(std::fabs((b0 + b1 + b2) / 3 - whole), 1e-4)
      << "the unweighted mean must differ for this test to mean anything";

  SparseCategoricalAccuracy expected;
  expected.update_state(d.y, logits);
  EXPECT_EQ(h.history["accuracy"][0], expected.result());
}

TEST(Metrics, ModelAccuracyMatchesTheResolvedMetric) {
  clear_session();
  set_random_seed(1);
  LabeledData d = make_moons(30, 0.2, 8);
  // Binary: one sigmoid output and 0/1 float targets.
  auto binary = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid"})}, Shape{2});
  binary->compile({.optimizer = "sgd", .loss = "binary_crossentropy", .metrics = {"accuracy"}});
  Tensor y01 = d.y.to(DType::Float32).reshape({30, 1});
  Logs logs = binary->evaluate(d.x, y01, {.batch_size = 7});
  Tensor p = binary->predict(d.x);
  int correct = 0;
  for (int64_t i = 0; i < 30; ++i) correct += (p.data<float>()[i] > 0.5f) == (y01.data<float>()[i] == 1.0f);
  EXPECT_DOUBLE_EQ(logs.at("accuracy"), correct / 30.0);

  // Categorical: one-hot targets.
  auto categorical = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(2, DenseOptions{.activation = "softmax"})}, Shape{2});
  categorical->compile({.optimizer = "sgd", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  Tensor onehot({30, 2});
  for (int64_t i = 0; i < 30; ++i) onehot.data<float>()[i * 2 + d.y.data<int64_t>()[i]] = 1;
  logs = categorical->evaluate(d.x, onehot, {.batch_size = 7});
  Tensor argmax = ops::argmax(categorical->predict(d.x), -1);
  correct = 0;
  for (int64_t i = 0; i < 30; ++i) correct += argmax.data<int64_t>()[i] == d.y.data<int64_t>()[i];
  EXPECT_DOUBLE_EQ(logs.at("accuracy"), correct / 30.0);
}

TEST(Metrics, ConfusionMatrixCountsTruthAgainstPrediction) {
  Tensor labels = Tensor::from_values({5}, {0, 1, 2, 2, 1}, DType::Int64);
  Tensor probs = Tensor::from_values({5, 3}, {0.8, 0.1, 0.1,    // 0
                                              0.1, 0.2, 0.7,    // 2
                                              0.0, 0.1, 0.9,    // 2
                                              0.3, 0.6, 0.1,    // 1
                                              0.2, 0.5, 0.3});  // 1
  const std::vector<std::vector<int64_t>> expected{{1, 0, 0}, {0, 1, 1}, {0, 1, 1}};
  EXPECT_EQ(confusion_matrix(labels, probs, 3), expected);
  // Predicted classes given directly, and labels of other dtypes.
  Tensor classes = Tensor::from_values({5}, {0, 2, 2, 1, 1}, DType::Int64);
  EXPECT_EQ(confusion_matrix(labels.to(DType::Float32), classes, 3), expected);
  EXPECT_EQ(confusion_matrix(labels.to(DType::UInt8), classes.to(DType::Int32), 3), expected);
  // More classes than occur: empty rows and columns.
  auto wide = confusion_matrix(labels, classes, 4);
  ASSERT_EQ(wide.size(), 4u);
  EXPECT_EQ(wide[3], (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(wide[1], (std::vector<int64_t>{0, 1, 1, 0}));

  // Large float label sets are counted in one pass.
  const int64_t n = 200000;
  Tensor many_labels({n}, DType::Float32), many_classes({n}, DType::Int64);
  for (int64_t i = 0; i < n; ++i) {
    many_labels.data<float>()[i] = static_cast<float>(i % 3);
    many_classes.data<int64_t>()[i] = (i % 3 + i % 2) % 3;
  }
  auto big = confusion_matrix(many_labels, many_classes, 3);
  int64_t total = 0, diagonal = 0;
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t q = 0; q < 3; ++q) total += big[t][q], diagonal += t == q ? big[t][q] : 0;
  EXPECT_EQ(total, n);
  EXPECT_EQ(diagonal, (n + 1) / 2);  // i even
}

TEST(Metrics, ConfusionMatrixErrors) {
  Tensor labels = Tensor::from_values({3}, {0, 1, 2}, DType::Int64);
  try {
    confusion_matrix(labels, Tensor::from_values({2}, {0, 1}, DType::Int64), 3);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("3 labels for 2 predictions"), std::string::npos) << e.what();
  }
  try {
    confusion_matrix(labels, Tensor::from_values({3}, {0, 1, 2}, DType::Int64), 2);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("class 2 is outside [0, 2)"), std::string::npos) << e.what();
  }
  try {
    confusion_matrix(Tensor::from_values({3}, {0, 1, 1}, DType::Int64),
                     Tensor::from_values({3}, {0, 5, 1}, DType::Int64), 3);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("class 5 is outside [0, 3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(confusion_matrix(Tensor::from_values({1}, {-1}, DType::Int64),
                                Tensor::from_values({1}, {0}, DType::Int64), 3),
               InvalidArgument);
  EXPECT_THROW(confusion_matrix(labels, labels, 0), InvalidArgument);
  EXPECT_THROW(confusion_matrix(labels, labels, -2), InvalidArgument);
}

}  // namespace
}  // namespace cairn
