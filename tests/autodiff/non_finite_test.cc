// NaN and infinities through every op whose kernel could turn them into numbers: each must propagate
// them as TensorFlow does, forward and backward (a NaN input that comes out as a finite prediction is
// a silent wrong answer).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cairn/autodiff.h"
#include "cairn/ops.h"

namespace cairn {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Equal element by element, where NaN equals NaN; `tolerance` is relative.
::testing::AssertionResult same_values(const Tensor& actual, const std::vector<float>& expected,
                                       float tolerance = 0.f) {
  const std::vector<float> values = actual.to_vector<float>();
  if (values.size() != expected.size())
    return ::testing::AssertionFailure() << values.size() << " values, expected " << expected.size();
  for (size_t i = 0; i < values.size(); ++i) {
    const float a = values[i], e = expected[i];
    const bool same = std::isnan(e) ? std::isnan(a) : (a == e || std::fabs(a - e) <= tolerance * std::fabs(e));
    if (!same) return ::testing::AssertionFailure() << "element " << i << " is " << a << ", expected " << e;
  }
  return ::testing::AssertionSuccess();
}

Tensor values(const std::vector<float>& v) { return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v); }

// d sum(f(x) * upstream) / dx.
Tensor gradient_of(const std::function<Tensor(const Tensor&)>& f, const Tensor& x, const Tensor& upstream) {
  GradientTape tape;
  tape.watch(x);
  Tensor loss = ops::sum(ops::mul(f(x), upstream));
  return tape.gradient(loss, std::vector<Tensor>{x})[0];
}

TEST(NonFinite, ReluPropagatesNaNForwardAndBackwardAsTensorFlow) {
  // 37 values: the vectorized body of the kernel and its tail both meet a NaN.
  std::vector<float> x(37, -1.f), expected(37, 0.f);
  for (size_t i : {0u, 3u, 16u, 36u}) x[i] = expected[i] = kNaN;
  x[5] = expected[5] = kInf;
  x[6] = -kInf;
  x[7] = expected[7] = 2.f;
  EXPECT_TRUE(same_values(ops::relu(values(x)), expected));
  EXPECT_TRUE(same_values(ops::activation(values(x), "relu"), expected));

  // TensorFlow's ReluGrad, gradient * (x > 0): 0 at a NaN x, and NaN wherever the gradient is NaN.
  const Tensor small = values({kNaN, -1.f, 2.f, kInf, -kInf});
  EXPECT_TRUE(same_values(gradient_of(ops::relu, small, Tensor::ones({5})), {0, 0, 1, 1, 0}));
  EXPECT_TRUE(same_values(gradient_of(ops::relu, small, Tensor::full({5}, kNaN)), {kNaN, kNaN, kNaN, kNaN, kNaN}));
}

TEST(NonFinite, MaximumAndReduceMaxPropagateNaNFromEitherSide) {
  EXPECT_TRUE(same_values(ops::maximum(values({kNaN, 1.f, kNaN, 2.f, -kInf}), values({1.f, kNaN, kNaN, kInf, 3.f})),
                          {kNaN, kNaN, kNaN, kInf, 3.f}));
  const Tensor rows = Tensor::from_vector<float>({4, 3}, {kNaN, 1, 2, 1, kNaN, 2, 1, 2, kNaN, -kInf, -kInf, -kInf});
  EXPECT_TRUE(same_values(ops::reduce_max(rows, {1}), {kNaN, kNaN, kNaN, -kInf}));
  EXPECT_TRUE(same_values(ops::reduce_max(values({1.f, kInf, kNaN})), {kNaN}));
}

TEST(NonFinite, ClipPassesNaNAndItsGradient) {
  const Tensor x = values({kNaN, -kInf, kInf, 0.5f, 3.f});
  EXPECT_TRUE(same_values(ops::clip(x, 0, 1), {kNaN, 0, 1, 0.5f, 1}));
  // TensorFlow's ClipByValue gradient masks only values below or above the bounds.
  auto clipped = [](const Tensor& t) { return ops::clip(t, 0, 1); };
  EXPECT_TRUE(same_values(gradient_of(clipped, x, Tensor::ones({5})), {1, 0, 0, 1, 0}));
}

