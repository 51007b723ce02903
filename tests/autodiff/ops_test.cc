// Forward values and numerical gradient checks for the elementwise, reduction, shape, linear-algebra
// and loss ops. Tolerances (tests/gradient_check.h defaults): central differences with step 1e-2 on
// float32, |analytic - numeric| <= 2e-3 + 2e-2 * |numeric|.
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/autodiff.h"
#include "cairn/ops.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

TEST(Ops, BroadcastingAddMatchesNumpy) {
  Tensor a = Tensor::from_values({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_values({3}, {10, 20, 30});
  Tensor c = Tensor::from_values({2, 1}, {100, 200});
  EXPECT_EQ(ops::add(a, b).to_vector<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(ops::add(a, c).to_vector<float>(), (std::vector<float>{101, 102, 103, 204, 205, 206}));
  EXPECT_EQ(ops::add(c, b).shape(), (Shape{2, 3}));
  EXPECT_EQ(ops::mul(a, Tensor::scalar(2)).to_vector<float>(), (std::vector<float>{2, 4, 6, 8, 10, 12}));
}

TEST(Ops, IncompatibleBroadcastNamesOpAndShapes) {
  try {
    ops::add(Tensor({2, 3}), Tensor({4}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "add: incompatible shapes (2, 3) and (4,)");
  }
}

TEST(Ops, MatmulInnerDimensionMismatchNamesBothShapes) {
  try {
    ops::matmul(Tensor({2, 3}), Tensor({4, 5}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(4, 5)"), std::string::npos);
  }
}

TEST(Ops, NonFloatInputIsRejectedWithTheOpName) {
  EXPECT_THROW(ops::relu(Tensor({2}, DType::Int32)), InvalidArgument);
}

TEST(Ops, ReductionsAndArgmax) {
  Tensor a = Tensor::from_values({2, 3}, {1, 5, 3, 4, 2, 6});
  EXPECT_EQ(ops::sum(a).item(), 21.0);
  EXPECT_EQ(ops::sum(a, {0}).to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(ops::sum(a, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(ops::mean(a, {-1}).to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(ops::reduce_max(a, {1}).to_vector<float>(), (std::vector<float>{5, 6}));
  EXPECT_EQ(ops::argmax(a).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
}

// Consecutive axes reduced in one pass (GlobalAveragePooling2D's rows and columns) give what reducing
// them one at a time gives.
TEST(Ops, SumOverConsecutiveAxesMatchesOneAxisAtATime) {
  Tensor a({2, 3, 4, 5});
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = static_cast<float>(i % 7) - 3.f;
  Tensor once = ops::sum(a, {1, 2});
  Tensor stepwise = ops::sum(ops::sum(a, {2}), {1});
  EXPECT_EQ(once.shape(), (Shape{2, 5}));
  EXPECT_EQ(once.to_vector<float>(), stepwise.to_vector<float>());
  EXPECT_EQ(ops::sum(a, {1, 2}, true).shape(), (Shape{2, 1, 1, 5}));
  EXPECT_EQ(ops::mean(a, {2, 1}).to_vector<float>(), ops::scale(stepwise, 1.0 / 12).to_vector<float>());
}

TEST(Ops, SoftmaxIsStableForHugeLogits) {
  Tensor x = Tensor::from_values({1, 3}, {1000, 1001, 1002});
  Tensor p = ops::softmax(x);
  EXPECT_NEAR(p.get({0, 2}), 0.66524096, 1e-6);
  Tensor lp = ops::log_softmax(x);
  EXPECT_NEAR(lp.get({0, 0}), -2.40760596, 1e-5);
  Tensor ce = ops::sparse_softmax_cross_entropy(x, Tensor::from_vector<int64_t>({1}, {0}));
  EXPECT_NEAR(ce.item(), 2.40760596, 1e-5);
}

TEST(Ops, SigmoidCrossEntropyMatchesDefinition) {
  Tensor x = Tensor::from_values({3}, {-50, 0.5, 30});
  Tensor z = Tensor::from_values({3}, {0, 1, 1});
  Tensor l = ops::sigmoid_cross_entropy(x, z);
  EXPECT_NEAR(l.get({0}), std::log1p(std::exp(-50.0)), 1e-7);
  EXPECT_NEAR(l.get({1}), -std::log(1 / (1 + std::exp(-0.5))), 1e-6);
  EXPECT_NEAR(l.get({2}), std::log1p(std::exp(-30.0)), 1e-7);
}

TEST(Ops, SparseCrossEntropyRejectsLabelsOutOfRange) {
  EXPECT_THROW(ops::sparse_softmax_cross_entropy(Tensor({2, 3}), Tensor::from_vector<int64_t>({2}, {0, 3})), InvalidArgument);
  EXPECT_THROW(ops::sparse_softmax_cross_entropy(Tensor({2, 3}), Tensor::from_vector<int64_t>({3}, {0, 1, 2})), ShapeError);
}

TEST(Ops, DropoutKeepsExpectationAndIsSeeded) {
  Tensor x = Tensor::ones({100000});
  Generator g1(9), g2(9);
  Tensor a = ops::dropout(x, 0.2, g1), b = ops::dropout(x, 0.2, g2);
  EXPECT_TRUE(equal_bytes(a, b));
  double zeros = 0;
  for (float v : a.span<float>()) {
    if (v == 0.f) ++zeros;
    else EXPECT_FLOAT_EQ(v, 1.25f);
  }
  EXPECT_NEAR(zeros / 100000, 0.2, 0.01);
  EXPECT_THROW(ops::dropout(x, 1.0, g1), InvalidArgument);
}

struct GradCase {
  const char* name;
  Fn f;
  std::vector<Shape> shapes;
};

class OpGradient : public ::testing::TestWithParam<GradCase> {};

TEST_P(OpGradient, MatchesCentralDifferences) {
  const GradCase& c = GetParam();
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.shapes.size(); ++i) inputs.push_back(random_tensor(c.shapes[i], 100 + i));
  expect_gradients_match(c.f, inputs);
}

Tensor positive(const Tensor& t) { return ops::add_scalar(ops::square(t), 0.5); }

INSTANTIATE_TEST_SUITE_P(
    All, OpGradient,
    ::testing::Values(
        GradCase{"add_broadcast", [](auto& x) { return ops::add(x[0], x[1]); }, {{3, 4}, {4}}},
        GradCase{"sub_broadcast", [](auto& x) { return ops::sub(x[0], x[1]); }, {{3, 1}, {1, 4}}},
        GradCase{"mul_broadcast", [](auto& x) { return ops::mul(x[0], x[1]); }, {{2, 3, 4}, {3, 1}}},
        GradCase{"div", [](auto& x) { return ops::div(x[0], positive(x[1])); }, {{3, 4}, {3, 4}}},
        GradCase{"maximum", [](auto& x) { return ops::maximum(x[0], x[1]); }, {{5, 3}, {5, 3}}},
        GradCase{"exp_log_sqrt", [](auto& x) { return ops::sqrt(ops::log(ops::add_scalar(ops::exp(x[0]), 1))); }, {{4, 3}}},
        GradCase{"abs_clip", [](auto& x) { return ops::clip(ops::abs(x[0]), 0.2, 0.8); }, {{6, 3}}},
        GradCase{"relu", [](auto& x) { return ops::relu(x[0]); }, {{4, 5}}},
        GradCase{"sigmoid", [](auto& x) { return ops::sigmoid(ops::scale(x[0], 3)); }, {{4, 5}}},
        GradCase{"tanh", [](auto& x) { return ops::tanh(x[0]); }, {{4, 5}}},
        GradCase{"softmax_last", [](auto& x) { return ops::softmax(x[0]); }, {{3, 5}}},
        GradCase{"softmax_axis0", [](auto& x) { return ops::softmax(x[0], 0); }, {{3, 5}}},
        GradCase{"log_softmax", [](auto& x) { return ops::log_softmax(x[0], 1); }, {{2, 4, 3}}},
        GradCase{"sum_axes", [](auto& x) { return ops::sum(x[0], {0, 2}); }, {{2, 3, 4}}},
        GradCase{"mean_keepdims", [](auto& x) { return ops::mean(x[0], {1}, true); }, {{2, 3, 4}}},
        GradCase{"mean_middle_axes", [](auto& x) { return ops::mean(x[0], {1, 2}); }, {{2, 3, 2, 4}}},
        GradCase{"sum_leading_axes_keepdims", [](auto& x) { return ops::sum(x[0], {0, 1}, true); }, {{2, 3, 4}}},
        GradCase{"reduce_max", [](auto& x) { return ops::reduce_max(x[0], {1}); }, {{4, 6}}},
        GradCase{"matmul", [](auto& x) { return ops::matmul(x[0], x[1]); }, {{3, 4}, {4, 5}}},
        GradCase{"matmul_ta", [](auto& x) { return ops::matmul(x[0], x[1], true, false); }, {{4, 3}, {4, 5}}},
        GradCase{"matmul_tb", [](auto& x) { return ops::matmul(x[0], x[1], false, true); }, {{3, 4}, {5, 4}}},
        GradCase{"matmul_tab", [](auto& x) { return ops::matmul(x[0], x[1], true, true); }, {{4, 3}, {5, 4}}},
        GradCase{"dense", [](auto& x) { return ops::dense(x[0], x[1], x[2]); }, {{2, 3, 4}, {4, 5}, {5}}},
        GradCase{"bias_add", [](auto& x) { return ops::bias_add(x[0], x[1]); }, {{3, 4}, {4}}},
        GradCase{"transpose_reshape", [](auto& x) { return ops::reshape(ops::transpose(x[0]), {2, 6}); }, {{3, 4}}},
        GradCase{"concat", [](auto& x) { return ops::concat({x[0], x[1]}, 1); }, {{2, 3}, {2, 2}}},
        GradCase{"gather_rows", [](auto& x) { return ops::gather_rows(x[0], {2, 0, 2}); }, {{3, 4}}},
        GradCase{"sparse_ce",
                 [](auto& x) { return ops::sparse_softmax_cross_entropy(x[0], Tensor::from_vector<int64_t>({3}, {1, 0, 3})); },
                 {{3, 4}}},
        GradCase{"sigmoid_ce",
                 [](auto& x) { return ops::sigmoid_cross_entropy(x[0], Tensor::from_values({4}, {0, 1, 1, 0})); },
                 {{4}}},
        GradCase{"cast_roundtrip", [](auto& x) { return ops::cast(ops::cast(x[0], DType::Float64), DType::Float32); }, {{3}}}),
    [](const ::testing::TestParamInfo<GradCase>& info) { return std::string(info.param.name); });

TEST(GradientTape, VariablesAreWatchedByThemselves) {
  Variable w("w", Tensor::from_values({2}, {3, -1}));
  Tensor x = Tensor::from_values({2}, {2, 5});
  GradientTape tape;
  Tensor loss = ops::sum(ops::square(ops::mul(w.value(), x)));
  auto grads = tape.gradient(loss, std::vector<Variable*>{&w});
  // d/dw sum((w x)^2) = 2 w x^2
  EXPECT_EQ(grads[0].to_vector<float>(), (std::vector<float>{24, -50}));
}

// An input without features still has rows: each output row is the bias, and the bias's gradient
// sums every row of the output's.
TEST(Ops, DenseOfAnInputWithoutFeaturesGivesTheBias) {
  Variable kernel("kernel", Tensor::zeros({0, 2})), bias("bias", Tensor::from_values({2}, {1.5f, -2}));
  Tensor x = Tensor::zeros({3, 0});
  GradientTape tape;
  Tensor y = ops::dense(x, kernel.value(), bias.value());
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1.5f, -2, 1.5f, -2, 1.5f, -2}));
  auto grads = tape.gradient(ops::sum(y), std::vector<Variable*>{&bias});
  EXPECT_EQ(grads[0].to_vector<float>(), (std::vector<float>{3, 3}));
}

TEST(GradientTape, UnrelatedSourceGetsZeros) {
  Variable w("w", Tensor::ones({2})), unused("u", Tensor::ones({3}));
  GradientTape tape;
  Tensor loss = ops::sum(w.value());
  auto grads = tape.gradient(loss, std::vector<Variable*>{&w, &unused});
  EXPECT_EQ(grads[1].to_vector<float>(), (std::vector<float>{0, 0, 0}));
}

TEST(GradientTape, NonPersistentTapeRefusesSecondGradient) {
  Variable w("w", Tensor::ones({2}));
  GradientTape tape;
  Tensor loss = ops::sum(w.value());
  tape.gradient(loss, std::vector<Variable*>{&w});
  EXPECT_THROW(tape.gradient(loss, std::vector<Variable*>{&w}), InvalidArgument);
}

TEST(GradientTape, PersistentTapeAndReusedTensorsAccumulate) {
  Variable w("w", Tensor::from_values({1}, {3}));
  GradientTape tape(/*persistent=*/true);
  Tensor y = ops::mul(w.value(), w.value());  // w^2, w used twice
  Tensor z = ops::add(y, w.value());          // w^2 + w
  EXPECT_FLOAT_EQ(tape.gradient(z, std::vector<Variable*>{&w})[0].item(), 7.f);
  EXPECT_FLOAT_EQ(tape.gradient(y, std::vector<Variable*>{&w})[0].item(), 6.f);
}

TEST(GradientTape, NoGradGuardAndNonTrainableStopRecording) {
  Variable w("w", Tensor::ones({2})), frozen("f", Tensor::ones({2}), /*trainable=*/false);
  GradientTape tape;
  Tensor a;
  {
    autodiff::NoGradGuard guard;
    a = ops::mul(w.value(), Tensor::scalar(2));
  }
  Tensor loss = ops::sum(ops::add(ops::mul(a, w.value()), frozen.value()));
  auto grads = tape.gradient(loss, std::vector<Variable*>{&w, &frozen});
  EXPECT_EQ(grads[0].to_vector<float>(), (std::vector<float>{2, 2}));  // a is treated as a constant
  EXPECT_EQ(grads[1].to_vector<float>(), (std::vector<float>{0, 0}));
}

TEST(GradientTape, NestedTapesEachSeeTheirOps) {
  Variable w("w", Tensor::from_values({1}, {2}));
  GradientTape outer;
  Tensor y;
  std::vector<Tensor> inner_grads;
  {
    GradientTape inner;
    y = ops::mul(w.value(), w.value());
    inner_grads = inner.gradient(y, std::vector<Variable*>{&w});
  }
  Tensor z = ops::mul(y, w.value());  // w^3
  EXPECT_FLOAT_EQ(inner_grads[0].item(), 4.f);
  EXPECT_FLOAT_EQ(outer.gradient(z, std::vector<Variable*>{&w})[0].item(), 12.f);
}

}  // namespace
}  // namespace cairn
