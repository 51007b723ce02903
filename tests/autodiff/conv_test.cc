// conv2d and max_pool2d against direct reference implementations written here from TensorFlow's
// definitions, plus numerical gradient checks.
//
// Tolerances:
// - forward and analytic backward vs the double-precision reference: |got - want| <= 1e-4 + 1e-5 * |want|
//   (inputs in [-1, 1], at most 400 products summed in float32);
// - numerical gradient checks: tests/gradient_check.h defaults, central differences with step 1e-2,
//   |analytic - numeric| <= 2e-3 + 2e-2 * |numeric| (conv2d is linear in each input, so the only error is
//   float32 rounding; pooling inputs are spaced 0.05 apart so that a step never changes a window's maximum);
// - tie-breaking and routing of pooling gradients: exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "cairn/autodiff.h"
#include "cairn/ops.h"
#include "cairn/parallel.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using ops::Padding;
using testing::expect_gradients_match;
using testing::random_tensor;

// One axis of a TensorFlow window: 'same' gives ceil(in / stride) outputs and puts the odd padding element
// after; 'valid' pads nothing.
struct Axis {
  int64_t out, pad_before;
};
Axis tf_axis(int64_t in, int64_t window, int64_t stride, Padding padding) {
  if (padding == Padding::Valid) return {(in - window) / stride + 1, 0};
  const int64_t out = (in + stride - 1) / stride;
  return {out, std::max<int64_t>((out - 1) * stride + window - in, 0) / 2};
}

// Calls visit(out_index, in_index, kernel_index) for every product of the convolution (TF layouts).
template <class Visit>
void for_each_product(const Shape& xs, const Shape& ks, std::array<int, 2> strides, Padding padding,
                      Visit visit) {
  const int64_t n_ = xs[0], h_ = xs[1], w_ = xs[2], c_ = xs[3], kh_ = ks[0], kw_ = ks[1], f_ = ks[3];
  const Axis rows = tf_axis(h_, kh_, strides[0], padding), cols = tf_axis(w_, kw_, strides[1], padding);
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t oh = 0; oh < rows.out; ++oh)
      for (int64_t ow = 0; ow < cols.out; ++ow)
        for (int64_t i = 0; i < kh_; ++i)
          for (int64_t j = 0; j < kw_; ++j) {
            const int64_t h = oh * strides[0] + i - rows.pad_before,
                          w = ow * strides[1] + j - cols.pad_before;
            if (h < 0 || h >= h_ || w < 0 || w >= w_) continue;  // zero padding
            for (int64_t c = 0; c < c_; ++c)
              for (int64_t f = 0; f < f_; ++f)
                visit(((n * rows.out + oh) * cols.out + ow) * f_ + f, ((n * h_ + h) * w_ + w) * c_ + c,
                      ((i * kw_ + j) * c_ + c) * f_ + f);
          }
}

Shape conv_output_shape(const Shape& xs, const Shape& ks, std::array<int, 2> strides, Padding padding) {
  return {xs[0], tf_axis(xs[1], ks[0], strides[0], padding).out,
          tf_axis(xs[2], ks[1], strides[1], padding).out, ks[3]};
}

