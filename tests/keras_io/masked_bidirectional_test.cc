// Keras 3 .keras models whose masks matter (tests/fixtures/keras3/, written by
// tests/conformance/generate_masked_bidirectional.py): cairn loads each and predicts what Keras
// predicted, within 1e-5, for sequences padded at the end, the start, the middle, not at all and
// everywhere.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "cairn/keras_io.h"
#include "cairn/layers/bidirectional.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/time_distributed.h"
#include "cairn/npy.h"

namespace cairn {
namespace {

const std::string kFixtures = std::string(CAIRN_FIXTURES_DIR) + "/keras3/";
const std::string kFixture = kFixtures + "masked_bidirectional_lstm";

std::map<std::string, Tensor> load_arrays(const std::string& path) {
  std::map<std::string, Tensor> arrays;
  for (NamedTensor& array : load_npz(path)) arrays.emplace(array.name, std::move(array.tensor));
  return arrays;
}

void expect_near(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << "element " << i;
}

TEST(MaskedBidirectionalKeras3, LoadsAndPredictsAsKeras) {
  std::map<std::string, Tensor> arrays = load_arrays(kFixture + ".npz");
  const std::shared_ptr<Model> model = load_model(kFixture + ".keras");
  const auto embedding = std::dynamic_pointer_cast<Embedding>(model->get_layer("embedding"));
  ASSERT_TRUE(embedding);
  EXPECT_TRUE(embedding->options().mask_zero);
  const auto sequences = std::dynamic_pointer_cast<Bidirectional>(model->get_layer("bidirectional_sequences"));
  ASSERT_TRUE(sequences);
  EXPECT_EQ(sequences->forward_layer()->name(), "forward_lstm");
  EXPECT_EQ(sequences->backward_layer()->name(), "backward_lstm");
  EXPECT_EQ(std::dynamic_pointer_cast<Bidirectional>(model->get_layer("bidirectional_last"))->merge_mode(), "sum");

  const Tensor& want = arrays.at("predictions");
  const Tensor got = model->predict(arrays.at("tokens"));
  expect_near(got, want);
  // The masks matter: the all-padding row skips every step, so the recurrent output is 0 and the
  // prediction is softmax of the Dense bias alone.
  const Tensor bias = model->get_layer("probabilities")->weights()[1]->value();
  const double b0 = bias.get({0}), b1 = bias.get({1});
  EXPECT_NEAR(got.get({4, 0}), 1 / (1 + std::exp(b1 - b0)), 1e-6);
}

// Masking's mask through TimeDistributed and Dense into an LSTM, and on to the average over the unmasked
// steps.
TEST(MaskedBidirectionalKeras3, MasksPassThroughDenseAndTimeDistributedIntoLstmAndPooling) {
  std::map<std::string, Tensor> arrays = load_arrays(kFixtures + "masked_pooling.npz");
  const std::shared_ptr<Model> model = load_model(kFixtures + "masked_pooling.keras");
  ASSERT_TRUE(std::dynamic_pointer_cast<TimeDistributed>(model->get_layer("per_step")));
  expect_near(model->predict(arrays.at("series")), arrays.at("predictions"));
}

// Keras 3's functional configs hold the mask operations (NotEqual, Any) as layers and pass their
// outputs as mask arguments; cairn computes the same masks itself.
TEST(MaskedBidirectionalKeras3, FunctionalModelsWithKerasMaskOperations) {
  std::map<std::string, Tensor> arrays = load_arrays(kFixtures + "masked_functional.npz");
  const std::shared_ptr<Model> model = load_model(kFixtures + "masked_functional.keras");
  const std::vector<Tensor> inputs{arrays.at("series"), arrays.at("tokens")};
  expect_near((*model)(inputs, false), arrays.at("predictions"));
}

}  // namespace
}  // namespace cairn
