// The convolution variants as layers: Conv2D/Conv1D with dilation_rate, groups (and Conv1D's causal
// padding), Conv2DTranspose, DepthwiseConv2D and SeparableConv2D. Keras's weight shapes and output shapes,
// values checked against compositions of plain convolutions (within 1e-5: float32 sums in another order)
// or exactly where they are small integers, and the errors that name the layer, the argument and the
// shapes. Keras's own numbers and the numerical gradient checks are the layer contract's
// (tests/layer_contract/, cases in tests/conformance/generate_layers.py).
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/layers/conv1d.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/conv2d_transpose.h"
#include "cairn/layers/depthwise_conv2d.h"
#include "cairn/layers/separable_conv2d.h"
#include "cairn/ops.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::random_tensor;

class ConvVariants : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

template <class E, class F>
void expect_error_containing(F f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "expected an error";
  } catch (const E& e) {
    for (const std::string& fragment : fragments)
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what() << "\nlacks: " << fragment;
  }
}

void expect_near(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << what << " element " << i;
}

TEST_F(ConvVariants, GroupedConv2DIsOneConvolutionPerGroup) {
  Conv2D conv(6, {3, 3}, {.padding = "same", .groups = 2, .use_bias = false});
  const Tensor x = random_tensor({2, 5, 4, 4}, 1);
  const Tensor y = conv(x);
  EXPECT_EQ(conv.kernel()->shape(), (Shape{3, 3, 2, 6}));
  EXPECT_EQ(y.shape(), (Shape{2, 5, 4, 6}));
  const Tensor k = conv.kernel()->value();
  for (int g = 0; g < 2; ++g) {
    const Tensor part = ops::conv2d(ops::slice(x, 3, 2 * g, 2 * g + 2), ops::slice(k, 3, 3 * g, 3 * g + 3), {1, 1},
                                    ops::Padding::Same);
    expect_near(ops::slice(y, 3, 3 * g, 3 * g + 3), part, "group " + std::to_string(g));
  }
}

TEST_F(ConvVariants, DilatedConv2DSpreadsItsTaps) {
  Conv2D conv(1, {2, 2}, {.dilation_rate = {2, 3}, .kernel_initializer = ones(), .bias_initializer = zeros()});
  EXPECT_EQ(conv.compute_output_shape({-1, 6, 7, 1}), (Shape{-1, 4, 4, 1}));
  Tensor x({1, 3, 4, 1}, DType::Float32);
  for (int64_t i = 0; i < 12; ++i) x.data<float>()[i] = static_cast<float>(i);  // x[r][c] = 4r + c
  // One window (3 rows, 4 columns): taps at rows 0 and 2, columns 0 and 3 -> 0 + 3 + 8 + 11.
  EXPECT_EQ(conv(x).to_vector<float>(), (std::vector<float>{22}));
  Conv2D same(1, {3, 3}, {.padding = "same", .dilation_rate = {2, 2}});
  EXPECT_EQ(same(random_tensor({1, 5, 5, 2}, 2)).shape(), (Shape{1, 5, 5, 1}));
}

TEST_F(ConvVariants, Conv2DRefusesBadGroupsAndDilation) {
  expect_error_containing<InvalidArgument>([] { Conv2D(4, {3, 3}, {.groups = 3}); },
                                           {"Conv2D", "groups=3", "filters=4"});
  expect_error_containing<InvalidArgument>([] { Conv2D(4, {3, 3}, {.groups = 0}); }, {"Conv2D", "groups=0"});
  expect_error_containing<InvalidArgument>([] { Conv2D(4, {3, 3}, {.dilation_rate = {-1, 1}}); },
                                           {"Conv2D", "dilation_rate", "(-1, 1)"});
  expect_error_containing<InvalidArgument>([] { Conv2D(4, {3, 3}, {.strides = {2, 2}, .dilation_rate = {2, 2}}); },
                                           {"Conv2D", "strides=(2, 2)", "dilation_rate=(2, 2)"});
  Conv2D grouped(4, {3, 3}, {.groups = 2});
  expect_error_containing<ShapeError>([&] { grouped(Tensor({1, 5, 5, 3})); },
                                      {"conv2d", "groups=2", "3 channels", "(1, 5, 5, 3)"});
  Conv2D dilated(1, {3, 3}, {.dilation_rate = {3, 1}});
  expect_error_containing<ShapeError>([&] { dilated(Tensor({1, 6, 6, 1})); },
                                      {"conv2d", "dilation_rate (3, 1)", "(1, 6, 6, 1)"});
  expect_error_containing<ShapeError>([&] { dilated(Tensor({6, 6, 1})); }, {"conv2d", "ndim=3", "(6, 6, 1)"});
}

