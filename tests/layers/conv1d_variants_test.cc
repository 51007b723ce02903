// The 1-D forms of the convolution variants: Conv1DTranspose, DepthwiseConv1D and SeparableConv1D. Each
// is its 2-D form on a sequence seen as an image one row high, which these tests check against the 2-D
// layers with the same weights (the 2-D layers are checked in conv_variants_test.cc and against Keras);
// then Keras's weight and output shapes and the errors that name the layer, the argument and the
// shapes. Keras's own numbers are the layer contract's (tests/conformance/generate_layers.py).
#include <gtest/gtest.h>

#include "cairn/layers/conv1d.h"
#include "cairn/layers/conv1d_transpose.h"
#include "cairn/layers/conv2d_transpose.h"
#include "cairn/layers/depthwise_conv1d.h"
#include "cairn/layers/depthwise_conv2d.h"
#include "cairn/layers/separable_conv1d.h"
#include "cairn/ops.h"
#include "expect_error.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;
using testing::random_tensor;

void expect_near(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << what << " element " << i;
}

// (N, L, C) as (N, 1, L, C), and a 1-D kernel with a leading axis of 1.
Tensor as_image(const Tensor& t) {
  Shape s = t.shape();
  s.insert(s.begin() + 1, 1);
  return ops::reshape(t, s);
}
Tensor as_row_kernel(const Tensor& k) {
  Shape s = k.shape();
  s.insert(s.begin(), 1);
  return ops::reshape(k, s);
}
Tensor as_sequence(const Tensor& image) {
  const Shape& s = image.shape();
  return ops::reshape(image, {s[0], s[2], s[3]});
}

class Conv1DVariants : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

TEST_F(Conv1DVariants, Conv1DTransposeIsConv2DTransposeOfOneRow) {
  struct Case {
    int kernel, stride;
    std::string padding;
    std::optional<int> output_padding;
    int64_t steps, want_steps;
  };
  for (const Case& c : {Case{3, 1, "valid", {}, 4, 6}, Case{3, 2, "same", {}, 3, 6}, Case{2, 3, "valid", 1, 3, 9},
                        Case{3, 2, "same", 1, 3, 6}, Case{2, 3, "valid", {}, 2, 6}}) {
    SCOPED_TRACE(c.padding + " kernel " + std::to_string(c.kernel) + " stride " + std::to_string(c.stride));
    Conv1DTranspose conv(2, c.kernel, {.strides = c.stride, .padding = c.padding, .output_padding = c.output_padding,
                                       .bias_initializer = glorot_uniform()});
    const Tensor x = random_tensor({2, c.steps, 3}, 1);
    const Tensor y = conv(x);
    EXPECT_EQ(conv.kernel()->shape(), (Shape{c.kernel, 2, 3}));
    EXPECT_EQ(y.shape(), (Shape{2, c.want_steps, 2}));
    EXPECT_EQ(conv.compute_output_shape({-1, c.steps, 3}), (Shape{-1, c.want_steps, 2}));
    Conv2DTranspose image(2, {1, c.kernel}, {.strides = {1, c.stride}, .padding = c.padding,
                                             .output_padding = c.output_padding
                                                                   ? std::optional(std::array<int, 2>{0, *c.output_padding})
                                                                   : std::nullopt});
    image(as_image(x));
    image.kernel()->assign(as_row_kernel(conv.kernel()->value()));
    image.bias()->assign(conv.bias()->value());
    expect_near(y, as_sequence(image(as_image(x))), "output");
  }
}

