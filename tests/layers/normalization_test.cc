// Normalization::adapt computes what Keras 3's adapt() does on a NumPy array (the mean and numpy.var
// over the reduced axes), keeps it in its non-trainable weights, and normalizes with it; Dot and
// Normalization refuse bad shapes naming the layer and the shapes. (Forward passes, gradients and files
// against Keras are the layer contract's: tests/layer_contract/.)
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/error.h"
#include "cairn/layers.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;

Tensor arange(const Shape& shape) {
  Tensor t(shape, DType::Float32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(Normalization, AdaptKeepsTheMeanAndBiasedVarianceOfEachFeature) {
  Normalization layer;
  layer.adapt(arange({4, 3}));  // columns (0, 3, 6, 9) + c: mean 4.5 + c, numpy.var 11.25
  ASSERT_TRUE(layer.adapted_mean());
  for (int c = 0; c < 3; ++c) {
    EXPECT_FLOAT_EQ(layer.adapted_mean()->value().data<float>()[c], 4.5f + static_cast<float>(c));
    EXPECT_FLOAT_EQ(layer.adapted_variance()->value().data<float>()[c], 11.25f);
  }
  // Keras's order and dtypes: mean, variance, count (int64, left at 0 as Keras 3 leaves it); none trained.
  ASSERT_EQ(layer.weights().size(), 3u);
  EXPECT_EQ(layer.weights()[2]->name(), layer.name() + "/count");
  EXPECT_EQ(layer.weights()[2]->dtype(), DType::Int64);
  EXPECT_TRUE(layer.trainable_weights().empty());
  const Tensor y = layer(arange({1, 3}));
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(y.data<float>()[c], (static_cast<float>(c) - 4.5f - c) / std::sqrt(11.25f));
}

TEST(Normalization, AdaptOverSeveralKeptAxesAndOverEverything) {
  Normalization per_position({.axis = {1, 2}});
  per_position.adapt(arange({2, 2, 3}));  // each position: values p and p + 6
  EXPECT_EQ(per_position.adapted_mean()->shape(), (Shape{2, 3}));
  EXPECT_FLOAT_EQ(per_position.adapted_mean()->value().data<float>()[4], 7.0f);
  EXPECT_FLOAT_EQ(per_position.adapted_variance()->value().data<float>()[4], 9.0f);

  Normalization overall({.axis = {}});
  overall.adapt(arange({2, 2}));  // 0 1 2 3
  EXPECT_EQ(overall.adapted_mean()->shape(), Shape{});
  EXPECT_FLOAT_EQ(overall.adapted_mean()->value().data<float>()[0], 1.5f);
  EXPECT_FLOAT_EQ(overall.adapted_variance()->value().data<float>()[0], 1.25f);
}

TEST(Normalization, RefusesWhatKerasRefuses) {
  expect_error_mentioning<InvalidArgument>([] { Normalization({.mean = Tensor::scalar(1.0)}); },
                                           {"Normalization", "`mean` and `variance`"});
  expect_error_mentioning<InvalidArgument>(
      [] { Normalization({.mean = Tensor::ones({2}), .variance = Tensor::ones({3})}); }, {"Normalization", "(2,)", "(3,)"});
  Normalization given({.mean = Tensor::scalar(0.0), .variance = Tensor::scalar(1.0)});
  expect_error_mentioning<InvalidArgument>([&] { given.adapt(arange({2, 3})); }, {"adapt()", "`mean`"});
  Normalization adapted;
  adapted.adapt(arange({4, 3}));
  expect_error_mentioning<ShapeError>([&] { adapted.adapt(arange({4, 5})); }, {"normalization", "(4, 5)"});
  expect_error_mentioning<ShapeError>([&] { adapted(arange({2, 5})); }, {"normalization", "(2, 5)"});
  Normalization per_feature({.mean = Tensor::ones({4}), .variance = Tensor::ones({4})});
  expect_error_mentioning<ShapeError>([&] { per_feature(arange({2, 3})); }, {"(4,)", "(2, 3)"});
}

TEST(Dot, RefusesInputsThatDoNotMultiply) {
  Dot dot(1);
  expect_error_mentioning<ShapeError>([&] { dot(std::vector<Tensor>{arange({2, 3}), arange({2, 4})}); },
                                      {"dot", "axis values 3", "(2, 3)", "(2, 4)"});
  Dot batch_axis(0);
  expect_error_mentioning<ShapeError>([&] { batch_axis(std::vector<Tensor>{arange({2, 3}), arange({2, 3})}); },
                                      {"axis 0", "(2, 3)"});
  Dot three(1);
  expect_error_mentioning<ShapeError>(
      [&] { three(std::vector<Tensor>{arange({2, 3}), arange({2, 3}), arange({2, 3})}); }, {"2 inputs"});
  Dot vectors(1);
  const Tensor y = vectors(std::vector<Tensor>{arange({2, 3}), arange({2, 3})});
  EXPECT_EQ(y.shape(), (Shape{2, 1}));
  EXPECT_FLOAT_EQ(y.data<float>()[1], 3 * 3 + 4 * 4 + 5 * 5);
}

}  // namespace
}  // namespace cairn
