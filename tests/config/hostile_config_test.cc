// Hostile configs: deep nesting, numbers out of range, sizes that overflow or ask for terabytes, and
// huge values are cairn errors with short messages naming the layer and the key; nothing crashes.
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/error.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;

class HostileConfig : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

// A Sequential of one Dense layer named 'd' whose config ends with `dense_keys`, on inputs of `features`.
std::string sequential_dense(const std::string& dense_keys, const std::string& features = "4") {
  return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, )" +
         features + R"(]}},
      {"class_name": "Dense", "config": {"name": "d", )" +
         dense_keys + "}}]}}";
}

std::string nested_brackets(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_F(HostileConfig, DeepNestingIsRefusedBeforeParsing) {
  // 100,000 levels (200 KB) used to overflow the stack when the error message printed the value.
  expect_error_mentioning<ResourceLimitError>([] { model_from_json(nested_brackets(100000)); },
                                              {"model JSON", "more than 512 levels"});
  expect_error_mentioning<ResourceLimitError>(
      [] { parse_json(R"({"a": )" + nested_brackets(600) + "}", "config.json"); }, {"config.json", "at byte 517"});
  EXPECT_EQ(parse_json(nested_brackets(kMaxJsonDepth), "ok.json").size(), 1u);
  // Brackets inside strings, escaped quotes included, are not nesting.
  const std::string in_string = R"({"name": "\")" + std::string(1000, '[') + R"("})";
  EXPECT_EQ(parse_json(in_string, "ok.json")["name"].get<std::string>().size(), 1001u);
}

TEST_F(HostileConfig, EveryParserErrorIsAFormatErrorNamingTheSource) {
  // nlohmann reports a number too large for a double as out_of_range, not as a parse error.
  expect_error_mentioning<FormatError>([] { model_from_json(sequential_dense(R"("units": 56e7373)")); },
                                       {"model JSON", "56e7373"});
  expect_error_mentioning<FormatError>([] { parse_json("{\"a\": tru", "broken.json"); }, {"broken.json", "malformed"});
  // A 1 MB string with a bad escape at its end: nlohmann's message quotes the token it read.
  const std::string long_token = "[\"" + std::string(1 << 20, 'x') + "\\q\"]";
  try {
    parse_json(long_token, "long.json");
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_LT(std::string(e.what()).size(), 1000u);
    EXPECT_NE(std::string(e.what()).find("long.json"), std::string::npos);
  }
}

TEST_F(HostileConfig, SizesOutOfRangeNameTheLayerAndTheKey) {
  struct Case {
    std::string json;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      // 2^62: element counts of the kernel overflowed int64 and the tensor was under-allocated.
      {sequential_dense(R"("units": 4611686018427387904)"), {"Dense 'd'", "units", "4611686018427387904"}},
      // Above INT64_MAX nlohmann keeps an unsigned integer, which used to wrap to a negative count.
      {sequential_dense(R"("units": 18446744073709551615)"), {"Dense 'd'", "units", "[1, 2147483647]"}},
      {sequential_dense(R"("units": 0)"), {"Dense 'd'", "units"}},
      {sequential_dense(R"("units": 2)", "4611686018427387904"), {"batch_input_shape", "4611686018427387904"}},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Conv2D",
          "config": {"name": "c", "filters": 1, "kernel_size": 1099511627776}}]}})",
       {"Conv2D 'c'", "kernel_size", "1099511627776"}},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "MaxPooling2D",
          "config": {"name": "p", "pool_size": [2, -3]}}]}})",
       {"MaxPooling2D 'p'", "pool_size"}},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Embedding",
          "config": {"name": "e", "input_dim": 10, "output_dim": 3000000000}}]}})",
       {"Embedding 'e'", "output_dim", "3000000000"}},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Concatenate",
          "config": {"name": "c", "axis": 4294967296}}]}})",
       {"Concatenate 'c'", "axis"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    expect_error_mentioning<FormatError>([&] { model_from_json(c.json); }, c.expected);
  }
}

TEST_F(HostileConfig, WeightsPastTheAllocationLimitAreRefusedBeforeAllocating) {
  // 4 x (2^31 - 1) float32 weights: 32 GiB, refused by the default limit of 512 MiB.
  expect_error_mentioning<ResourceLimitError>(
      [] { model_from_json(sequential_dense(R"("units": 2147483647)")); },
      {"model JSON", "shape (4, 2147483647)", "34359738352 bytes", "536870912 bytes"});
  // A layer config built through its Keras 3 build_config is bounded too.
  expect_error_mentioning<ResourceLimitError>(
      [] {
        layer_from_config(parse_json(R"({"class_name": "Dense", "config": {"name": "d", "units": 2147483647},
            "build_config": {"input_shape": [null, 4]}})",
                                     "layer.json"));
      },
      {"Dense 'd'", "build_config", "shape (4, 2147483647)"});
  // The caller sets the limit: 4 x 8 weights and 8 biases take 160 bytes.
  const std::string small = sequential_dense(R"("units": 8)");
  expect_error_mentioning<ResourceLimitError>([&] { model_from_json(small, 100); }, {"model JSON", "100 bytes"});
  EXPECT_EQ(model_from_json(small, 160)->count_params(), 40);
}

TEST_F(HostileConfig, HugeValuesAreQuotedAsShortExcerpts) {
  const std::string huge(1 << 20, 'x');
  std::string long_array = "[0";
  for (int i = 0; i < 100000; ++i) long_array += ",1";
  long_array += "]";
  const std::vector<std::string> jsons = {
      sequential_dense(R"("units": 2, "activation": ")" + huge + "\""),
      sequential_dense(R"("units": 2, ")" + huge + R"(": 1)"),
      sequential_dense(R"("units": 2, "use_bias": )" + long_array),
      sequential_dense(R"("units": 2, "use_bias": )" + nested_brackets(500)),
      R"({"class_name": ")" + huge + R"(", "config": {}})",
      R"({"class_name": "Sequential", "config": {"layers": [{"class_name": ")" + huge + R"(", "config": {}}]}})",
      R"({"class_name": "Sequential", "config": {"name": ")" + huge +
          R"(", "layers": [{"class_name": "Dense", "config": {"units": -1}}]}})",
  };
  for (const std::string& json : jsons) {
    try {
      model_from_json(json);
      ADD_FAILURE() << "no error for " << json.substr(0, 200);
    } catch (const FormatError& e) {
      EXPECT_LT(std::string(e.what()).size(), 1000u) << std::string(e.what()).substr(0, 1000);
    }
  }
}

}  // namespace
}  // namespace cairn
