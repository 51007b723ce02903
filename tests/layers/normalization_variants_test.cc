// The normalizations without batch statistics: GroupNormalization, UnitNormalization and
// RMSNormalization, and the Identity layer. Values against the formulas written out in double, the
// weights Keras creates, and the errors that name the layer, the argument and the shapes. Keras's own
// numbers and the numerical gradients are the layer contract's (tests/conformance/generate_layers.py).
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/layers/group_normalization.h"
#include "cairn/layers/identity.h"
#include "cairn/layers/rms_normalization.h"
#include "cairn/layers/unit_normalization.h"
#include "cairn/ops.h"
#include "expect_error.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;
using testing::random_tensor;

class NormalizationVariants : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(NormalizationVariants, GroupNormalizationNormalizesEachGroupOfChannels) {
  // (batch 2, steps 3, channels 4) in 2 groups of 2 channels: each group's 6 values per sample.
  const Tensor x = random_tensor({2, 3, 4}, 1);
  GroupNormalization norm({.groups = 2, .epsilon = 0.01});
  Tensor y = norm(x);
  ASSERT_EQ(norm.own_weights().size(), 2u);
  EXPECT_EQ(norm.own_weights()[0].first, "gamma");
  EXPECT_EQ(norm.own_weights()[1].first, "beta");
  norm.gamma()->assign(Tensor::from_values({4}, {1.0, 2.0, 0.5, -1.0}));
  norm.beta()->assign(Tensor::from_values({4}, {0.0, 0.25, -0.5, 1.0}));
  y = norm(x);
  const float* xv = x.data<float>();
  const std::vector<float> gamma = norm.gamma()->value().to_vector<float>(), beta = norm.beta()->value().to_vector<float>();
  for (int b = 0; b < 2; ++b)
    for (int g = 0; g < 2; ++g) {
      double mean = 0, variance = 0;
      for (int t = 0; t < 3; ++t)
        for (int c = 2 * g; c < 2 * g + 2; ++c) mean += xv[(b * 3 + t) * 4 + c] / 6.0;
      for (int t = 0; t < 3; ++t)
        for (int c = 2 * g; c < 2 * g + 2; ++c) variance += std::pow(xv[(b * 3 + t) * 4 + c] - mean, 2) / 6.0;
      for (int t = 0; t < 3; ++t)
        for (int c = 2 * g; c < 2 * g + 2; ++c) {
          const int i = (b * 3 + t) * 4 + c;
          EXPECT_NEAR(y.data<float>()[i], (xv[i] - mean) / std::sqrt(variance + 0.01) * gamma[c] + beta[c], 1e-5) << i;
        }
    }
}

TEST_F(NormalizationVariants, GroupNormalizationOfOneGroupPerChannelIsInstanceNormalization) {
  // groups -1 on axis 1 of (2, 3, 4): each (sample, row) normalized over its 4 values.
  const Tensor x = random_tensor({2, 3, 4}, 2);
  GroupNormalization instance({.groups = -1, .axis = 1, .center = false, .scale = false});
  const Tensor y = instance(x);
  EXPECT_EQ(instance.groups(), 3);
  EXPECT_TRUE(instance.weights().empty());
  const Tensor mean = ops::mean(x, {2}, true);
  const Tensor variance = ops::mean(ops::square(ops::sub(x, mean)), {2}, true);
  const Tensor want = ops::div(ops::sub(x, mean), ops::sqrt(ops::add_scalar(variance, 1e-3)));
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_NEAR(y.data<float>()[i], want.data<float>()[i], 1e-5) << i;
}

TEST_F(NormalizationVariants, GroupNormalizationErrors) {
  expect_error_mentioning<InvalidArgument>([] { GroupNormalization({.groups = 0}); },
                                           {"GroupNormalization", "`groups`", "groups=0"});
  expect_error_mentioning<ShapeError>([] { GroupNormalization({.groups = 3})(Tensor({2, 4})); },
                                      {"group_normalization", "groups (3)", "channels (4)", "(2, 4)"});
  expect_error_mentioning<ShapeError>([] { GroupNormalization({.groups = 8})(Tensor({2, 4})); },
                                      {"group_normalization", "cannot be more", "(2, 4)"});
  expect_error_mentioning<ShapeError>([] { GroupNormalization({.groups = 1, .axis = 2})(Tensor({2, 4})); },
                                      {"group_normalization", "axis 2", "(2, 4)"});
  GroupNormalization built({.groups = 2});
  built(Tensor({2, 4}));
  expect_error_mentioning<ShapeError>([&] { built(Tensor({2, 6})); }, {"group_normalization", "value 4", "(2, 6)"});
}