TEST_F(Conv1DVariants, DepthwiseConv1DIsDepthwiseConv2DOfOneRow) {
  DepthwiseConv1D conv(3, {.strides = 2, .padding = "same", .depth_multiplier = 2, .activation = "tanh",
                           .bias_initializer = glorot_uniform()});
  const Tensor x = random_tensor({2, 5, 3}, 2);
  const Tensor y = conv(x);
  EXPECT_EQ(conv.kernel()->shape(), (Shape{3, 3, 2}));
  EXPECT_EQ(conv.bias()->shape(), (Shape{6}));
  EXPECT_EQ(y.shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(conv.keras_weight_paths()[0].checkpoint, "depthwise_kernel");  // tf-keras's attribute
  DepthwiseConv2D image({1, 3}, {.strides = {1, 2}, .padding = "same", .depth_multiplier = 2, .activation = "tanh"});
  image(as_image(x));
  image.kernel()->assign(as_row_kernel(conv.kernel()->value()));
  image.bias()->assign(conv.bias()->value());
  expect_near(y, as_sequence(image(as_image(x))), "output");
  DepthwiseConv1D dilated(2, {.dilation_rate = 2, .use_bias = false});
  EXPECT_EQ(dilated(random_tensor({1, 5, 2}, 3)).shape(), (Shape{1, 3, 2}));
}

TEST_F(Conv1DVariants, SeparableConv1DIsDepthwiseThenPointwise) {
  SeparableConv1D conv(4, 3, {.strides = 2, .padding = "same", .depth_multiplier = 2,
                              .bias_initializer = glorot_uniform()});
  const Tensor x = random_tensor({2, 5, 2}, 4);
  const Tensor y = conv(x);
  EXPECT_EQ(conv.depthwise_kernel()->shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(conv.pointwise_kernel()->shape(), (Shape{1, 4, 4}));
  EXPECT_EQ(conv.bias()->shape(), (Shape{4}));
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  DepthwiseConv1D depthwise(3, {.strides = 2, .padding = "same", .depth_multiplier = 2, .use_bias = false});
  Conv1D pointwise(4, 1);
  pointwise(depthwise(x));
  depthwise.kernel()->assign(conv.depthwise_kernel()->value());
  pointwise.kernel()->assign(conv.pointwise_kernel()->value());
  pointwise.bias()->assign(conv.bias()->value());
  expect_near(y, pointwise(depthwise(x)), "output");
}

TEST_F(Conv1DVariants, ErrorsNameTheLayerTheArgumentAndTheShapes) {
  expect_error_mentioning<InvalidArgument>([] { Conv1DTranspose(2, 3, {.strides = 2, .output_padding = 2}); },
                                           {"Conv1DTranspose", "output_padding", "strides=2"});
  expect_error_mentioning<InvalidArgument>([] { Conv1DTranspose(2, 3, {.strides = 2, .dilation_rate = 2}); },
                                           {"Conv1DTranspose", "strides=2", "dilation_rate=2"});
  expect_error_mentioning<InvalidArgument>([] { Conv1DTranspose(0, 3); }, {"Conv1DTranspose", "filters", "0"});
  expect_error_mentioning<InvalidArgument>([] { Conv1DTranspose(2, 3, {.padding = "causal"}); },
                                           {"Conv1DTranspose", "padding", "causal"});
  expect_error_mentioning<InvalidArgument>([] { DepthwiseConv1D(0); }, {"DepthwiseConv1D", "kernel_size", "0"});
  expect_error_mentioning<InvalidArgument>([] { DepthwiseConv1D(3, {.depth_multiplier = 0}); },
                                           {"DepthwiseConv1D", "depth_multiplier=0"});
  expect_error_mentioning<InvalidArgument>([] { SeparableConv1D(2, 3, {.strides = 0}); },
                                           {"SeparableConv1D", "strides", "0"});
  expect_error_mentioning<ShapeError>([] { Conv1DTranspose(2, 3)(Tensor({2, 5})); },
                                      {"conv1d_transpose", "ndim=3", "(2, 5)"});
  expect_error_mentioning<ShapeError>([] { DepthwiseConv1D(4)(Tensor({2, 3, 1})); },
                                      {"depthwise_conv1d", "kernel_size 4", "(2, 3, 1)"});
  expect_error_mentioning<ShapeError>([] { SeparableConv1D(2, 2)(Tensor({2, 3, 4, 1})); },
                                      {"separable_conv1d", "ndim=3", "(2, 3, 4, 1)"});
  // 'same', an even kernel and output_padding 0: an output of 6 steps convolves back to 3, not 4.
  Conv1DTranspose odd(1, 2, {.strides = 2, .padding = "same", .output_padding = 0});
  expect_error_mentioning<ShapeError>([&] { odd(Tensor({1, 4, 1})); }, {"conv1d_transpose", "output_padding 0", "(1, 4, 1)"});
  SeparableConv1D built(2, 2);
  built(Tensor({1, 3, 2}));
  expect_error_mentioning<ShapeError>([&] { built(Tensor({1, 3, 5})); }, {"separable_conv1d", "value 2", "(1, 3, 5)"});
}

}  // namespace
}  // namespace cairn
