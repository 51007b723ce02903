// The convolution variants' configs as tf.keras 2 writes them (Keras 3's own are the layer contract's,
// tests/layer_contract/): tf.keras's Conv base class adds `groups` (always 1 for these classes) and, to
// SeparableConv2D, the kernel_* keys it does not use. Anything else in `groups` is refused by name.
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/layers/conv1d.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/conv2d_transpose.h"
#include "cairn/layers/depthwise_conv2d.h"
#include "cairn/layers/separable_conv2d.h"

namespace cairn {
namespace {

LayerPtr read(const std::string& text) { return layer_from_config(parse_json(text, "test")); }

TEST(ConvVariantsConfig, ReadsTfKeras2Configs) {
  clear_session();
  auto transpose = std::dynamic_pointer_cast<Conv2DTranspose>(read(R"({"class_name": "Conv2DTranspose", "config": {
      "name": "up", "filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
      "output_padding": [1, 1], "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
      "activation": "relu", "use_bias": true}})"));
  ASSERT_TRUE(transpose);
  EXPECT_EQ(transpose->output_padding(), (std::array<int, 2>{1, 1}));
  EXPECT_EQ(transpose->activation(), "relu");
  EXPECT_EQ(transpose->compute_output_shape({-1, 4, 5, 2}), (Shape{-1, 8, 10, 3}));

  auto depthwise = std::dynamic_pointer_cast<DepthwiseConv2D>(read(R"({"class_name": "DepthwiseConv2D", "config": {
      "name": "dw", "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "depth_multiplier": 4,
      "data_format": "channels_last", "dilation_rate": [2, 2], "groups": 1, "use_bias": false,
      "depthwise_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "depthwise_regularizer": null, "depthwise_constraint": null}})"));
  ASSERT_TRUE(depthwise);
  EXPECT_EQ(depthwise->depth_multiplier(), 4);
  EXPECT_EQ(depthwise->dilation_rate(), (std::array<int, 2>{2, 2}));
  EXPECT_FALSE(depthwise->use_bias());

  auto separable = std::dynamic_pointer_cast<SeparableConv2D>(read(R"({"class_name": "SeparableConv2D", "config": {
      "name": "sep", "filters": 5, "kernel_size": [2, 2], "depth_multiplier": 2, "groups": 1,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "kernel_regularizer": null, "kernel_constraint": null,
      "pointwise_initializer": {"class_name": "Ones", "config": {}}}})"));
  ASSERT_TRUE(separable);
  separable->build({-1, 4, 4, 3});
  EXPECT_EQ(separable->pointwise_kernel()->shape(), (Shape{1, 1, 6, 5}));
  for (float v : separable->pointwise_kernel()->value().span<float>()) EXPECT_EQ(v, 1.f);
}

TEST(ConvVariantsConfig, WritesWhatItReads) {
  clear_session();
  const Json grouped = layer_config(Conv2D(4, {3, 3}, {.dilation_rate = {2, 1}, .groups = 2, .name = "g"}));
  EXPECT_EQ(grouped["config"]["groups"], 2);
  EXPECT_EQ(grouped["config"]["dilation_rate"], Json::array({2, 1}));
  const Json causal = layer_config(Conv1D(2, 3, {.padding = "causal", .dilation_rate = 4, .name = "c"}));
  EXPECT_EQ(causal["config"]["padding"], "causal");
  EXPECT_EQ(causal["config"]["dilation_rate"], Json::array({4}));
  EXPECT_EQ(layer_config(*layer_from_config(causal)), causal);
  const Json transpose = layer_config(Conv2DTranspose(2, {3, 3}, {.name = "t"}));
  EXPECT_TRUE(transpose["config"]["output_padding"].is_null());
  EXPECT_EQ(layer_config(*layer_from_config(transpose)), transpose);
}

TEST(ConvVariantsConfig, RefusesGroupsTheClassDoesNotHave) {
  try {
    read(R"({"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": 3, "groups": 2}})");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("DepthwiseConv2D 'dw'"), std::string::npos) << message;
    EXPECT_NE(message.find("groups = 2"), std::string::npos) << message;
  }
  // 3 groups do not divide 4 filters: the layer's own check, in the config's words.
  try {
    read(R"({"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": 3, "groups": 3}})");
    FAIL() << "expected an error";
  } catch (const FormatError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("Conv2D 'c'"), std::string::npos) << message;
    EXPECT_NE(message.find("groups=3, filters=4"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace cairn
