// Wrong ranks, shapes and arguments of the layers added with the registry: each error names the layer,
// the argument and the shapes, at construction or at the first call (the values are checked in the
// layer contract, tests/layer_contract/).
#include <gtest/gtest.h>

#include "cairn/error.h"
#include "cairn/layers.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;

Tensor zeros(const Shape& shape) { return Tensor(shape, DType::Float32); }

TEST(BadLayerInput, ArgumentsAreCheckedAtConstruction) {
  expect_error_mentioning<InvalidArgument>([] { BatchNormalization({.momentum = 1.5}); }, {"BatchNormalization", "momentum", "1.5"});
  expect_error_mentioning<InvalidArgument>([] { LayerNormalization({.epsilon = 0}); }, {"LayerNormalization", "epsilon"});
  expect_error_mentioning<InvalidArgument>([] { Conv1D(0, 3); }, {"Conv1D", "`filters`", "0"});
  expect_error_mentioning<InvalidArgument>([] { Conv1D(2, 3, {.strides = -1}); }, {"Conv1D", "`strides`", "-1"});
  expect_error_mentioning<InvalidArgument>([] { Conv1D(2, 3, {.padding = "full"}); }, {"Conv1D", "`padding`", "full"});
  expect_error_mentioning<InvalidArgument>([] { MaxPooling1D(0); }, {"MaxPooling1D", "pool_size", "0"});
  expect_error_mentioning<InvalidArgument>([] { AveragePooling2D({2, 0}); }, {"AveragePooling2D", "`pool_size`", "(2, 0)"});
  expect_error_mentioning<InvalidArgument>([] { Reshape({-1, -1}); }, {"Reshape", "target_shape", "(-1, -1)"});
  expect_error_mentioning<InvalidArgument>([] { Permute({1, 1}); }, {"Permute", "`dims`", "(1, 1)"});
  expect_error_mentioning<InvalidArgument>([] { RepeatVector(0); }, {"RepeatVector", "n", "0"});
  expect_error_mentioning<InvalidArgument>([] { LeakyReLU(-0.1); }, {"LeakyReLU", "negative_slope"});
  expect_error_mentioning<InvalidArgument>([] { ReLU({.max_value = -1.0}); }, {"ReLU", "max_value"});
  expect_error_mentioning<InvalidArgument>([] { GRU(0); }, {"GRU", "units", "0"});
  expect_error_mentioning<InvalidArgument>([] { GRU(2, {.activation = "nope"}); }, {"GRU", "activation", "nope"});
  expect_error_mentioning<InvalidArgument>([] { SimpleRNN(-2); }, {"SimpleRNN", "units", "-2"});
  expect_error_mentioning<InvalidArgument>([] { MultiHeadAttention(0, 4); }, {"MultiHeadAttention", "num_heads", "0"});
  expect_error_mentioning<InvalidArgument>([] { MultiHeadAttention(2, 4, {.value_dim = 0}); },
                                           {"MultiHeadAttention", "value_dim", "0"});
  expect_error_mentioning<InvalidArgument>([] { GaussianDropout(1.0); }, {"GaussianDropout", "rate", "[0, 1)"});
  expect_error_mentioning<InvalidArgument>([] { SpatialDropout2D(-0.5); }, {"SpatialDropout2D", "rate"});
  expect_error_mentioning<InvalidArgument>([] { GaussianNoise(-1); }, {"GaussianNoise", "stddev"});
  expect_error_mentioning<InvalidArgument>([] { ZeroPadding1D({-1, 0}); }, {"ZeroPadding1D", "`padding`", "(-1, 0)"});
  expect_error_mentioning<InvalidArgument>([] { UpSampling2D({0, 2}); }, {"UpSampling2D", "`size`", "(0, 0), (2, 2)"});
}

