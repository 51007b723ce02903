// Embedding and LSTM layers: Keras names, shapes, initial values, errors, and gradient checks through
// the layers (tests/gradient_check.h tolerances: step 1e-2, |analytic - numeric| <= 2e-3 + 2e-2 |numeric|).
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/layers/dense.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/lstm.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::random_tensor;

class RecurrentLayers : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

template <class E, class F>
std::string error_message(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no exception";
}

TEST_F(RecurrentLayers, EmbeddingNamesShapesAndUniformInitialValues) {
  Embedding embedding(50, 8, {.seed = 3});
  EXPECT_EQ(embedding.name(), "embedding");
  EXPECT_EQ(Embedding(5, 2).name(), "embedding_1");
  Tensor ids = Tensor::from_vector<int64_t>({2, 3}, {0, 49, 7, 7, 1, 0});
  Tensor y = embedding(ids);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 8}));
  EXPECT_EQ(embedding.compute_output_shape({-1, 3}), (Shape{-1, 3, 8}));
  ASSERT_EQ(embedding.weights().size(), 1u);
  const Variable& table = *embedding.embeddings();
  EXPECT_EQ(table.name(), "embedding/embeddings");
  EXPECT_EQ(table.shape(), (Shape{50, 8}));
  // Keras "uniform": U(-0.05, 0.05), and not all equal.
  float low = 1, high = -1;
  for (float v : table.value().span<float>()) low = std::min(low, v), high = std::max(high, v);
  EXPECT_GE(low, -0.05f);
  EXPECT_LT(high, 0.05f);
  EXPECT_LT(low, -0.04f);
  EXPECT_GT(high, 0.04f);
  for (int64_t j = 0; j < 8; ++j) {
    EXPECT_EQ(y.get({0, 1, j}), table.value().get({49, j}));
    EXPECT_EQ(y.get({1, 0, j}), table.value().get({7, j}));
  }
  // The same seed gives the same table.
  EXPECT_TRUE(equal_bytes(Embedding(50, 8, {.seed = 3})(ids), y));
}

TEST_F(RecurrentLayers, EmbeddingTruncatesFloatIdsAsKerasCasts) {
  Embedding embedding(4, 2, {.embeddings_initializer = random_normal(0, 1, 5)});
  Tensor by_float = embedding(Tensor::from_values({3}, {2.0, 3.7, 0.2}));
  Tensor by_int = embedding(Tensor::from_vector<int32_t>({3}, {2, 3, 0}));
  EXPECT_TRUE(equal_bytes(by_float, by_int));
}

TEST_F(RecurrentLayers, EmbeddingRejectsBadArgumentsAndIds) {
  EXPECT_EQ(error_message<InvalidArgument>([] { Embedding(0, 4); }),
            "Embedding: input_dim must be a positive integer, got 0");
  EXPECT_EQ(error_message<InvalidArgument>([] { Embedding(10, -2); }),
            "Embedding: output_dim must be a positive integer, got -2");
  Embedding embedding(10, 2);
  EXPECT_EQ(
      error_message<InvalidArgument>([&] {
        embedding(Tensor::from_vector<int64_t>({2}, {3, 10}));
      }),
      "embedding_lookup: id 10 at flat index 1 is outside the valid range [0, 10) of a table with 10 rows");
}

