// The initializers: the moments and bounds of each distribution, Keras's seeding rule, the registry's
// identifiers and the config arguments round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "cairn/initializers.h"
#include "expect_error.h"

namespace cairn {
namespace {

struct Moments {
  double mean = 0, stddev = 0, min = INFINITY, max = -INFINITY;
};

Moments moments_of(const Tensor& t) {
  Moments m;
  for (float v : t.span<float>()) {
    m.mean += v;
    m.min = std::min<double>(m.min, v);
    m.max = std::max<double>(m.max, v);
  }
  m.mean /= static_cast<double>(t.numel());
  for (float v : t.span<float>()) m.stddev += (v - m.mean) * (v - m.mean);
  m.stddev = std::sqrt(m.stddev / static_cast<double>(t.numel()));
  return m;
}

// A (200, 300) kernel: fan_in 200, fan_out 300, 60,000 draws (the standard deviation is within 1% of its
// value with overwhelming probability; the tolerance is 2%).
const Shape kKernel{200, 300};

TEST(Initializers, VarianceScalingFamilyHasKerasStandardDeviations) {
  struct Case {
    InitializerPtr initializer;
    double stddev;
    double bound;  // largest |value| the distribution allows
  };
  const double trunc = 0.87962566103423978;
  const std::vector<Case> cases = {
      {he_normal(), std::sqrt(2.0 / 200), 2 * std::sqrt(2.0 / 200) / trunc},
      {he_uniform(), std::sqrt(2.0 / 200), std::sqrt(6.0 / 200)},
      {glorot_normal(), std::sqrt(2.0 / 500), 2 * std::sqrt(2.0 / 500) / trunc},
      {glorot_uniform(), std::sqrt(2.0 / 500), std::sqrt(6.0 / 500)},
      {lecun_normal(), std::sqrt(1.0 / 200), 2 * std::sqrt(1.0 / 200) / trunc},
      {lecun_uniform(), std::sqrt(1.0 / 200), std::sqrt(3.0 / 200)},
      {variance_scaling(3.0, "fan_out", "untruncated_normal"), std::sqrt(3.0 / 300), INFINITY},
      {truncated_normal(0.0, 0.05), 0.05 * trunc, 0.1},
      {random_normal(0.0, 0.05), 0.05, INFINITY},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.initializer->class_name());
    Generator gen(7);
    const Moments m = moments_of((*c.initializer)(kKernel, gen));
    EXPECT_NEAR(m.mean, 0.0, 0.03 * c.stddev);
    EXPECT_NEAR(m.stddev, c.stddev, 0.02 * c.stddev);
    EXPECT_LE(std::max(-m.min, m.max), c.bound * (1 + 1e-6));
  }
}

TEST(Initializers, UniformConstantIdentityAndOrthogonal) {
  Generator gen(8);
  const Moments uniform = moments_of((*random_uniform(-0.2, 0.3))(kKernel, gen));
  EXPECT_NEAR(uniform.mean, 0.05, 0.003);
  EXPECT_GE(uniform.min, -0.2);
  EXPECT_LT(uniform.max, 0.3);
  EXPECT_EQ((*constant(0.7))({2, 2}, gen).to_vector<float>(), std::vector<float>(4, 0.7f));
  EXPECT_EQ((*identity(2.0))({2, 3}, gen).to_vector<float>(), (std::vector<float>{2, 0, 0, 0, 2, 0}));
  testing::expect_error_mentioning<InvalidArgument>([&] { (*identity())({2, 2, 2}, gen); }, {"2D", "(2, 2, 2)"});
  // Orthogonal: Q^T Q = gain^2 I.
  const Tensor q = (*orthogonal(1.5))({6, 4}, gen);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      double dot = 0;
      for (int64_t r = 0; r < 6; ++r) dot += q.data<float>()[r * 4 + i] * q.data<float>()[r * 4 + j];
      EXPECT_NEAR(dot, i == j ? 2.25 : 0.0, 1e-5);
    }
}

// Keras 3: a seeded initializer gives the same values at every call; an unseeded one draws from the
// layer's stream, so two calls differ.
TEST(Initializers, SeedingFollowsKeras) {
  Generator stream(1);
  const InitializerPtr seeded = he_normal(42);
  EXPECT_EQ((*seeded)({3, 3}, stream).to_vector<float>(), (*seeded)({3, 3}, stream).to_vector<float>());
  const InitializerPtr unseeded = he_normal();
  EXPECT_NE((*unseeded)({3, 3}, stream).to_vector<float>(), (*unseeded)({3, 3}, stream).to_vector<float>());
}

TEST(Initializers, RegistryIdentifiersAndConfigsRoundTrip) {
  for (const InitializerRegistration& entry : initializer_registry()) {
    SCOPED_TRACE(entry.class_name);
    for (const std::string& identifier : entry.identifiers)
      EXPECT_EQ(get_initializer(identifier)->class_name(), entry.class_name) << identifier;
    const InitializerPtr original = get_initializer(entry.identifiers.front());
    ArgList args = original->get_config();
    if (original->is_random()) args.emplace_back("seed", 5.0);
    KeywordArgs keyword(entry.class_name, args);
    const InitializerPtr copy = make_initializer(entry.class_name, keyword);
    EXPECT_EQ(copy->class_name(), original->class_name());
    EXPECT_EQ(copy->get_config(), original->get_config());
    if (original->is_random()) EXPECT_EQ(copy->seed(), 5u);
  }
  KeywordArgs bad("VarianceScaling", {{"mode", std::string("fan_sideways")}});
  testing::expect_error_mentioning<InvalidArgument>([&] { make_initializer("VarianceScaling", bad); },
                                                    {"mode", "fan_sideways"});
  testing::expect_error_mentioning<InvalidArgument>([] { get_initializer("stft"); }, {"Unknown initializer: 'stft'"});
}

}  // namespace
}  // namespace cairn
