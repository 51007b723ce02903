// AlphaDropout: the identity in inference; in training each element is kept (a x + b) or set to SELU's
// saturation (a (-alpha scale) + b), with a and b such that standard normal inputs keep mean 0 and
// variance 1, and the gradient is a where kept and 0 where dropped. Its draws are cairn's own stream
// (not Keras's), so the layer contract compares only its inference with Keras.
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/autodiff.h"
#include "cairn/layers/noise.h"
#include "cairn/ops.h"
#include "expect_error.h"

namespace cairn {
namespace {

TEST(AlphaDropoutTest, KeepsOrSaturatesEachElementAndKeepsMeanAndVariance) {
  clear_session();
  const double rate = 0.3;
  AlphaDropout dropout(rate, 7);
  EXPECT_TRUE(dropout.draws_random_numbers());
  EXPECT_EQ(dropout.name(), "alpha_dropout");
  Generator draws(11);
  Tensor x({20000}, DType::Float32);
  for (float& v : x.span<float>()) v = draws.normal(0.f, 1.f);
  EXPECT_EQ(dropout(x, false).to_vector<float>(), x.to_vector<float>());

  const double saturation = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
  const double a = 1.0 / std::sqrt((1 - rate) * (1 + rate * saturation * saturation));
  const double b = -a * saturation * rate;
  Tensor y;
  std::vector<Tensor> grads;
  {
    GradientTape tape;
    tape.watch(x);
    y = dropout(x, true);
    grads = tape.gradient(ops::sum(y), {x});
  }
  int64_t dropped = 0;
  double mean = 0, square = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float got = y.data<float>()[i];
    const float grad = grads[0].data<float>()[i];
    if (grad == 0.f) {
      ++dropped;
      EXPECT_NEAR(got, a * saturation + b, 1e-5) << i;
    } else {
      EXPECT_NEAR(grad, a, 1e-6) << i;
      EXPECT_NEAR(got, a * x.data<float>()[i] + b, 1e-5) << i;
    }
    mean += got / x.numel();
    square += got * got / x.numel();
  }
  EXPECT_NEAR(static_cast<double>(dropped) / x.numel(), rate, 0.02);
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_NEAR(square - mean * mean, 1.0, 0.05);
}

TEST(AlphaDropoutTest, RefusesRatesOutsideTheUnitInterval) {
  testing::expect_error_mentioning<InvalidArgument>([] { AlphaDropout(1.0); }, {"AlphaDropout", "rate", "[0, 1)"});
  testing::expect_error_mentioning<InvalidArgument>([] { AlphaDropout(-0.1); }, {"AlphaDropout", "rate"});
}

}  // namespace
}  // namespace cairn
