// conv2d with dilation and groups, and conv2d_transpose: against a direct reference written here from
// TensorFlow's definitions (tf.nn.conv2d with dilations, a kernel with C/G input channels), the transposed
// convolution as the adjoint of the convolution, and numerical gradient checks.
//
// Tolerances: forward vs the double-precision reference |got - want| <= 1e-4 + 1e-5 |want| (inputs in
// [-1, 1], at most a few hundred products in float32); the adjoint identity <conv2d_transpose(y), x> =
// <y, conv2d(x)> within 1e-4 relative; gradient checks: tests/gradient_check.h defaults.
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/autodiff.h"
#include "cairn/ops.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using ops::Padding;
using testing::expect_gradients_match;
using testing::random_tensor;

struct Case {
  Shape input, kernel;  // kernel (KH, KW, C / groups, F)
  std::array<int, 2> strides, dilation;
  Padding padding;
};

std::string describe(const Case& c) {
  return "input " + shape_str(c.input) + " kernel " + shape_str(c.kernel) + " strides (" +
         std::to_string(c.strides[0]) + ", " + std::to_string(c.strides[1]) + ") dilation (" +
         std::to_string(c.dilation[0]) + ", " + std::to_string(c.dilation[1]) + ") " +
         (c.padding == Padding::Same ? "same" : "valid");
}

// tf.nn.conv2d's definition with dilations and grouped channels, in double.
Tensor reference(const Tensor& x, const Tensor& k, const Case& c) {
  const int64_t n_ = x.dim(0), h_ = x.dim(1), w_ = x.dim(2), ch = x.dim(3);
  const int64_t kh = k.dim(0), kw = k.dim(1), kc = k.dim(2), f_ = k.dim(3);
  const int64_t groups = ch / kc, per_group = f_ / groups;
  auto axis = [&](int64_t in, int64_t window, int64_t dilation, int stride) {
    const int64_t extent = (window - 1) * dilation + 1;
    if (c.padding == Padding::Valid) return std::pair<int64_t, int64_t>{(in - extent) / stride + 1, 0};
    const int64_t out = (in + stride - 1) / stride;
    return std::pair<int64_t, int64_t>{out, std::max<int64_t>((out - 1) * stride + extent - in, 0) / 2};
  };
  const auto [oh_, top] = axis(h_, kh, c.dilation[0], c.strides[0]);
  const auto [ow_, left] = axis(w_, kw, c.dilation[1], c.strides[1]);
  Tensor y({n_, oh_, ow_, f_}, DType::Float32);
  const float *px = x.data<float>(), *pk = k.data<float>();
  float* py = y.data<float>();
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t oh = 0; oh < oh_; ++oh)
      for (int64_t ow = 0; ow < ow_; ++ow)
        for (int64_t f = 0; f < f_; ++f) {
          double sum = 0;
          const int64_t group = f / per_group;
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j) {
              const int64_t h = oh * c.strides[0] + i * c.dilation[0] - top;
              const int64_t w = ow * c.strides[1] + j * c.dilation[1] - left;
              if (h < 0 || h >= h_ || w < 0 || w >= w_) continue;
              for (int64_t q = 0; q < kc; ++q)
                sum += double(px[((n * h_ + h) * w_ + w) * ch + group * kc + q]) * pk[((i * kw + j) * kc + q) * f_ + f];
            }
          py[((n * oh_ + oh) * ow_ + ow) * f_ + f] = static_cast<float>(sum);
        }
  return y;
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  int64_t bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    if (!(std::abs(g - w) <= 1e-4 + 1e-5 * std::abs(w)) && bad++ < 5)
      ADD_FAILURE() << what << " element " << i << ": got " << g << ", want " << w;
  }
  EXPECT_EQ(bad, 0) << what;
}

const std::vector<Case> kCases = {
    {{2, 9, 8, 3}, {3, 3, 3, 4}, {1, 1}, {2, 2}, Padding::Same},
    {{2, 9, 8, 3}, {3, 2, 3, 4}, {1, 1}, {2, 3}, Padding::Valid},
    {{1, 7, 7, 4}, {3, 3, 2, 6}, {1, 1}, {1, 1}, Padding::Same},   // 2 groups
    {{2, 8, 9, 6}, {2, 3, 2, 9}, {2, 1}, {1, 1}, Padding::Valid},  // 3 groups, strided
    {{2, 6, 7, 4}, {3, 3, 1, 8}, {2, 2}, {1, 1}, Padding::Same},   // depthwise, multiplier 2
    {{1, 9, 9, 3}, {3, 3, 1, 3}, {1, 1}, {2, 2}, Padding::Same},   // depthwise and dilated
    {{2, 10, 10, 8}, {3, 3, 2, 8}, {1, 1}, {3, 2}, Padding::Valid},  // grouped and dilated
};