TEST(BadLayerInput, WrongRanksAndShapesNameLayerAndShape) {
  expect_error_mentioning<ShapeError>([] { Conv1D(2, 3)(zeros({2, 5})); }, {"conv1d", "expected ndim=3", "(2, 5)"});
  expect_error_mentioning<ShapeError>([] { Conv1D(2, 6)(zeros({2, 5, 1})); },
                                      {"conv1d", "kernel_size 6", "\"valid\"", "(2, 5, 1)"});
  expect_error_mentioning<ShapeError>([] { GlobalAveragePooling2D()(zeros({2, 3, 4})); },
                                      {"global_average_pooling2d", "expected ndim=4", "(2, 3, 4)"});
  expect_error_mentioning<ShapeError>([] { Reshape({4, 4})(zeros({2, 3, 5})); },
                                      {"reshape", "(2, 3, 5)", "(4, 4)"});
  expect_error_mentioning<ShapeError>([] { Permute({2, 1})(zeros({2, 3})); }, {"permute", "expected ndim=3", "(2, 3)"});
  expect_error_mentioning<ShapeError>([] { RepeatVector(2)(zeros({2, 3, 4})); }, {"repeat_vector", "expected ndim=2"});
  expect_error_mentioning<ShapeError>([] { Cropping1D({2, 3})(zeros({2, 5, 1})); },
                                      {"cropping1d", "(2, 3)", "(2, 5, 1)"});
  expect_error_mentioning<ShapeError>([] { Softmax(2)(zeros({2, 3})); }, {"softmax", "axis 2", "(2, 3)"});
  expect_error_mentioning<ShapeError>([] { BatchNormalization({.axis = 1})(zeros({2, 3, 4})); },
                                      {"batch_normalization", "axis 1", "(2, 3, 4)"});
  expect_error_mentioning<ShapeError>([] { GRU(2)(zeros({2, 3})); }, {"gru", "expected ndim=3", "(2, 3)"});
  expect_error_mentioning<ShapeError>([] { Subtract()(std::vector<Tensor>{zeros({2, 3}), zeros({2, 3}), zeros({2, 3})}); },
                                      {"subtract", "exactly 2 inputs", "3"});
  expect_error_mentioning<ShapeError>([] { Maximum()(std::vector<Tensor>{zeros({2, 3}), zeros({2, 4})}); },
                                      {"maximum", "(2, 3)", "(2, 4)"});
  expect_error_mentioning<ShapeError>([] { MultiHeadAttention(2, 4)(zeros({2, 3, 4})); },
                                      {"multi_head_attention", "[query, value]", "(2, 3, 4)"});
  expect_error_mentioning<ShapeError>(
      [] { MultiHeadAttention(2, 4)(std::vector<Tensor>{zeros({2, 3, 4}), zeros({2, 5, 4}), zeros({2, 6, 4})}); },
      {"multi_head_attention", "key and value", "(2, 6, 4)", "(2, 5, 4)"});
}

// The call with a mask checks its input as the plain call does, and the mask's shape against it.
TEST(BadLayerInput, MaskedCallsAreCheckedAsPlainCalls) {
  Dense dense(2, {.name = "d"});
  expect_error_mentioning<InvalidArgument>([&] { dense(Tensor(), zeros({2}), false); }, {"d", "undefined tensor"});
  expect_error_mentioning<ShapeError>([&] { dense(zeros({2, 3}), zeros({3}), false); }, {"d", "mask shape (3,)", "(2, 3)"});
  EXPECT_FALSE(dense.built());
  const Tensor x = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Layer::MaskedOutput masked = dense(x, Tensor::from_vector<float>({2}, {1, 0}), false);
  EXPECT_TRUE(dense.built());
  EXPECT_EQ(masked.output.to_vector<float>(), dense(x, false).to_vector<float>());
  EXPECT_EQ(masked.mask.to_vector<float>(), (std::vector<float>{1, 0}));  // Dense passes the mask on
  expect_error_mentioning<ShapeError>([&] { dense(zeros({2, 4}), zeros({2}), false); }, {"d"});
}

// A built layer checks later inputs against the shapes it was built for.
TEST(BadLayerInput, BuiltLayersNameTheExpectedShape) {
  BatchNormalization norm;
  norm(zeros({2, 3}));
  expect_error_mentioning<ShapeError>([&] { norm(zeros({2, 4})); }, {"batch_normalization", "value 3", "(2, 4)"});
  PReLU prelu;
  prelu(zeros({2, 3}));
  expect_error_mentioning<ShapeError>([&] { prelu(zeros({2, 5})); }, {"p_re_lu", "alpha has shape (3,)", "(2, 5)"});
  MultiHeadAttention attention(1, 2);
  attention(std::vector<Tensor>{zeros({1, 2, 4}), zeros({1, 3, 4})});
  expect_error_mentioning<ShapeError>([&] { attention(std::vector<Tensor>{zeros({1, 2, 5}), zeros({1, 3, 4})}); },
                                      {"multi_head_attention", "query has 5 features", "built for 4"});
}

}  // namespace
}  // namespace cairn
