// A functional model with several inputs and outputs keeps all of them through its Keras config.
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/merge.h"
#include "cairn/model.h"

namespace cairn {
namespace {

TEST(MultiOutputConfig, EveryInputAndOutputRoundTrips) {
  clear_session();
  set_random_seed(2);
  SymbolicTensor a = Input({3}, "a"), b = Input({2}, "b");
  SymbolicTensor h = (*std::make_shared<Concatenate>())({a, b});
  SymbolicTensor flag = (*std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid", .name = "flag"}))(h);
  SymbolicTensor kind = (*std::make_shared<Dense>(3, DenseOptions{.name = "kind"}))(h);
  Functional model(std::vector<SymbolicTensor>{a, b}, std::vector<SymbolicTensor>{flag, kind}, "two_by_two");
  const Json config = model_config(model);
  EXPECT_EQ(config["config"]["output_layers"].dump(), R"([["flag",0,0],["kind",0,0]])");

  const std::shared_ptr<Model> copy = model_from_config(config);
  EXPECT_EQ(copy->input_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(copy->output_names(), (std::vector<std::string>{"flag", "kind"}));
  EXPECT_EQ(model_config(*copy), config);
  // The copy computes both outputs from both inputs with the same weights.
  const auto from = model.weights(), to = copy->weights();
  ASSERT_EQ(from.size(), to.size());
  for (size_t i = 0; i < from.size(); ++i) to[i]->assign(from[i]->value());
  Tensor xa = Tensor::from_vector<float>({2, 3}, {0.1f, 0.2f, 0.3f, -1, 0, 1}), xb = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  const auto expected = model.predict_outputs({xa, xb}), got = copy->predict_outputs({{"a", xa}, {"b", xb}});
  ASSERT_EQ(got.size(), 2u);
  for (size_t o = 0; o < 2; ++o) EXPECT_EQ(got[o].to_vector<float>(), expected[o].to_vector<float>());
}

}  // namespace
}  // namespace cairn