TEST_F(ConvVariants, Conv1DCausalSeesOnlyThePast) {
  Conv1D conv(2, 3, {.padding = "causal", .dilation_rate = 2});
  EXPECT_EQ(conv.compute_output_shape({-1, 7, 3}), (Shape{-1, 7, 2}));
  Tensor x = random_tensor({1, 7, 3}, 3);
  const Tensor before = conv(x).clone();
  x.data<float>()[5 * 3 + 1] += 1.f;  // step 5 changes: outputs 0..4 stay
  const Tensor after = conv(x);
  for (int64_t i = 0; i < 7 * 2; ++i) {
    if (i < 5 * 2)
      EXPECT_EQ(after.data<float>()[i], before.data<float>()[i]) << i;
    else if (i < 6 * 2)
      EXPECT_NE(after.data<float>()[i], before.data<float>()[i]) << i;
  }
  Conv1D strided(2, 3, {.strides = 2, .padding = "Causal"});
  EXPECT_EQ(strided.padding(), "causal");
  EXPECT_EQ(strided(random_tensor({2, 7, 3}, 4)).shape(), (Shape{2, 4, 2}));
}

TEST_F(ConvVariants, GroupedDilatedConv1DAndItsErrors) {
  Conv1D conv(4, 2, {.dilation_rate = 2, .groups = 2});
  EXPECT_EQ(conv(random_tensor({2, 6, 6}, 5)).shape(), (Shape{2, 4, 4}));
  EXPECT_EQ(conv.kernel()->shape(), (Shape{2, 3, 4}));
  expect_error_containing<InvalidArgument>([] { Conv1D(4, 2, {.groups = 3}); }, {"Conv1D", "groups=3", "filters=4"});
  expect_error_containing<InvalidArgument>([] { Conv1D(4, 2, {.dilation_rate = -2}); },
                                           {"Conv1D", "dilation_rate", "-2"});
  expect_error_containing<InvalidArgument>([] { Conv1D(4, 2, {.padding = "full"}); },
                                           {"Conv1D", "padding", "\"causal\"", "\"full\""});
  // "causal" is Conv1D's alone.
  expect_error_containing<InvalidArgument>([] { Conv2D(4, {2, 2}, {.padding = "causal"}); },
                                           {"Conv2D", "\"valid\" or \"same\", got \"causal\""});
  Conv1D grouped(4, 2, {.groups = 4});
  expect_error_containing<ShapeError>([&] { grouped(Tensor({1, 5, 6})); }, {"conv1d", "groups=4", "(1, 5, 6)"});
}

TEST_F(ConvVariants, Conv2DTransposeWeightsAndOutputSizes) {
  Conv2DTranspose valid(3, {3, 2}, {.strides = {2, 3}});
  const Tensor y = valid(random_tensor({2, 4, 5, 6}, 6));
  EXPECT_EQ(valid.kernel()->shape(), (Shape{3, 2, 3, 6}));
  EXPECT_EQ(valid.bias()->shape(), (Shape{3}));
  // 'valid': (in - 1) * stride + max(kernel, stride).
  EXPECT_EQ(y.shape(), (Shape{2, 9, 15, 3}));
  Conv2DTranspose same(2, {3, 3}, {.strides = {2, 2}, .padding = "same"});
  EXPECT_EQ(same.compute_output_shape({-1, 4, 5, 1}), (Shape{-1, 8, 10, 2}));
  Conv2DTranspose padded(2, {3, 3}, {.strides = {2, 3}, .padding = "same", .output_padding = std::array<int, 2>{1, 0}});
  // (in - 1) * stride + kernel % 2 + output_padding.
  EXPECT_EQ(padded(random_tensor({1, 4, 5, 1}, 7)).shape(), (Shape{1, 8, 13, 2}));
  EXPECT_EQ(valid.compute_output_shape({3, -1, 2, 6}), (Shape{3, -1, 6, 3}));
}