Tensor to_float(const std::vector<double>& values, const Shape& shape) {
  Tensor t(shape, DType::Float32);
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

Tensor reference_conv2d(const Tensor& x, const Tensor& k, std::array<int, 2> strides, Padding padding) {
  const Shape out_shape = conv_output_shape(x.shape(), k.shape(), strides, padding);
  std::vector<double> y(num_elements(out_shape));
  const float *px = x.data<float>(), *pk = k.data<float>();
  for_each_product(x.shape(), k.shape(), strides, padding,
                   [&](int64_t o, int64_t i, int64_t w) { y[o] += double(px[i]) * pk[w]; });
  return to_float(y, out_shape);
}

// Gradients of sum(conv2d(x, k) * dy) with respect to x and k.
std::pair<Tensor, Tensor> reference_conv2d_grads(const Tensor& x, const Tensor& k, const Tensor& dy,
                                                 std::array<int, 2> strides, Padding padding) {
  std::vector<double> dx(x.numel()), dk(k.numel());
  const float *px = x.data<float>(), *pk = k.data<float>(), *pg = dy.data<float>();
  for_each_product(x.shape(), k.shape(), strides, padding, [&](int64_t o, int64_t i, int64_t w) {
    dx[i] += double(pg[o]) * pk[w];
    dk[w] += double(pg[o]) * px[i];
  });
  return {to_float(dx, x.shape()), to_float(dk, k.shape())};
}

// Max over each window, padded positions excluded, and where its first maximum (row by row) sits.
std::pair<Tensor, std::vector<int64_t>> reference_max_pool2d(const Tensor& x, std::array<int, 2> pool,
                                                             std::array<int, 2> strides, Padding padding) {
  const int64_t n_ = x.dim(0), h_ = x.dim(1), w_ = x.dim(2), c_ = x.dim(3);
  const Axis rows = tf_axis(h_, pool[0], strides[0], padding),
             cols = tf_axis(w_, pool[1], strides[1], padding);
  Tensor y({n_, rows.out, cols.out, c_}, DType::Float32);
  std::vector<int64_t> argmax(y.numel());
  const float* px = x.data<float>();
  int64_t o = 0;
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t oh = 0; oh < rows.out; ++oh)
      for (int64_t ow = 0; ow < cols.out; ++ow)
        for (int64_t c = 0; c < c_; ++c, ++o) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t where = -1;
          for (int64_t i = 0; i < pool[0]; ++i)
            for (int64_t j = 0; j < pool[1]; ++j) {
              const int64_t h = oh * strides[0] + i - rows.pad_before,
                            w = ow * strides[1] + j - cols.pad_before;
              if (h < 0 || h >= h_ || w < 0 || w >= w_) continue;
              const int64_t idx = ((n * h_ + h) * w_ + w) * c_ + c;
              if (where < 0 || px[idx] > best) best = px[idx], where = idx;
            }
          y.data<float>()[o] = best;
          argmax[o] = where;
        }
  return {y, argmax};
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const float *g = got.data<float>(), *w = want.data<float>();
  int64_t bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i)
    if (!(std::abs(g[i] - w[i]) <= 1e-4 + 1e-5 * std::abs(w[i])) && bad++ < 5)
      ADD_FAILURE() << what << " element " << i << ": got " << g[i] << ", want " << w[i];
  EXPECT_EQ(bad, 0) << what;
}

struct ConvCase {
  Shape input, kernel;
  std::array<int, 2> strides;
  Padding padding;
};

std::string describe(const ConvCase& c) {
  return "input " + shape_str(c.input) + " kernel " + shape_str(c.kernel) + " strides (" +
         std::to_string(c.strides[0]) + ", " + std::to_string(c.strides[1]) + ") " +
         (c.padding == Padding::Same ? "same" : "valid");
}

const std::vector<ConvCase> kConvCases = {
    {{2, 7, 9, 3}, {3, 3, 3, 4}, {1, 1}, Padding::Same},
    {{2, 7, 9, 3}, {3, 3, 3, 4}, {2, 2}, Padding::Same},
    {{2, 7, 9, 3}, {3, 3, 3, 4}, {1, 1}, Padding::Valid},
    {{2, 7, 9, 3}, {3, 3, 3, 4}, {2, 2}, Padding::Valid},
    {{1, 8, 6, 2}, {2, 4, 2, 5}, {2, 3}, Padding::Same},     // even kernel: padding after > before
    {{1, 8, 6, 2}, {2, 4, 2, 5}, {3, 1}, Padding::Valid},    // strides that skip input rows
    {{2, 5, 5, 2}, {1, 1, 2, 3}, {3, 3}, Padding::Same},     // 'same' whose padding clips to 0
    {{1, 4, 4, 1}, {4, 4, 1, 2}, {1, 1}, Padding::Valid},    // kernel as large as the input
    {{4, 28, 28, 1}, {5, 5, 1, 16}, {1, 1}, Padding::Same},  // the seed CNN's layers
    {{4, 14, 14, 16}, {5, 5, 16, 36}, {1, 1}, Padding::Same},
    {{3, 11, 13, 8}, {3, 3, 8, 16}, {2, 2}, Padding::Same},
    {{2, 2, 3, 2}, {5, 5, 2, 3}, {1, 1}, Padding::Same},      // kernel larger than the input
    {{2, 9, 9, 32}, {1, 1, 32, 40}, {2, 2}, Padding::Valid},  // 1x1 kernels, many channels
    {{2, 10, 10, 64}, {3, 3, 64, 8}, {1, 1}, Padding::Same},
};