TEST(Conv2DVariants, ForwardMatchesReference) {
  uint64_t seed = 1;
  for (const Case& c : kCases) {
    SCOPED_TRACE(describe(c));
    const Tensor x = random_tensor(c.input, seed++), k = random_tensor(c.kernel, seed++);
    expect_close(ops::conv2d(x, k, c.strides, c.padding, c.dilation), reference(x, k, c), "conv2d");
  }
}

TEST(Conv2DVariants, GradientsMatchNumericalDifferences) {
  uint64_t seed = 100;
  for (const Case& c : kCases) {
    SCOPED_TRACE(describe(c));
    expect_gradients_match(
        [&](const std::vector<Tensor>& in) { return ops::conv2d(in[0], in[1], c.strides, c.padding, c.dilation); },
        {random_tensor(c.input, seed++), random_tensor(c.kernel, seed++)});
  }
}

// Transposed cases: the convolution maps `image` (N,H,W,F) to x (N,h,w,C); kernel (KH,KW,F,C).
const std::vector<Case> kTransposeCases = {
    {{2, 8, 8, 3}, {3, 3, 3, 2}, {2, 2}, {1, 1}, Padding::Same},
    {{2, 7, 7, 3}, {3, 3, 3, 2}, {2, 2}, {1, 1}, Padding::Same},   // the 'same' size with output_padding 0
    {{1, 9, 8, 2}, {3, 2, 2, 4}, {2, 3}, {1, 1}, Padding::Valid},
    {{2, 6, 7, 2}, {2, 2, 2, 3}, {1, 1}, {2, 3}, Padding::Same},   // dilated
    {{1, 10, 6, 1}, {4, 2, 1, 2}, {3, 1}, {1, 1}, Padding::Valid},  // a stride larger than the window
};

TEST(Conv2DTranspose, IsTheAdjointOfConv2D) {
  uint64_t seed = 200;
  for (const Case& c : kTransposeCases) {
    SCOPED_TRACE(describe(c));
    const Tensor image = random_tensor(c.input, seed++), k = random_tensor(c.kernel, seed++);
    const Tensor conv = ops::conv2d(image, k, c.strides, c.padding, c.dilation);
    const Tensor y = random_tensor(conv.shape(), seed++);
    const Tensor back = ops::conv2d_transpose(y, k, {c.input[1], c.input[2]}, c.strides, c.padding, c.dilation);
    ASSERT_EQ(back.shape(), c.input);
    const double a = ops::sum(ops::mul(back, image)).item(), b = ops::sum(ops::mul(y, conv)).item();
    EXPECT_NEAR(a, b, 1e-4 * std::max(1.0, std::abs(b)));
  }
}

TEST(Conv2DTranspose, GradientsMatchNumericalDifferences) {
  uint64_t seed = 300;
  for (const Case& c : kTransposeCases) {
    SCOPED_TRACE(describe(c));
    const Tensor k = random_tensor(c.kernel, seed++);
    const Shape small = ops::conv2d(Tensor(c.input, DType::Float32), k, c.strides, c.padding, c.dilation).shape();
    expect_gradients_match(
        [&](const std::vector<Tensor>& in) {
          return ops::conv2d_transpose(in[0], in[1], {c.input[1], c.input[2]}, c.strides, c.padding, c.dilation);
        },
        {random_tensor(small, seed++), k});
  }
}

TEST(Conv2DTranspose, RefusesAnOutputSizeThatDoesNotConvolveToTheInput) {
  try {
    ops::conv2d_transpose(Tensor({1, 4, 4, 2}), Tensor({3, 3, 5, 2}), {5, 8}, {2, 2}, Padding::Same);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("conv2d_transpose"), std::string::npos) << message;
    EXPECT_NE(message.find("(1, 5, 8, 5)"), std::string::npos) << message;
    EXPECT_NE(message.find("(1, 4, 4, 2)"), std::string::npos) << message;
  }
  EXPECT_THROW(ops::conv2d_transpose(Tensor({1, 4, 4, 3}), Tensor({3, 3, 5, 2}), {8, 8}, {2, 2}, Padding::Same),
               ShapeError);
}

TEST(Conv2DVariants, RefusesGroupsThatDoNotDivideAndBadDilation) {
  // 6 channels in groups of 4.
  EXPECT_THROW(ops::conv2d(Tensor({1, 5, 5, 6}), Tensor({3, 3, 4, 4}), {1, 1}, Padding::Same), ShapeError);
  // 2 groups (4 channels, 2 per group) but 3 output channels.
  try {
    ops::conv2d(Tensor({1, 5, 5, 4}), Tensor({3, 3, 2, 3}), {1, 1}, Padding::Same);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("groups"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::conv2d(Tensor({1, 5, 5, 1}), Tensor({3, 3, 1, 1}), {1, 1}, Padding::Same, {0, 1}),
               InvalidArgument);
  // The dilated window (5 wide) does not fit a 4-pixel 'valid' input.
  EXPECT_THROW(ops::conv2d(Tensor({1, 4, 9, 1}), Tensor({3, 3, 1, 1}), {1, 1}, Padding::Valid, {2, 2}), ShapeError);
}

}  // namespace
}  // namespace cairn
