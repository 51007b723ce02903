// Loss values against hand-computed Keras formulas, gradients against central differences
// (tests/gradient_check.h), agreement of the logits and probabilities paths, and argument errors.
#include "cairn/losses.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "cairn/ops.h"
#include "gradient_check.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;

constexpr double kEps = 1e-7;  // keras.backend.epsilon()

Tensor floats(const Shape& shape, std::initializer_list<double> values) {
  return Tensor::from_values(shape, values, DType::Float32);
}
Tensor labels(std::initializer_list<double> values, DType dtype = DType::Int64) {
  return Tensor::from_values({static_cast<int64_t>(values.size())}, values, dtype);
}

double log_sum_exp(std::initializer_list<double> xs) {
  double total = 0;
  for (double x : xs) total += std::exp(x);
  return std::log(total);
}

using testing::expect_error_mentioning;

// ---- values

TEST(Losses, ResultIsAFloat32Scalar) {
  Tensor value = MeanSquaredError()(floats({2}, {1, 2}), floats({2}, {1, 4}));
  EXPECT_EQ(value.dtype(), DType::Float32);
  EXPECT_EQ(value.shape(), Shape{});
  EXPECT_FLOAT_EQ(value.item(), 2.0);
}

TEST(Losses, SparseCategoricalFromLogits) {
  Tensor logits = floats({2, 3}, {1, 2, 3, 1, 0, -1});
  const double expected = ((log_sum_exp({1, 2, 3}) - 3) + (log_sum_exp({1, 0, -1}) - 0)) / 2;
  SparseCategoricalCrossentropy loss(/*from_logits=*/true);
  EXPECT_NEAR(loss(labels({2, 1}), logits).item(), expected, 1e-6);
  // int32, integral float and (B, 1) labels mean the same.
  EXPECT_NEAR(loss(labels({2, 1}, DType::Int32), logits).item(), expected, 1e-6);
  EXPECT_NEAR(loss(labels({2, 1}, DType::Float32), logits).item(), expected, 1e-6);
  EXPECT_NEAR(loss(Tensor::from_values({2, 1}, {2, 1}, DType::Int64), logits).item(), expected, 1e-6);
}

TEST(Losses, SparseCategoricalFromProbabilitiesRenormalizesAndClips) {
  SparseCategoricalCrossentropy loss;
  Tensor probs = floats({2, 3}, {0.2, 0.3, 0.5, 0.6, 0.3, 0.1});
  EXPECT_NEAR(loss(labels({1, 0}), probs).item(), (-std::log(0.3) - std::log(0.6)) / 2, 1e-6);
  // Rows that do not sum to 1 are renormalized after clipping: [0.1, 0.1, 0.2] is [0.25, 0.25, 0.5],
  // and [1, 1, 2] is clipped to [1 - 1e-7] * 3 first, so uniform.
  EXPECT_NEAR(loss(labels({2}), floats({1, 3}, {0.1, 0.1, 0.2})).item(), -std::log(0.5), 1e-6);
  EXPECT_NEAR(loss(labels({2}), floats({1, 3}, {1, 1, 2})).item(), std::log(3.0), 1e-6);
  // A zero probability is clipped to 1e-7 (and the clipped row renormalized) instead of giving inf.
  const double clipped = -std::log(kEps) + std::log(kEps + (1 - kEps) + kEps);
  EXPECT_NEAR(loss(labels({0}), floats({1, 3}, {0, 1, 0})).item(), clipped, 1e-4);
}

TEST(Losses, SparseCategoricalHigherRankGivesOneLossPerPosition) {
  Tensor logits = random_tensor({2, 3, 4}, 7, -2, 2);
  Tensor ids = Tensor::from_values({2, 3}, {0, 3, 1, 2, 2, 0}, DType::Int32);
  SparseCategoricalCrossentropy loss(true);
  Tensor per_position = loss.call(ids, logits);
  ASSERT_EQ(per_position.shape(), (Shape{2, 3}));
  double total = 0;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 3; ++t) {
      const int64_t label = static_cast<int64_t>(ids.get({b, t}));
      double sum = 0;
      for (int64_t c = 0; c < 4; ++c) sum += std::exp(logits.get({b, t, c}));
      const double expected = std::log(sum) - logits.get({b, t, label});
      EXPECT_NEAR(per_position.get({b, t}), expected, 1e-5);
      total += expected;
    }
  EXPECT_NEAR(loss(ids, logits).item(), total / 6, 1e-5);
}