TEST(Conv2D, PaddingGivesTensorFlowOutputShapes) {
  EXPECT_EQ(ops::conv2d(Tensor({1, 28, 28, 1}), Tensor({5, 5, 1, 16}), {1, 1}, Padding::Same).shape(),
            (Shape{1, 28, 28, 16}));
  EXPECT_EQ(ops::conv2d(Tensor({1, 28, 28, 1}), Tensor({5, 5, 1, 16}), {1, 1}, Padding::Valid).shape(),
            (Shape{1, 24, 24, 16}));
  EXPECT_EQ(ops::conv2d(Tensor({2, 7, 8, 3}), Tensor({3, 3, 3, 4}), {2, 3}, Padding::Same).shape(),
            (Shape{2, 4, 3, 4}));
  EXPECT_EQ(ops::conv2d(Tensor({2, 7, 8, 3}), Tensor({3, 3, 3, 4}), {2, 3}, Padding::Valid).shape(),
            (Shape{2, 3, 2, 4}));
}

TEST(Conv2D, TensorFlowSamePaddingPutsTheOddElementAfter) {
  // 1x4 input, 1x2 kernel [1, 10], stride 1, 'same': pad_total 1, all of it after the last column.
  Tensor x = Tensor::from_values({1, 1, 4, 1}, {1, 2, 3, 4});
  Tensor k = Tensor::from_values({1, 2, 1, 1}, {1, 10});
  EXPECT_EQ(ops::conv2d(x, k, {1, 1}, Padding::Same).to_vector<float>(), (std::vector<float>{21, 32, 43, 4}));
  // 1x5 input, 1x4 kernel, stride 2: out 3, pad_total (3-1)*2 + 4 - 5 = 3, one before and two after.
  Tensor x5 = Tensor::from_values({1, 1, 5, 1}, {1, 2, 3, 4, 5});
  Tensor k4 = Tensor::from_values({1, 4, 1, 1}, {1, 10, 100, 1000});
  EXPECT_EQ(ops::conv2d(x5, k4, {1, 2}, Padding::Same).to_vector<float>(),
            (std::vector<float>{3210, 5432, 54}));
}

TEST(Conv2D, ForwardMatchesDirectReference) {
  uint64_t seed = 1;
  for (const ConvCase& c : kConvCases) {
    Tensor x = random_tensor(c.input, seed++), k = random_tensor(c.kernel, seed++);
    expect_close(ops::conv2d(x, k, c.strides, c.padding), reference_conv2d(x, k, c.strides, c.padding),
                 describe(c));
  }
}

TEST(Conv2D, BackwardMatchesDirectReference) {
  uint64_t seed = 100;
  for (const ConvCase& c : kConvCases) {
    Tensor x = random_tensor(c.input, seed++), k = random_tensor(c.kernel, seed++);
    Tensor dy = random_tensor(conv_output_shape(c.input, c.kernel, c.strides, c.padding), seed++);
    GradientTape tape;
    tape.watch(x);
    tape.watch(k);
    Tensor loss = ops::sum(ops::mul(ops::conv2d(x, k, c.strides, c.padding), dy));
    std::vector<Tensor> grads = tape.gradient(loss, std::vector<Tensor>{x, k});
    auto [dx, dk] = reference_conv2d_grads(x, k, dy, c.strides, c.padding);
    expect_close(grads[0], dx, "input gradient, " + describe(c));
    expect_close(grads[1], dk, "kernel gradient, " + describe(c));
  }
}

