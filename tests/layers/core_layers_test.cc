// Dense, Dropout, Flatten, Activation: Keras names, shapes, defaults, errors, and gradient checks
// (tests/gradient_check.h tolerances: step 1e-2, |a - n| <= 2e-3 + 2e-2 |n|).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "cairn/layers/activation.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/flatten.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::random_tensor;

class CoreLayers : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(CoreLayers, DenseBuildsKerasShapesNamesAndDefaults) {
  Dense dense(4, {.activation = "relu"});
  EXPECT_EQ(dense.name(), "dense");
  EXPECT_EQ(Dense(2).name(), "dense_1");
  Tensor y = dense(Tensor::ones({5, 3}));
  EXPECT_EQ(y.shape(), (Shape{5, 4}));
  ASSERT_EQ(dense.weights().size(), 2u);
  EXPECT_EQ(dense.kernel()->name(), "dense/kernel");
  EXPECT_EQ(dense.kernel()->shape(), (Shape{3, 4}));
  EXPECT_EQ(dense.bias()->shape(), (Shape{4}));
  EXPECT_EQ(dense.count_params(), 16);
  for (float b : dense.bias()->value().span<float>()) EXPECT_EQ(b, 0.f);
  // glorot_uniform: |w| <= sqrt(6 / (fan_in + fan_out))
  const float limit = std::sqrt(6.f / 7.f);
  for (float w : dense.kernel()->value().span<float>()) EXPECT_LE(std::fabs(w), limit);
}

TEST_F(CoreLayers, DenseIsReproducibleFromItsSeed) {
  Dense a(3, {.seed = 7}), b(3, {.seed = 7}), c(3, {.seed = 8});
  a.build({-1, 5});
  b.build({-1, 5});
  c.build({-1, 5});
  EXPECT_TRUE(equal_bytes(a.kernel()->value(), b.kernel()->value()));
  EXPECT_FALSE(equal_bytes(a.kernel()->value(), c.kernel()->value()));
}

TEST_F(CoreLayers, DenseComputesXWPlusB) {
  Dense dense(2, {.kernel_initializer = ones(), .bias_initializer = ones()});
  Tensor y = dense(Tensor::from_values({1, 3}, {1, 2, 3}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{7, 7}));
}

TEST_F(CoreLayers, DenseRejectsWrongInputInKerasWords) {
  Dense dense(2);
  dense(Tensor::ones({1, 3}));
  try {
    dense(Tensor::ones({1, 4}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "Input 0 of layer \"dense\" is incompatible with the layer: expected axis -1 of input shape to have value "
                 "3, but received input with shape (1, 4)");
  }
  EXPECT_THROW(dense(Tensor::ones({3})), ShapeError);
}

TEST_F(CoreLayers, InvalidArgumentsFailAtConstructionNamingTheArgument) {
  try {
    Dense(-1);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("units"), std::string::npos);
  }
  EXPECT_THROW(Dense(3, {.activation = "swishy"}), InvalidArgument);
  EXPECT_THROW(Activation("nope"), InvalidArgument);
  EXPECT_THROW(Dropout(1.5), InvalidArgument);
}

TEST_F(CoreLayers, DenseGradientMatchesCentralDifferences) {
  Dense dense(3, {.activation = "tanh", .seed = 1});
  dense.build({-1, 4});
  // Non-zero bias so that the check covers it with a generic value.
  dense.bias()->assign(random_tensor({3}, 4));
  testing::expect_layer_gradients_match(dense, random_tensor({2, 4}, 3));
}

TEST_F(CoreLayers, DropoutOnlyInTrainingAndSeeded) {
  Dropout a(0.5, 3), b(0.5, 3);
  Tensor x = Tensor::ones({1000});
  EXPECT_TRUE(equal_bytes(a(x, false), x));
  Tensor ya = a(x, true), yb = b(x, true);
  EXPECT_TRUE(equal_bytes(ya, yb));
  EXPECT_FALSE(equal_bytes(ya, a(x, true)));  // the stream moves on
  int zeros = 0;
  for (float v : ya.span<float>()) zeros += v == 0.f;
  EXPECT_NEAR(zeros, 500, 60);
}