TEST_F(ConvVariants, Conv2DTransposeSpreadsEachInputOverItsWindow) {
  // Stride 2, a 2x2 window of ones: every input pixel becomes a 2x2 block of itself, plus the bias.
  Conv2DTranspose up(1, {2, 2}, {.strides = {2, 2}, .kernel_initializer = ones(), .bias_initializer = ones()});
  Tensor x({1, 2, 2, 1}, DType::Float32);
  for (int64_t i = 0; i < 4; ++i) x.data<float>()[i] = static_cast<float>(i + 1);
  EXPECT_EQ(up(x).to_vector<float>(),
            (std::vector<float>{2, 2, 3, 3, 2, 2, 3, 3, 4, 4, 5, 5, 4, 4, 5, 5}));
  // Stride 1 with a 2-wide window: neighbours overlap and add.
  Conv2DTranspose overlap(1, {1, 2}, {.use_bias = false, .kernel_initializer = ones()});
  EXPECT_EQ(overlap(x).to_vector<float>(), (std::vector<float>{1, 3, 2, 3, 7, 4}));
}

TEST_F(ConvVariants, Conv2DTransposeErrors) {
  expect_error_containing<InvalidArgument>(
      [] { Conv2DTranspose(2, {3, 3}, {.strides = {2, 2}, .output_padding = std::array<int, 2>{2, 0}}); },
      {"Conv2DTranspose", "output_padding", "(2, 0)", "strides=(2, 2)"});
  expect_error_containing<InvalidArgument>(
      [] { Conv2DTranspose(2, {3, 3}, {.strides = {2, 1}, .dilation_rate = {1, 2}}); },
      {"Conv2DTranspose", "dilation_rate=(1, 2)"});
  expect_error_containing<InvalidArgument>([] { Conv2DTranspose(0, {3, 3}); }, {"Conv2DTranspose", "filters"});
  // 'same', an even kernel and output_padding 0: an output of 6 convolves back to 3, not 4.
  Conv2DTranspose odd(1, {2, 2}, {.strides = {2, 2}, .padding = "same", .output_padding = std::array<int, 2>{0, 0}});
  expect_error_containing<ShapeError>([&] { odd(Tensor({1, 4, 4, 1})); },
                                      {"conv2d_transpose", "output_padding (0, 0)", "(1, 4, 4, 1)"});
  Conv2DTranspose layer(1, {2, 2});
  layer(Tensor({1, 3, 3, 2}));
  expect_error_containing<ShapeError>([&] { layer(Tensor({1, 3, 3, 4})); }, {"conv2d_transpose", "(1, 3, 3, 4)"});
  expect_error_containing<ShapeError>([&] { layer(Tensor({3, 3, 2})); }, {"conv2d_transpose", "ndim=3"});
}

TEST_F(ConvVariants, DepthwiseConv2DKeepsEachChannelApart) {
  DepthwiseConv2D conv({3, 3}, {.padding = "same", .depth_multiplier = 2, .bias_initializer = ones()});
  const Tensor x = random_tensor({2, 5, 4, 3}, 8);
  const Tensor y = conv(x);
  EXPECT_EQ(conv.name(), "depthwise_conv2d");
  EXPECT_EQ(conv.kernel()->shape(), (Shape{3, 3, 3, 2}));
  EXPECT_EQ(conv.bias()->shape(), (Shape{6}));
  ASSERT_EQ(y.shape(), (Shape{2, 5, 4, 6}));
  // Output channel c * 2 + m: input channel c with the kernel's [:, :, c, m] filter.
  const Tensor k = conv.kernel()->value();
  for (int c = 0; c < 3; ++c)
    for (int m = 0; m < 2; ++m) {
      const Tensor filter = ops::slice(ops::slice(k, 2, c, c + 1), 3, m, m + 1);
      const Tensor want = ops::bias_add(
          ops::conv2d(ops::slice(x, 3, c, c + 1), filter, {1, 1}, ops::Padding::Same), Tensor::ones({1}));
      expect_near(ops::slice(y, 3, c * 2 + m, c * 2 + m + 1), want, "channel " + std::to_string(c * 2 + m));
    }
  // Strides and dilation together, as Keras 3: the window spans 3 pixels, 'same' keeps ceil(size / 2).
  DepthwiseConv2D strided({2, 2}, {.strides = {2, 2}, .padding = "same", .dilation_rate = {2, 2}});
  EXPECT_EQ(strided(random_tensor({1, 7, 6, 2}, 9)).shape(), (Shape{1, 4, 3, 2}));
}