TEST(Conv2D, KernelGradientAloneWhenTheInputIsConstant) {
  // The first layer's input needs no gradient; the kernel's must not depend on computing it.
  ConvCase c{{3, 9, 9, 1}, {5, 5, 1, 4}, {1, 1}, Padding::Same};
  Tensor x = random_tensor(c.input, 7), k = random_tensor(c.kernel, 8);
  Tensor dy = random_tensor(conv_output_shape(c.input, c.kernel, c.strides, c.padding), 9);
  GradientTape tape;
  tape.watch(k);
  Tensor loss = ops::sum(ops::mul(ops::conv2d(x, k, c.strides, c.padding), dy));
  Tensor dk = tape.gradient(loss, std::vector<Tensor>{k})[0];
  expect_close(dk, reference_conv2d_grads(x, k, dy, c.strides, c.padding).second, "kernel gradient");
}

TEST(Conv2D, NumericalGradients) {
  const std::vector<ConvCase> cases = {
      {{2, 5, 7, 3}, {3, 3, 3, 2}, {1, 1}, Padding::Same},
      {{2, 5, 7, 3}, {3, 3, 3, 2}, {2, 2}, Padding::Same},
      {{2, 5, 7, 3}, {3, 2, 3, 2}, {1, 1}, Padding::Valid},
      {{1, 7, 5, 2}, {3, 3, 2, 3}, {2, 2}, Padding::Valid},
      {{1, 6, 5, 2}, {2, 4, 2, 2}, {1, 2}, Padding::Same},
  };
  uint64_t seed = 200;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(describe(c));
    expect_gradients_match(
        [&](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], c.strides, c.padding); },
        {random_tensor(c.input, seed++), random_tensor(c.kernel, seed++)});
  }
}

// The output and both gradients of conv2d, and the output and gradient of a 2x2 max pool after it.
std::vector<Tensor> conv_pool_results(const Tensor& x, const Tensor& k) {
  GradientTape tape;
  tape.watch(x);
  tape.watch(k);
  Tensor y = ops::conv2d(x, k, {1, 1}, Padding::Same);
  Tensor pooled = ops::max_pool2d(y, {2, 2}, {2, 2}, Padding::Valid);
  std::vector<Tensor> grads = tape.gradient(ops::sum(ops::square(pooled)), std::vector<Tensor>{x, k, y});
  return {y, pooled, grads[0], grads[1], grads[2]};
}

TEST(Conv2D, SameResultsWithTwoThreads) {
  Tensor x = random_tensor({6, 14, 14, 16}, 31), k = random_tensor({5, 5, 16, 36}, 32);
  std::vector<Tensor> one = conv_pool_results(x, k);
  set_num_threads(2);
  std::vector<Tensor> two = conv_pool_results(x, k);
  set_num_threads(1);
  const char* names[] = {"conv output", "pool output", "input gradient", "kernel gradient",
                         "pool input gradient"};
  for (size_t i = 0; i < one.size(); ++i)
    expect_close(two[i], one[i], std::string(names[i]) + ", two threads vs one");
}

TEST(Conv2D, EmptyBatchGivesEmptyOutput) {
  Tensor y = ops::conv2d(Tensor({0, 5, 5, 3}), Tensor({3, 3, 3, 4}), {1, 1}, Padding::Same);
  EXPECT_EQ(y.shape(), (Shape{0, 5, 5, 4}));
}