TEST(NonFinite, SoftmaxSigmoidTanhAndLosses) {
  const Tensor logits = Tensor::from_vector<float>({3, 2}, {kNaN, 1, kInf, 1, -kInf, 0});
  EXPECT_TRUE(same_values(ops::softmax(logits), {kNaN, kNaN, kNaN, kNaN, 0, 1}));
  EXPECT_TRUE(same_values(ops::log_softmax(logits), {kNaN, kNaN, kNaN, kNaN, -kInf, 0}));
  EXPECT_TRUE(same_values(ops::sigmoid(values({kNaN, kInf, -kInf})), {kNaN, 1, 0}));
  EXPECT_TRUE(same_values(ops::tanh(values({kNaN, kInf, -kInf})), {kNaN, 1, -1}));
  EXPECT_TRUE(same_values(gradient_of(ops::sigmoid, values({kNaN, 0.f}), Tensor::ones({2})), {kNaN, 0.25f}));
  EXPECT_TRUE(same_values(gradient_of(ops::tanh, values({kNaN, 0.f}), Tensor::ones({2})), {kNaN, 1}));
  EXPECT_TRUE(same_values(ops::sparse_softmax_cross_entropy(logits, Tensor::from_values({3}, {1, 1, 1}, DType::Int64)),
                          {kNaN, kNaN, 0}));
  EXPECT_TRUE(same_values(ops::sigmoid_cross_entropy(values({kNaN, 0.f}), values({1.f, 1.f})),
                          {kNaN, std::log(2.f)}, 1e-6f));
}

// One 2x2 window over 9 channels (more than a vector register holds), a NaN in a different pixel of
// channels 0-3 and none in the others.
TEST(NonFinite, MaxPoolingPropagatesNaNAndRoutesItsGradientToIt) {
  constexpr int64_t kChannels = 9;
  std::vector<float> image(4 * kChannels);
  for (int64_t pixel = 0; pixel < 4; ++pixel)
    for (int64_t c = 0; c < kChannels; ++c) image[pixel * kChannels + c] = static_cast<float>(pixel + c);
  for (int64_t c = 0; c < 4; ++c) image[c * kChannels + c] = kNaN;  // channel c: NaN at pixel c
  image[3 * kChannels + 8] = kInf;
  const Tensor x = Tensor::from_vector<float>({1, 2, 2, kChannels}, image);
  auto pool = [](const Tensor& t) { return ops::max_pool2d(t, {2, 2}, {2, 2}, ops::Padding::Valid); };
  const std::vector<float> expected = {kNaN, kNaN, kNaN, kNaN, 7, 8, 9, 10, kInf};
  EXPECT_TRUE(same_values(pool(x), expected));  // the kernel without argmax

  const Tensor dx = gradient_of(pool, x, Tensor::ones({1, 1, 1, kChannels}));
  std::vector<float> expected_dx(4 * kChannels, 0.f);
  for (int64_t c = 0; c < kChannels; ++c) expected_dx[(c < 4 ? c : 3) * kChannels + c] = 1.f;
  EXPECT_TRUE(same_values(dx, expected_dx));
}

// An LSTM of one unit whose gate pre-activations are all x (kernel 1, no recurrence, no bias), so the
// expected states follow by hand: its fused kernels clamp the exponent's argument, which must neither
// swallow a NaN nor turn an infinity into anything but the limit.
TEST(NonFinite, LstmKernelsPropagateNaNAndSaturateAtInfinities) {
  const Tensor kernel = Tensor::ones({1, 4}), recurrent = Tensor::zeros({1, 4}), bias = Tensor::zeros({4});
  // Batch of three sequences of two steps: NaN at the second step, +inf, -inf.
  const Tensor x = Tensor::from_vector<float>({3, 2, 1}, {0.f, kNaN, kInf, kInf, -kInf, -kInf});
  auto lstm = [&](const Tensor& input) { return ops::lstm(input, kernel, recurrent, bias, /*return_sequences=*/true); };
  // x = 0: i = f = o = 1/2, g = 0, so c = h = 0. x = +inf: gates 1, c = 1 then 2, h = tanh(c).
  // x = -inf: i = f = o = 0, g = -1, so c = h = 0.
  EXPECT_TRUE(same_values(lstm(x), {0, kNaN, std::tanh(1.f), std::tanh(2.f), 0, 0}, 1e-6f));

  const Tensor dx = gradient_of(lstm, x, Tensor::ones({3, 2, 1}));
  const std::vector<float> gradient = dx.to_vector<float>();
  EXPECT_TRUE(std::isnan(gradient[1])) << gradient[1];
  EXPECT_TRUE(std::isnan(gradient[0])) << gradient[0];  // reached through the NaN step's state
  for (size_t i = 2; i < 6; ++i) EXPECT_NEAR(gradient[i], 0.f, 1e-30f) << i;  // saturated gates
}

}  // namespace
}  // namespace cairn