// EfficientNet's Dropout(noise_shape=(None, 1, 1, 1)): one draw per sample, so a sample is dropped or
// kept (scaled by 1 / (1 - rate)) whole; (None, 1, 1, C): one per sample and channel.
TEST_F(CoreLayers, DropoutNoiseShapeSharesOneDrawAlongTheAxesOfSizeOne) {
  Dropout per_sample(0.5, 7, "", {-1, 1, 1, 1});
  const Tensor x = Tensor::ones({200, 2, 3, 4});
  EXPECT_TRUE(equal_bytes(per_sample(x, false), x));
  const Tensor y = per_sample(x, true);
  ASSERT_EQ(y.shape(), x.shape());
  int dropped = 0;
  for (int64_t sample = 0; sample < 200; ++sample) {
    const float first = y.data<float>()[sample * 24];
    EXPECT_TRUE(first == 0.f || first == 2.f) << first;
    dropped += first == 0.f;
    for (int64_t i = 1; i < 24; ++i) ASSERT_EQ(y.data<float>()[sample * 24 + i], first) << "sample " << sample;
  }
  EXPECT_NEAR(dropped, 100, 30);

  Dropout per_channel(0.5, 7, "", {-1, 1, 1, 4});
  const Tensor z = per_channel(Tensor::ones({50, 2, 3, 4}), true);
  bool channels_differ = false;
  for (int64_t sample = 0; sample < 50; ++sample)
    for (int64_t c = 0; c < 4; ++c) {
      const float first = z.data<float>()[sample * 24 + c];
      channels_differ |= first != z.data<float>()[sample * 24];
      for (int64_t position = 1; position < 6; ++position)
        ASSERT_EQ(z.data<float>()[sample * 24 + position * 4 + c], first);
    }
  EXPECT_TRUE(channels_differ);

  EXPECT_THROW(Dropout(0.5, {}, "", {-1, 0}), InvalidArgument);
  Dropout wrong_rank(0.5, 1, "", {-1, 1});
  EXPECT_THROW(wrong_rank(x, true), ShapeError);
  Dropout wrong_size(0.5, 1, "", {-1, 1, 1, 3});
  EXPECT_THROW(wrong_size(x, true), ShapeError);
}

TEST_F(CoreLayers, FlattenAndActivation) {
  Flatten flatten;
  EXPECT_EQ(flatten(Tensor::ones({2, 3, 4})).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten.compute_output_shape({-1, 28, 28}), (Shape{-1, 784}));
  Activation softmax("softmax");
  Tensor p = softmax(Tensor::from_values({1, 2}, {0, 0}));
  EXPECT_EQ(p.to_vector<float>(), (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(softmax.name(), "activation");
}

// Which elements of a tensor are NaN.
std::vector<bool> nan_mask(const Tensor& t) {
  std::vector<bool> mask;
  for (float v : t.to_vector<float>()) mask.push_back(std::isnan(v));
  return mask;
}

// A NaN in a sample reaches that sample's outputs, as in TensorFlow (a relu used to make it 0).
TEST_F(CoreLayers, NaNInputsGiveNaNOutputsThroughEveryActivation) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::from_values({2, 3}, {-1, nan, -2, -1, -2, -3});
  for (const std::string name : {"relu", "sigmoid", "tanh", "softmax", "linear"}) {
    Dense dense(2, DenseOptions{.activation = name});
    EXPECT_EQ(nan_mask(dense(x)), (std::vector<bool>{true, true, false, false})) << name;
    // Elementwise activations keep the NaN where it is; softmax spreads it over its row.
    const bool whole_row = name == "softmax";
    EXPECT_EQ(nan_mask(Activation(name)(x)),
              (std::vector<bool>{whole_row, true, whole_row, false, false, false})) << name;
  }
}

TEST(SnakeCase, MatchesKerasDefaultNames) {
  EXPECT_EQ(to_snake_case("Dense"), "dense");
  EXPECT_EQ(to_snake_case("Conv2D"), "conv2d");
  EXPECT_EQ(to_snake_case("MaxPooling2D"), "max_pooling2d");
  EXPECT_EQ(to_snake_case("LSTM"), "lstm");
  EXPECT_EQ(to_snake_case("BatchNormalization"), "batch_normalization");
}

TEST(Initializers, OrthogonalIsOrthogonal) {
  Generator g(0);
  Tensor q = (*orthogonal())({6, 4}, g);
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      double dot = 0;
      for (int r = 0; r < 6; ++r) dot += q.get({r, a}) * q.get({r, b});
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-5);
    }
  Tensor wide = (*orthogonal())({3, 8}, g);
  for (int a = 0; a < 3; ++a) {
    double norm = 0;
    for (int c = 0; c < 8; ++c) norm += wide.get({a, c}) * wide.get({a, c});
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
}

TEST(Initializers, FansAndNamedLookup) {
  EXPECT_EQ(compute_fans({5, 5, 16, 36}), (std::pair<double, double>{400, 900}));
  EXPECT_EQ(get_initializer("glorot_uniform")->class_name(), "GlorotUniform");
  EXPECT_THROW(get_initializer("he_magic"), InvalidArgument);
  Generator g(0);
  Tensor n = (*random_normal(0.0, 0.05, 42))({10000}, g);
  double sq = 0;
  for (float v : n.span<float>()) sq += v * v;
  EXPECT_NEAR(std::sqrt(sq / 10000), 0.05, 0.002);
}

}  // namespace
}  // namespace cairn