TEST(Losses, CategoricalFromProbabilities) {
  CategoricalCrossentropy loss;
  Tensor probs = floats({2, 3}, {0.2, 0.3, 0.5, 0.6, 0.3, 0.1});
  Tensor one_hot = floats({2, 3}, {0, 1, 0, 1, 0, 0});
  EXPECT_NEAR(loss(one_hot, probs).item(), (-std::log(0.3) - std::log(0.6)) / 2, 1e-6);
  // Soft targets; y_pred normalized first: [2, 3] is [0.4, 0.6].
  EXPECT_NEAR(loss(floats({1, 2}, {0.25, 0.75}), floats({1, 2}, {2, 3})).item(),
              -(0.25 * std::log(0.4) + 0.75 * std::log(0.6)), 1e-6);
  // Normalized, then clipped: the zero becomes 1e-7.
  EXPECT_NEAR(loss(floats({1, 2}, {1, 0}), floats({1, 2}, {0, 1})).item(), -std::log(kEps), 1e-4);
  EXPECT_EQ(loss.call(one_hot, probs).shape(), Shape{2});
}

TEST(Losses, CategoricalFromLogits) {
  CategoricalCrossentropy loss(true);
  Tensor logits = floats({2, 3}, {1, 2, 3, 1, 0, -1});
  Tensor targets = floats({2, 3}, {0.5, 0.5, 0, 0, 0, 1});
  const double row0 = -(0.5 * (1 - log_sum_exp({1, 2, 3})) + 0.5 * (2 - log_sum_exp({1, 2, 3})));
  const double row1 = -(-1 - log_sum_exp({1, 0, -1}));
  EXPECT_NEAR(loss(targets, logits).item(), (row0 + row1) / 2, 1e-6);
}

TEST(Losses, BinaryFromProbabilities) {
  BinaryCrossentropy loss;
  Tensor probs = floats({3, 1}, {0.9, 0.2, 0.6});
  const double expected = (-std::log(0.9 + kEps) - std::log(1 - 0.2 + kEps) - std::log(0.6 + kEps)) / 3;
  // y_true (B,) and (B, 1) both work against y_pred (B, 1), without broadcasting to (B, B).
  EXPECT_NEAR(loss(floats({3}, {1, 0, 1}), probs).item(), expected, 1e-6);
  EXPECT_NEAR(loss(floats({3, 1}, {1, 0, 1}), probs).item(), expected, 1e-6);
  EXPECT_NEAR(loss(Tensor::from_values({3}, {1, 0, 1}, DType::Int32), probs).item(), expected, 1e-6);
  EXPECT_EQ(loss.call(floats({3}, {1, 0, 1}), probs).shape(), Shape{3});
  // y_pred (B,) against y_true (B, 1).
  EXPECT_NEAR(loss(floats({3, 1}, {1, 0, 1}), floats({3}, {0.9, 0.2, 0.6})).item(), expected, 1e-6);
  // Several outputs per sample are averaged per sample; a certain, correct prediction costs about
  // -log(1 - 1e-7 + 1e-7) = 0 and a certain, wrong one -log(1e-7 + 1e-7).
  Tensor per_sample = loss.call(floats({2, 2}, {1, 0, 1, 1}), floats({2, 2}, {1, 0, 0.5, 0}));
  ASSERT_EQ(per_sample.shape(), Shape{2});
  EXPECT_NEAR(per_sample.get({0}), 0.0, 1e-5);
  EXPECT_NEAR(per_sample.get({1}), (-std::log(0.5 + kEps) - std::log(2 * kEps)) / 2, 1e-3);
}

