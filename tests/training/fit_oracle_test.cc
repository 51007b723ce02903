// cairn's fit against Keras 3 itself: a functional model with two inputs and two outputs, per-output
// losses and loss weights, trained two steps with per-sample weights (tests/conformance/generate_fit.py
// wrote what Keras did to tests/conformance/fit/two_by_two.npz). Weights and logs within 1e-5.
#include <gtest/gtest.h>

#include <map>

#include "cairn/layers/dense.h"
#include "cairn/layers/merge.h"
#include "cairn/model.h"
#include "cairn/npy.h"

namespace cairn {
namespace {

const char* const kLayers[] = {"hidden", "flag", "kind"};

void expect_close(const Tensor& got, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(got.shape(), expected.shape()) << what;
  const std::vector<float> g = got.to(DType::Float32).to_vector<float>(), e = expected.to(DType::Float32).to_vector<float>();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], e[i], 1e-5) << what << "[" << i << "]";
}

TEST(FitOracle, TwoInputsTwoOutputsWithSampleWeightsTrainAsKeras3) {
  std::map<std::string, Tensor> keras;
  for (auto& [name, tensor] : load_npz(CAIRN_SOURCE_DIR "/tests/conformance/fit/two_by_two.npz")) keras[name] = tensor;

  clear_session();
  SymbolicTensor a = Input({3}, "a"), b = Input({2}, "b");
  SymbolicTensor h = (*std::make_shared<Concatenate>())({a, b});
  h = (*std::make_shared<Dense>(6, DenseOptions{.activation = "relu", .name = "hidden"}))(h);
  SymbolicTensor flag = (*std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid", .name = "flag"}))(h);
  SymbolicTensor kind = (*std::make_shared<Dense>(3, DenseOptions{.name = "kind"}))(h);
  auto model = std::make_shared<Functional>(std::vector<SymbolicTensor>{a, b}, std::vector<SymbolicTensor>{flag, kind});
  for (const char* layer : kLayers)
    for (const auto& [short_name, weight] : model->get_layer(layer)->own_weights())
      weight->assign(keras.at(std::string("initial.") + layer + "." + short_name));
  model->compile({.optimizer = std::make_shared<SGD>(0.1),
                  .output_losses = {{"flag", "binary_crossentropy"}, {"kind", std::make_shared<SparseCategoricalCrossentropy>(true)}},
                  .loss_weights = {{"flag", 0.5}, {"kind", 2.0}},
                  .output_metrics = {{"flag", {"accuracy"}}, {"kind", {"accuracy"}}}});

  const History history = model->fit({{"a", keras.at("a")}, {"b", keras.at("b")}}, {keras.at("flag"), keras.at("kind")},
                                     {.batch_size = 8, .verbose = 0, .shuffle = false, .sample_weight = keras.at("sample_weight")});
  for (const char* layer : kLayers)
    for (const auto& [short_name, weight] : model->get_layer(layer)->own_weights())
      expect_close(weight->value(), keras.at(std::string("trained.") + layer + "." + short_name), std::string(layer) + "/" + short_name);

  size_t compared = 0;
  for (const auto& [key, value] : keras) {
    if (key.rfind("logs.", 0) != 0) continue;
    const std::string log = key.substr(5);
    ASSERT_TRUE(history.history.count(log)) << "cairn does not log " << log;
    EXPECT_NEAR(history.history.at(log).back(), value.item(), 1e-5) << log;
    ++compared;
  }
  EXPECT_EQ(compared, history.history.size());  // the same keys, no more

  const Logs evaluated = model->evaluate({keras.at("a"), keras.at("b")}, {keras.at("flag"), keras.at("kind")},
                                         {.batch_size = 16, .sample_weight = keras.at("sample_weight")});
  compared = 0;
  for (const auto& [key, value] : keras) {
    if (key.rfind("evaluate.", 0) != 0) continue;
    EXPECT_NEAR(evaluated.at(key.substr(9)), value.item(), 1e-5) << key;
    ++compared;
  }
  EXPECT_EQ(compared, evaluated.size());
}

}  // namespace
}  // namespace cairn