TEST(Conv2D, ShapeErrorsNameTheOpAndBothShapes) {
  try {
    ops::conv2d(Tensor({2, 8, 8, 3}), Tensor({3, 3, 4, 5}), {1, 1}, Padding::Same);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(
        e.what(),
        "conv2d: input of shape (2, 8, 8, 3) has 3 channels but kernel of shape (3, 3, 4, 5) expects 4 "
        "input channels");
  }
  try {
    ops::conv2d(Tensor({1, 4, 8, 1}), Tensor({5, 5, 1, 2}), {1, 1}, Padding::Valid);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("conv2d"), std::string::npos) << message;
    EXPECT_NE(message.find("(5, 5, 1, 2)"), std::string::npos) << message;
    EXPECT_NE(message.find("(1, 4, 8, 1)"), std::string::npos) << message;
  }
  EXPECT_THROW(ops::conv2d(Tensor({8, 8, 3}), Tensor({3, 3, 3, 5}), {1, 1}, Padding::Same), ShapeError);
  EXPECT_THROW(ops::conv2d(Tensor({1, 8, 8, 3}), Tensor({3, 3, 3}), {1, 1}, Padding::Same), ShapeError);
  EXPECT_THROW(ops::conv2d(Tensor({1, 8, 8, 3}), Tensor({3, 3, 3, 5}), {0, 1}, Padding::Same),
               InvalidArgument);
  EXPECT_THROW(ops::conv2d(Tensor({1, 8, 8, 3}, DType::Float64), Tensor({3, 3, 3, 5}), {1, 1}, Padding::Same),
               InvalidArgument);
  EXPECT_THROW(ops::conv2d(Tensor({1, 8, 8, 3}), Tensor({3, 3, 3, 5}, DType::Int32), {1, 1}, Padding::Same),
               InvalidArgument);
}

// fused_conv2d against the ops it fuses (conv2d, bias_add, relu): outputs and the gradients of x, kernel
// and bias, with and without each part. Half the bias is negative so that relu cuts a good share.
TEST(FusedConv2D, MatchesConvBiasAddRelu) {
  uint64_t seed = 400;
  for (const ConvCase& c : kConvCases)
    for (bool has_bias : {false, true})
      for (bool relu : {false, true}) {
        const std::string what = describe(c) + (has_bias ? ", bias" : "") + (relu ? ", relu" : "");
        Tensor x = random_tensor(c.input, seed++), k = random_tensor(c.kernel, seed++);
        Tensor b = random_tensor({c.kernel[3]}, seed++);
        Tensor dy = random_tensor(conv_output_shape(c.input, c.kernel, c.strides, c.padding), seed++);
        auto run = [&](bool fused) {
          GradientTape tape;
          tape.watch(x);
          tape.watch(k);
          tape.watch(b);
          Tensor y;
          if (fused) {
            y = ops::fused_conv2d(x, k, has_bias ? b : Tensor(), relu, c.strides, c.padding);
          } else {
            y = ops::conv2d(x, k, c.strides, c.padding);
            if (has_bias) y = ops::bias_add(y, b);
            if (relu) y = ops::relu(y);
          }
          std::vector<Tensor> grads = tape.gradient(ops::sum(ops::mul(y, dy)), std::vector<Tensor>{x, k, b});
          return std::vector<Tensor>{y, grads[0], grads[1], grads[2]};
        };
        std::vector<Tensor> fused = run(true), composed = run(false);
        expect_close(fused[0], composed[0], "output, " + what);
        expect_close(fused[1], composed[1], "input gradient, " + what);
        expect_close(fused[2], composed[2], "kernel gradient, " + what);
        expect_close(fused[3], composed[3], "bias gradient (zeros without a bias), " + what);
      }
}

TEST(FusedConv2D, BiasGradientSumsOverManyBlocksTheSameWithTwoThreads) {
  // 2 * 30 * 30 = 1800 pixels: several blocks of the fused gradient's channel sums.
  Tensor x = random_tensor({2, 30, 30, 3}, 41), k = random_tensor({3, 3, 3, 5}, 42), b = random_tensor({5}, 43);
  auto bias_gradient = [&] {
    GradientTape tape;
    tape.watch(b);
    Tensor y = ops::fused_conv2d(x, k, b, true, {1, 1}, Padding::Same);
    return tape.gradient(ops::sum(ops::square(y)), std::vector<Tensor>{b})[0];
  };
  Tensor one = bias_gradient();
  set_num_threads(2);
  Tensor two = bias_gradient();
  set_num_threads(1);
  EXPECT_TRUE(equal_bytes(one, two)) << one << " vs " << two;
  GradientTape tape;
  tape.watch(b);
  Tensor y = ops::relu(ops::bias_add(ops::conv2d(x, k, {1, 1}, Padding::Same), b));
  expect_close(one, tape.gradient(ops::sum(ops::square(y)), std::vector<Tensor>{b})[0], "bias gradient");
}