TEST_F(RecurrentLayers, LstmWeightsHaveKerasNamesShapesAndInitialValues) {
  LSTM lstm(3, {.seed = 9});
  EXPECT_EQ(lstm.name(), "lstm");
  Tensor y = lstm(random_tensor({2, 5, 4}, 1));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  ASSERT_EQ(lstm.weights().size(), 3u);
  EXPECT_EQ(lstm.weights()[0]->name(), "lstm/kernel");
  EXPECT_EQ(lstm.weights()[1]->name(), "lstm/recurrent_kernel");
  EXPECT_EQ(lstm.weights()[2]->name(), "lstm/bias");
  EXPECT_EQ(lstm.kernel()->shape(), (Shape{4, 12}));
  EXPECT_EQ(lstm.recurrent_kernel()->shape(), (Shape{3, 12}));
  EXPECT_EQ(lstm.bias()->shape(), (Shape{12}));
  EXPECT_EQ(lstm.count_params(), 4 * 12 + 3 * 12 + 12);
  // unit_forget_bias: zeros except the forget gate's quarter, which is ones.
  EXPECT_EQ(lstm.bias()->value().to_vector<float>(),
            (std::vector<float>{0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
  // glorot_uniform kernel: |w| <= sqrt(6 / (4 + 12)).
  for (float v : lstm.kernel()->value().span<float>()) EXPECT_LE(std::abs(v), std::sqrt(6.0 / 16.0));
  // orthogonal recurrent kernel (3, 12): orthonormal rows, R R^T = I.
  const Tensor& r = lstm.recurrent_kernel()->value();
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 3; ++b) {
      double dot = 0;
      for (int64_t j = 0; j < 12; ++j) dot += r.get({a, j}) * r.get({b, j});
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-5);
    }
}

TEST_F(RecurrentLayers, LstmBiasOptions) {
  LSTM plain(2, {.unit_forget_bias = false});
  plain.build({-1, 3, 5});
  EXPECT_EQ(plain.bias()->value().to_vector<float>(), std::vector<float>(8, 0.f));
  // The forget quarter is 1 whatever the bias initializer; the others come from it.
  LSTM ones_init(2, {.bias_initializer = ones()});
  ones_init.build({-1, 3, 5});
  EXPECT_EQ(ones_init.bias()->value().to_vector<float>(), std::vector<float>(8, 1.f));
  LSTM uniform(2, {.bias_initializer = random_uniform(5, 6)});
  uniform.build({-1, 3, 5});
  std::vector<float> b = uniform.bias()->value().to_vector<float>();
  for (int j : {0, 1, 4, 5, 6, 7}) EXPECT_TRUE(b[j] >= 5 && b[j] < 6) << j;
  EXPECT_EQ(b[2], 1.f);
  EXPECT_EQ(b[3], 1.f);
  LSTM no_bias(2, {.use_bias = false});
  no_bias.build({-1, 3, 5});
  EXPECT_EQ(no_bias.weights().size(), 2u);
  EXPECT_EQ(no_bias.bias(), nullptr);
}

TEST_F(RecurrentLayers, LstmOutputShapesAndValuesFollowTheOp) {
  LSTM last(4, {.seed = 1});
  LSTM sequences(4, {.seed = 1, .return_sequences = true});
  Tensor x = random_tensor({3, 6, 2}, 2);
  Tensor h = last(x), hs = sequences(x);
  EXPECT_EQ(h.shape(), (Shape{3, 4}));
  EXPECT_EQ(hs.shape(), (Shape{3, 6, 4}));
  EXPECT_EQ(last.compute_output_shape({-1, 6, 2}), (Shape{-1, 4}));
  EXPECT_EQ(sequences.compute_output_shape({-1, 6, 2}), (Shape{-1, 6, 4}));
  // Same seed, same weights: the last step of the sequence is the last output.
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(hs.get({b, 5, j}), h.get({b, j}));
  Tensor want =
      ops::lstm(x, last.kernel()->value(), last.recurrent_kernel()->value(), last.bias()->value(), false);
  EXPECT_TRUE(equal_bytes(h, want));
}

TEST_F(RecurrentLayers, LstmRejectsBadInputAndArguments) {
  LSTM lstm(4);
  EXPECT_EQ(error_message<ShapeError>([&] {
              lstm(Tensor({2, 5}));
            }),
            "Input 0 of layer \"lstm\" is incompatible with the layer: expected ndim=3, found ndim=2. "
            "Full shape received: (2, 5)");
  lstm(Tensor({2, 5, 3}));
  EXPECT_EQ(
      error_message<ShapeError>([&] {
        lstm(Tensor({2, 5, 6}));
      }),
      "Input 0 of layer \"lstm\" is incompatible with the layer: expected axis -1 of input shape to have "
      "value 3, but received input with shape (2, 5, 6)");
  EXPECT_EQ(error_message<InvalidArgument>([] { LSTM(0); }), "LSTM: units must be a positive integer, got 0");
  EXPECT_EQ(error_message<InvalidArgument>([] { LSTM(-3); }),
            "LSTM: units must be a positive integer, got -3");
}

// Embedding -> LSTM -> Dense, differentiated by the tape with respect to every weight, against
// central differences of the same network.
TEST_F(RecurrentLayers, GradientsThroughTheLayersMatchCentralDifferences) {
  for (bool return_sequences : {false, true}) {
    SCOPED_TRACE(return_sequences ? "return_sequences" : "last output");
    Embedding embedding(6, 3, {.embeddings_initializer = random_uniform(-0.5, 0.5), .seed = 4});
    LSTM lstm(4, {.seed = 5, .return_sequences = return_sequences});
    Dense dense(2, {.seed = 6});
    Tensor ids = Tensor::from_vector<int64_t>({2, 4}, {1, 5, 0, 1, 3, 3, 2, 5});
    auto model = [&] { return dense(lstm(embedding(ids))); };
    model();  // builds the weights
    std::vector<Tensor> weights;
    for (Layer* layer : std::initializer_list<Layer*>{&embedding, &lstm, &dense})
      for (const auto& v : layer->trainable_weights()) weights.push_back(v->value());
    ASSERT_EQ(weights.size(), 6u);
    // The inputs are the weights' own buffers: the perturbations reach the layers.
    testing::expect_gradients_match([&](const std::vector<Tensor>&) { return model(); }, weights);
  }
}

}  // namespace
}  // namespace cairn
