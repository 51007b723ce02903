// Every registered activation against Keras 3 (values and gradients on the inputs of
// tests/conformance/vocabulary/activations.npz, within testing::kKerasTolerance) and against its own
// numerical gradient (tests/gradient_check.h's tolerances).
#include <gtest/gtest.h>

#include "cairn/autodiff.h"
#include "cairn/ops.h"
#include "expect_error.h"
#include "gradient_check.h"
#include "keras_vocabulary.h"

namespace cairn {
namespace {

using testing::KerasVocabulary;

const KerasVocabulary& oracle() {
  static const KerasVocabulary vocabulary("activations");
  return vocabulary;
}

// The value and the gradient of sum(f(x) * w) against Keras's, for the case `key`.
void expect_matches_keras(const std::string& key, const std::function<Tensor(const Tensor&)>& f) {
  Tensor x = oracle().at("x").clone();
  const Tensor& w = oracle().at("w");
  GradientTape tape;
  tape.watch(x);
  Tensor y = f(x);
  Tensor total = ops::sum(ops::mul(y, w));
  testing::expect_keras_close(y, oracle().at(key + ".y"), key + " value");
  Tensor grad = tape.gradient(total, {x})[0];
  testing::expect_keras_close(grad, oracle().at(key + ".grad"), key + " gradient");
}

TEST(Activations, EveryRegisteredActivationMatchesKeras) {
  const std::vector<std::string> names = ops::activation_names();
  EXPECT_GE(names.size(), 20u);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(oracle().has(name + ".y")) << "no Keras values for activation '" << name << "'";
    expect_matches_keras(name, [&](const Tensor& x) { return ops::activation(x, name); });
  }
}

TEST(Activations, ArgumentsOtherThanTheDefaultsMatchKeras) {
  expect_matches_keras("gelu_tanh", [](const Tensor& x) { return ops::gelu(x, /*approximate=*/true); });
  expect_matches_keras("leaky_relu_0.1", [](const Tensor& x) { return ops::leaky_relu(x, 0.1); });
  expect_matches_keras("elu_0.5", [](const Tensor& x) { return ops::elu(x, 0.5); });
}

TEST(Activations, GradientsMatchCentralDifferences) {
  // Inputs away from the kinks (0, +-0.5, +-1, +-3), where a central difference straddles two pieces.
  Tensor x = testing::random_tensor({3, 7}, 7, -4.f, 4.f);
  for (float& v : x.span<float>())
    for (float kink : {0.f, 3.f, -3.f, 1.f, -1.f, 0.5f, -0.5f})
      if (std::abs(v - kink) < 0.05f) v += 0.1f;
  for (const std::string& name : ops::activation_names()) {
    SCOPED_TRACE(name);
    testing::expect_gradients_match([&](const std::vector<Tensor>& in) { return ops::activation(in[0], name); },
                                    {x.clone()});
  }
  testing::expect_gradients_match([](const std::vector<Tensor>& in) { return ops::gelu(in[0], true); }, {x.clone()});
  testing::expect_gradients_match([](const std::vector<Tensor>& in) { return ops::power(in[0], 2.5); },
                                  {testing::random_tensor({9}, 3, 0.5f, 2.f)});
}

TEST(Activations, KerasThreeHardSigmoidIsRelu6OfXPlus3Over6) {
  Tensor x = Tensor::from_values({5}, {-4, -3, 0, 1.5, 4});
  EXPECT_EQ(ops::hard_sigmoid(x).to_vector<float>(), (std::vector<float>{0, 0, 0.5, 0.75, 1}));
}

TEST(Activations, UnknownNameListsTheKnownOnes) {
  testing::expect_error_mentioning<InvalidArgument>([] { ops::activation(Tensor({2}), "swiggle"); },
                                                    {"Unknown activation function: 'swiggle'", "gelu", "mish"});
  EXPECT_TRUE(ops::is_activation_name("swish"));
  EXPECT_TRUE(ops::is_activation_name(""));
  EXPECT_FALSE(ops::is_activation_name("Relu"));
}

}  // namespace
}  // namespace cairn