TEST_F(NormalizationVariants, UnitNormalizationGivesUnitNormsAndKeepsZeros) {
  const Tensor x = random_tensor({3, 5}, 3);
  const Tensor y = UnitNormalization()(x);
  for (int r = 0; r < 3; ++r) {
    double norm = 0;
    for (int c = 0; c < 5; ++c) norm += std::pow(y.data<float>()[r * 5 + c], 2);
    EXPECT_NEAR(norm, 1.0, 1e-5);
    for (int c = 0; c < 5; ++c) EXPECT_GT(y.data<float>()[r * 5 + c] * x.data<float>()[r * 5 + c], 0.f);
  }
  // Over two axes; an all-zero sample stays zero (Keras's 1 / epsilon cap) and its gradient is finite.
  Tensor two = random_tensor({2, 3, 2}, 4);
  for (int i = 6; i < 12; ++i) two.data<float>()[i] = 0.f;
  UnitNormalization both({.axis = {1, 2}});
  Tensor z;
  std::vector<Tensor> grads;
  {
    GradientTape tape;
    tape.watch(two);
    z = both(two);
    grads = tape.gradient(ops::sum(z), {two});
  }
  double norm = 0;
  for (int i = 0; i < 6; ++i) norm += std::pow(z.data<float>()[i], 2);
  EXPECT_NEAR(norm, 1.0, 1e-5);
  for (int i = 6; i < 12; ++i) EXPECT_EQ(z.data<float>()[i], 0.f);
  for (float g : grads[0].to_vector<float>()) EXPECT_TRUE(std::isfinite(g));
  expect_error_mentioning<ShapeError>([] { UnitNormalization({.axis = {2}})(Tensor({2, 3})); },
                                      {"unit_normalization", "[2]", "(2, 3)"});
}

TEST_F(NormalizationVariants, RMSNormalizationDividesByTheRootMeanSquare) {
  const Tensor x = random_tensor({2, 3, 4}, 5);
  RMSNormalization last({.epsilon = 1e-3});
  last(x);
  ASSERT_EQ(last.own_weights().size(), 1u);
  EXPECT_EQ(last.own_weights()[0].first, "scale");
  EXPECT_EQ(last.scale()->shape(), (Shape{4}));
  EXPECT_EQ(last.scale()->value().to_vector<float>(), (std::vector<float>{1, 1, 1, 1}));
  last.scale()->assign(Tensor::from_values({4}, {1.0, 2.0, -1.0, 0.5}));
  const Tensor y = last(x);
  const std::vector<float> scale = last.scale()->value().to_vector<float>();
  for (int row = 0; row < 6; ++row) {
    double mean_square = 0;
    for (int c = 0; c < 4; ++c) mean_square += std::pow(x.data<float>()[row * 4 + c], 2) / 4;
    for (int c = 0; c < 4; ++c)
      EXPECT_NEAR(y.data<float>()[row * 4 + c], x.data<float>()[row * 4 + c] / std::sqrt(mean_square + 1e-3) * scale[c],
                  1e-5);
  }
  RMSNormalization both({.axis = {-1, 1}});
  both(x);
  EXPECT_EQ(both.scale()->shape(), (Shape{3, 4}));
  expect_error_mentioning<ShapeError>([] { RMSNormalization({.axis = {1}})(Tensor({2, 3, 4})); },
                                      {"rms_normalization", "last axes", "(2, 3, 4)"});
  expect_error_mentioning<ShapeError>([] { RMSNormalization({.axis = {3}})(Tensor({2, 3, 4})); },
                                      {"rms_normalization", "axis 3", "(2, 3, 4)"});
  expect_error_mentioning<InvalidArgument>([] { RMSNormalization({.epsilon = 0}); }, {"RMSNormalization", "epsilon"});
}

TEST_F(NormalizationVariants, IdentityReturnsItsInputAndPassesTheMask) {
  const Tensor x = random_tensor({2, 3}, 6);
  Identity identity;
  EXPECT_EQ(identity(x).to_vector<float>(), x.to_vector<float>());
  EXPECT_TRUE(identity.supports_masking());
  EXPECT_EQ(identity.compute_output_shape({-1, 3}), (Shape{-1, 3}));
  EXPECT_EQ(identity.name(), "identity");
}

}  // namespace
}  // namespace cairn