TEST(Losses, BinaryFromLogits) {
  BinaryCrossentropy loss(true);
  const std::vector<double> x = {2.5, -1.0, 0.3, -30.0}, z = {1, 0, 0, 1};
  double expected = 0;
  for (size_t i = 0; i < x.size(); ++i)
    expected += std::max(x[i], 0.0) - x[i] * z[i] + std::log(1 + std::exp(-std::abs(x[i])));
  expected /= x.size();
  EXPECT_NEAR(loss(floats({4, 1}, {1, 0, 0, 1}), floats({4, 1}, {2.5, -1.0, 0.3, -30.0})).item(), expected, 1e-5);
}

TEST(Losses, MeanSquaredError) {
  MeanSquaredError loss;
  // Per sample: (0.25 + 0) / 2 and (1 + 1) / 2.
  Tensor per_sample = loss.call(floats({2, 2}, {1, 2, 3, 4}), floats({2, 2}, {1.5, 2, 2, 5}));
  EXPECT_EQ(per_sample.to_vector<float>(), (std::vector<float>{0.125f, 1.f}));
  EXPECT_FLOAT_EQ(loss(floats({2, 2}, {1, 2, 3, 4}), floats({2, 2}, {1.5, 2, 2, 5})).item(), 0.5625);
  EXPECT_FLOAT_EQ(loss(floats({3}, {1, 2, 3}), floats({3, 1}, {2, 2, 5})).item(), 5.0 / 3);
  // An empty batch costs nothing (Keras divides with div_no_nan).
  EXPECT_EQ(loss(Tensor::zeros({0, 3}), Tensor::zeros({0, 3})).item(), 0.0);
}

// ---- agreement between the two input conventions

TEST(Losses, LogitsAndProbabilitiesAgree) {
  Tensor logits = random_tensor({5, 4}, 3, -3, 3);
  Tensor ids = labels({0, 3, 1, 2, 3});
  EXPECT_NEAR(SparseCategoricalCrossentropy(true)(ids, logits).item(),
              SparseCategoricalCrossentropy(false)(ids, ops::softmax(logits)).item(), 1e-5);
  Tensor one_hot = Tensor::zeros({5, 4});
  for (int64_t b = 0; b < 5; ++b) one_hot.set({b, static_cast<int64_t>(ids.get({b}))}, 1.0);
  EXPECT_NEAR(CategoricalCrossentropy(true)(one_hot, logits).item(),
              CategoricalCrossentropy(false)(one_hot, ops::softmax(logits)).item(), 1e-5);
  EXPECT_NEAR(CategoricalCrossentropy(true)(one_hot, logits).item(),
              SparseCategoricalCrossentropy(true)(ids, logits).item(), 1e-6);
  Tensor targets = random_tensor({5, 4}, 4, 0, 1);
  EXPECT_NEAR(BinaryCrossentropy(true)(targets, logits).item(),
              BinaryCrossentropy(false)(targets, ops::sigmoid(logits)).item(), 1e-5);
}

// ---- gradients with respect to y_pred

TEST(Losses, GradientsMatchCentralDifferences) {
  Tensor ids = labels({2, 0, 1, 2});
  Tensor one_hot = floats({4, 3}, {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1});
  Tensor soft = random_tensor({4, 3}, 21, 0, 1);
  Tensor logits = random_tensor({4, 3}, 22, -2, 2);
  // Probabilities well inside (0, 1) so that no finite-difference step crosses the clipping bounds.
  Tensor probs = random_tensor({4, 3}, 23, 0.1f, 0.9f);
  auto check = [](const Loss& loss, const Tensor& y_true, const Tensor& y_pred) {
    SCOPED_TRACE(loss.class_name());
    expect_gradients_match([&](const std::vector<Tensor>& in) { return loss(y_true, in[0]); }, {y_pred.clone()});
  };
  check(SparseCategoricalCrossentropy(true), ids, logits);
  check(SparseCategoricalCrossentropy(false), ids, probs);
  check(CategoricalCrossentropy(true), one_hot, logits);
  check(CategoricalCrossentropy(false), soft, probs);
  check(BinaryCrossentropy(true), soft, logits);
  check(BinaryCrossentropy(false), soft, probs);
  check(BinaryCrossentropy(false), floats({4}, {1, 0, 0, 1}), random_tensor({4, 1}, 24, 0.1f, 0.9f));
  check(MeanSquaredError(), soft, logits);
  // Per-sample losses too.
  expect_gradients_match(
      [&](const std::vector<Tensor>& in) { return SparseCategoricalCrossentropy(false).call(ids, in[0]); },
      {probs.clone()});
}

