// The configs of the attention layers and the normalizations without batch statistics beyond what the
// layer contract reads from Keras 3: tf-keras's forms, what is refused by name (a causal mask, which Keras
// keeps with each call rather than in the layer's config), and GroupNormalization(groups=-1), which
// Keras writes with the number of channels once built.
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/layers/attention.h"
#include "cairn/layers/group_normalization.h"
#include "cairn/layers/rms_normalization.h"
#include "cairn/layers/unit_normalization.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;

LayerPtr read(const std::string& text) { return layer_from_config(parse_json(text, "test")); }

TEST(AttentionNormalizationConfig, ReadsTfKerasAttentionAndRefusesItsCausalFlag) {
  clear_session();
  auto attention = std::dynamic_pointer_cast<Attention>(read(R"({"class_name": "Attention", "config": {
      "name": "att", "trainable": true, "dtype": "float32", "use_scale": true, "score_mode": "concat",
      "dropout": 0.25, "causal": false}})"));
  ASSERT_TRUE(attention);
  EXPECT_TRUE(attention->use_scale());
  EXPECT_EQ(attention->options().score_mode, "concat");
  EXPECT_EQ(attention->dropout(), 0.25);
  expect_error_mentioning<FormatError>(
      [] { read(R"({"class_name": "AdditiveAttention", "config": {"name": "a", "causal": true}})"); },
      {"AdditiveAttention", "causal"});
  expect_error_mentioning<FormatError>(
      [] { read(R"({"class_name": "Attention", "config": {"name": "a", "score_mode": "general"}})"); },
      {"Attention", "score_mode", "general"});
}

TEST(AttentionNormalizationConfig, ACausalAttentionIsNotWrittenWithoutItsMask) {
  clear_session();
  const Json plain = layer_config(AdditiveAttention({.use_scale = false, .dropout = 0.1, .seed = 4, .name = "add"}));
  EXPECT_EQ(plain["config"]["use_scale"], false);
  EXPECT_EQ(plain["config"]["seed"], 4);
  EXPECT_FALSE(plain["config"].contains("score_mode"));  // as Keras's AdditiveAttention
  EXPECT_EQ(layer_config(*layer_from_config(plain)), plain);
  expect_error_mentioning<InvalidArgument>([] { layer_config(Attention({.use_causal_mask = true, .name = "dec"})); },
                                           {"Attention", "dec", "use_causal_mask"});
}

TEST(AttentionNormalizationConfig, GroupsOfOnePerChannelAreWrittenAsTheChannels) {
  clear_session();
  GroupNormalization instance({.groups = -1, .name = "gn"});
  EXPECT_EQ(layer_config(instance)["config"]["groups"], -1);
  instance.build({-1, 4, 6});
  const Json built = layer_config(instance);
  EXPECT_EQ(built["config"]["groups"], 6);
  EXPECT_EQ(std::dynamic_pointer_cast<GroupNormalization>(layer_from_config(built))->groups(), 6);
  expect_error_mentioning<FormatError>(
      [] { read(R"({"class_name": "GroupNormalization", "config": {"name": "g", "gamma_regularizer": "l2"}})"); },
      {"GroupNormalization", "gamma_regularizer"});
}

TEST(AttentionNormalizationConfig, AxesAreAnIntOrAList) {
  clear_session();
  auto rms = std::dynamic_pointer_cast<RMSNormalization>(
      read(R"({"class_name": "RMSNormalization", "config": {"name": "r", "axis": [-1], "epsilon": 1e-5}})"));
  ASSERT_TRUE(rms);
  EXPECT_EQ(rms->options().axis, std::vector<int>{-1});
  EXPECT_EQ(layer_config(*rms)["config"]["axis"], -1);
  auto unit = std::dynamic_pointer_cast<UnitNormalization>(
      read(R"({"class_name": "UnitNormalization", "config": {"name": "u", "axis": [1, 2]}})"));
  ASSERT_TRUE(unit);
  EXPECT_EQ(layer_config(*unit)["config"]["axis"], Json::array({1, 2}));
  expect_error_mentioning<FormatError>(
      [] { read(R"({"class_name": "UnitNormalization", "config": {"name": "u", "axis": "last"}})"); },
      {"UnitNormalization", "axis", "last"});
}

}  // namespace
}  // namespace cairn