TEST_F(ConvVariants, DepthwiseConv2DWeightPathsAndErrors) {
  DepthwiseConv2D conv({2, 2});
  conv.build({-1, 4, 4, 3});
  const std::vector<Layer::KerasWeightPath> paths = conv.keras_weight_paths();
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0].checkpoint, "depthwise_kernel");  // tf.keras 2's attribute, in TensorFlow checkpoints
  EXPECT_EQ(paths[0].keras2, "kernel");                // Keras 3's variable path
  EXPECT_EQ(paths[1].checkpoint, "bias");
  expect_error_containing<InvalidArgument>([] { DepthwiseConv2D({3, 3}, {.depth_multiplier = 0}); },
                                           {"DepthwiseConv2D", "depth_multiplier=0"});
  expect_error_containing<InvalidArgument>([] { DepthwiseConv2D({3, 3}, {.dilation_rate = {1, -2}}); },
                                           {"DepthwiseConv2D", "dilation_rate", "(1, -2)"});
  expect_error_containing<ShapeError>([&] { conv(Tensor({1, 4, 4, 2})); },
                                      {"depthwise_conv2d", "value 3", "(1, 4, 4, 2)"});
  expect_error_containing<ShapeError>([&] { conv(Tensor({4, 4, 3})); }, {"depthwise_conv2d", "ndim=3", "(4, 4, 3)"});
}

TEST_F(ConvVariants, SeparableConv2DIsDepthwiseThenPointwise) {
  SeparableConv2D conv(5, {3, 3}, {.strides = {2, 1}, .depth_multiplier = 2, .bias_initializer = ones()});
  const Tensor x = random_tensor({2, 7, 6, 3}, 10);
  const Tensor y = conv(x);
  EXPECT_EQ(conv.name(), "separable_conv2d");
  EXPECT_EQ(conv.depthwise_kernel()->shape(), (Shape{3, 3, 3, 2}));
  EXPECT_EQ(conv.pointwise_kernel()->shape(), (Shape{1, 1, 6, 5}));
  EXPECT_EQ(conv.bias()->shape(), (Shape{5}));
  ASSERT_EQ(conv.weights().size(), 3u);
  EXPECT_EQ(conv.weights()[0]->name(), "separable_conv2d/depthwise_kernel");
  EXPECT_EQ(conv.weights()[1]->name(), "separable_conv2d/pointwise_kernel");

  DepthwiseConv2D depthwise({3, 3}, {.strides = {2, 1}, .depth_multiplier = 2, .use_bias = false});
  Conv2D pointwise(5, {1, 1});
  depthwise.build(x.shape());
  depthwise.kernel()->assign(conv.depthwise_kernel()->value());
  const Tensor middle = depthwise(x);
  pointwise.build(middle.shape());
  pointwise.kernel()->assign(conv.pointwise_kernel()->value());
  pointwise.bias()->assign(conv.bias()->value());
  expect_near(y, pointwise(middle), "separable vs depthwise then pointwise");

  expect_error_containing<InvalidArgument>([] { SeparableConv2D(0, {3, 3}); }, {"SeparableConv2D", "filters"});
  expect_error_containing<InvalidArgument>([] { SeparableConv2D(2, {3, 3}, {.depth_multiplier = -1}); },
                                           {"SeparableConv2D", "depth_multiplier=-1"});
  expect_error_containing<ShapeError>([&] { conv(Tensor({2, 7, 3})); }, {"separable_conv2d", "ndim=3"});
}

}  // namespace
}  // namespace cairn