// ---- errors

TEST(Losses, SparseLabelsOutOfRangeNameLabelAndClassCount) {
  Tensor y_pred = floats({2, 3}, {0.2, 0.3, 0.5, 0.6, 0.3, 0.1});
  for (bool from_logits : {true, false}) {
    SparseCategoricalCrossentropy loss(from_logits);
    expect_error_mentioning<InvalidArgument>([&] { loss(labels({1, 3}), y_pred); }, {"label 3", "3 classes"});
    expect_error_mentioning<InvalidArgument>([&] { loss(labels({-1, 0}), y_pred); }, {"label -1", "3 classes"});
  }
  expect_error_mentioning<InvalidArgument>(
      [&] {
        SparseCategoricalCrossentropy()(labels({1.5, 0}, DType::Float32), y_pred);
      },
      {"label 1.5", "integer"});
}

TEST(Losses, ShapeMismatchesNameBothShapes) {
  expect_error_mentioning<ShapeError>(
      [] {
        CategoricalCrossentropy()(Tensor::zeros({4, 3}), Tensor::ones({4, 2}));
      },
      {"CategoricalCrossentropy", "(4, 3)", "(4, 2)"});
  expect_error_mentioning<ShapeError>(
      [] {
        SparseCategoricalCrossentropy()(Tensor::zeros({3}, DType::Int64), Tensor::ones({4, 3}));
      },
      {"(3,)", "(4, 3)"});
  expect_error_mentioning<ShapeError>(
      [] {
        BinaryCrossentropy()(Tensor::zeros({3}), Tensor::ones({3, 2}));
      },
      {"BinaryCrossentropy", "(3,)", "(3, 2)"});
  expect_error_mentioning<ShapeError>(
      [] {
        MeanSquaredError()(Tensor::zeros({2, 3}), Tensor::ones({3, 2}));
      },
      {"(2, 3)", "(3, 2)"});
  expect_error_mentioning<InvalidArgument>(
      [] { MeanSquaredError()(Tensor::zeros({2}), Tensor::zeros({2}, DType::Float64)); }, {"float32", "float64"});
}

TEST(Losses, GetLossKnowsKerasNames) {
  const std::vector<std::pair<std::string, std::string>> names = {
      {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
      {"categorical_crossentropy", "CategoricalCrossentropy"},
      {"binary_crossentropy", "BinaryCrossentropy"},
      {"mean_squared_error", "MeanSquaredError"},
      {"mse", "MeanSquaredError"},
      {"MeanSquaredError", "MeanSquaredError"}};
  for (const auto& [name, class_name] : names) {
    LossPtr loss = get_loss(name);
    EXPECT_EQ(loss->class_name(), class_name) << name;
    EXPECT_EQ(get_loss(loss->name())->class_name(), class_name) << name;
  }
  EXPECT_EQ(get_loss("mse")->name(), "mean_squared_error");
  EXPECT_FALSE(
      std::dynamic_pointer_cast<SparseCategoricalCrossentropy>(get_loss("sparse_categorical_crossentropy"))
          ->from_logits());
  expect_error_mentioning<InvalidArgument>([] { get_loss("hinges"); }, {"'hinges'"});
}

}  // namespace
}  // namespace cairn