TEST(FusedConv2D, NoInputChannelsGivesTheEpilogueOfZero) {
  Tensor y = ops::fused_conv2d(Tensor({2, 3, 3, 0}), Tensor({3, 3, 0, 2}), Tensor::from_values({2}, {-1.5, 2.5}),
                               true, {1, 1}, Padding::Same);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 3, 2}));
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y.data<float>()[i], i % 2 ? 2.5f : 0.f) << i;
}

TEST(FusedConv2D, BiasOfTheWrongShapeIsAShapeError) {
  try {
    ops::fused_conv2d(Tensor({1, 4, 4, 3}), Tensor({3, 3, 3, 5}), Tensor({4}), true, {1, 1}, Padding::Same);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "conv2d: bias of shape (4,) does not match kernel of shape (3, 3, 3, 5) (expected (5,))");
  }
}

TEST(Conv2D, PaddingNames) {
  EXPECT_EQ(ops::padding_from_name("SAME"), Padding::Same);
  EXPECT_EQ(ops::padding_from_name("valid"), Padding::Valid);
  EXPECT_THROW(ops::padding_from_name("causal"), InvalidArgument);
}

// Values 0.05 apart in a shuffled order, so that every window has one clear maximum.
Tensor distinct_values(const Shape& shape, uint64_t seed) {
  Tensor t(shape, DType::Float32);
  std::vector<int64_t> order = Generator(seed).permutation(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.05f * (order[i] - t.numel() / 2);
  return t;
}

struct PoolCase {
  Shape input;
  std::array<int, 2> pool, strides;
  Padding padding;
};

const std::vector<PoolCase> kPoolCases = {
    {{2, 6, 6, 3}, {2, 2}, {2, 2}, Padding::Valid},
    {{2, 7, 5, 3}, {2, 2}, {2, 2}, Padding::Same},   // odd sizes: the last window hangs over
    {{2, 7, 5, 3}, {2, 2}, {2, 2}, Padding::Valid},  // odd sizes: the last row and column are dropped
    {{1, 6, 7, 2}, {3, 3}, {1, 1}, Padding::Same},   // overlapping windows
    {{1, 6, 7, 2}, {3, 3}, {1, 1}, Padding::Valid},
    {{1, 7, 8, 5}, {3, 2}, {2, 3}, Padding::Same},
    {{1, 9, 9, 4}, {2, 2}, {3, 3}, Padding::Valid},     // strides larger than the window
    {{2, 5, 6, 3}, {2, 2}, {1, 1}, Padding::Valid},     // overlapping 2x2 windows
    {{4, 28, 28, 16}, {2, 2}, {2, 2}, Padding::Valid},  // the seed CNN
};

std::string describe(const PoolCase& c) {
  return "input " + shape_str(c.input) + " pool (" + std::to_string(c.pool[0]) + ", " +
         std::to_string(c.pool[1]) + ") strides (" + std::to_string(c.strides[0]) + ", " +
         std::to_string(c.strides[1]) + ") " + (c.padding == Padding::Same ? "same" : "valid");
}

TEST(MaxPool2D, ForwardAndGradientRoutingMatchReference) {
  uint64_t seed = 300;
  for (const PoolCase& c : kPoolCases) {
    SCOPED_TRACE(describe(c));
    // Negative values too: a padded position must never win, as it would if it counted as zero.
    Tensor x = random_tensor(c.input, seed++, -2.f, 1.f);
    auto [want, argmax] = reference_max_pool2d(x, c.pool, c.strides, c.padding);
    Tensor dy = random_tensor(want.shape(), seed++);
    GradientTape tape;
    tape.watch(x);
    Tensor y = ops::max_pool2d(x, c.pool, c.strides, c.padding);
    Tensor dx = tape.gradient(ops::sum(ops::mul(y, dy)), std::vector<Tensor>{x})[0];
    ASSERT_EQ(y.shape(), want.shape());
    EXPECT_EQ(y.to_vector<float>(), want.to_vector<float>());
    {
      // Unrecorded, the kernel does not note where the maxima are; the values must not change.
      autodiff::NoGradGuard no_grad;
      EXPECT_EQ(ops::max_pool2d(x, c.pool, c.strides, c.padding).to_vector<float>(), want.to_vector<float>());
    }
    std::vector<double> expected(x.numel());
    for (int64_t o = 0; o < dy.numel(); ++o) expected[argmax[o]] += dy.data<float>()[o];
    expect_close(dx, to_float(expected, x.shape()), "pool gradient");
  }
}

TEST(MaxPool2D, TiesSendTheGradientToTheFirstMaximumInWindowOrder) {
  // One 2x2 window per channel: channel 0 all equal, channel 1 tied at positions (0,1) and (1,0).
  Tensor x = Tensor::from_values({1, 2, 2, 2}, {3, 0, 3, 5, 3, 5, 3, 1});
  GradientTape tape;
  tape.watch(x);
  Tensor y = ops::max_pool2d(x, {2, 2}, {2, 2}, Padding::Valid);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 5}));
  Tensor dx = tape.gradient(ops::sum(y), std::vector<Tensor>{x})[0];
  EXPECT_EQ(dx.to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 0, 0, 0, 0}));
}

TEST(MaxPool2D, OverlappingWindowsAccumulateGradients) {
  // 1x3 row [1, 9, 2], window 1x2, stride 1: both windows pick the 9.
  Tensor x = Tensor::from_values({1, 1, 3, 1}, {1, 9, 2});
  GradientTape tape;
  tape.watch(x);
  Tensor y = ops::max_pool2d(x, {1, 2}, {1, 1}, Padding::Valid);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{9, 9}));
  Tensor dx = tape.gradient(ops::sum(ops::mul(y, Tensor::from_values({1, 1, 2, 1}, {2, 3}))),
                            std::vector<Tensor>{x})[0];
  EXPECT_EQ(dx.to_vector<float>(), (std::vector<float>{0, 5, 0}));
}

TEST(MaxPool2D, NumericalGradients) {
  uint64_t seed = 400;
  for (const PoolCase& c : kPoolCases) {
    if (c.input[0] > 2) continue;  // the seed shape is covered above; keep the finite differences small
    SCOPED_TRACE(describe(c));
    expect_gradients_match(
        [&](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], c.pool, c.strides, c.padding); },
        {distinct_values(c.input, seed++)});
  }
}

TEST(MaxPool2D, ShapeErrorsNameTheOpAndShape) {
  try {
    ops::max_pool2d(Tensor({1, 3, 8, 2}), {4, 4}, {1, 1}, Padding::Valid);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(
        e.what(),
        "max_pool2d: pool_size (4, 4) does not fit in input of shape (1, 3, 8, 2) with 'valid' padding");
  }
  EXPECT_EQ(ops::max_pool2d(Tensor({1, 3, 8, 2}), {4, 4}, {4, 4}, Padding::Same).shape(),
            (Shape{1, 1, 2, 2}));
  EXPECT_THROW(ops::max_pool2d(Tensor({3, 8, 2}), {2, 2}, {2, 2}, Padding::Valid), ShapeError);
  EXPECT_THROW(ops::max_pool2d(Tensor({1, 4, 4, 1}), {0, 2}, {2, 2}, Padding::Valid), InvalidArgument);
  EXPECT_THROW(ops::max_pool2d(Tensor({1, 4, 4, 1}), {2, 2}, {2, -1}, Padding::Valid), InvalidArgument);
  EXPECT_THROW(ops::max_pool2d(Tensor({1, 4, 4, 1}, DType::Int64), {2, 2}, {2, 2}, Padding::Valid),
               InvalidArgument);
}

}  // namespace
}  // namespace cairn
