// The recurrent layers' shared options (cairn/layers/recurrent.h): masks from Embedding(mask_zero) and
// Masking, go_backwards, return_state, dropout and recurrent_dropout, and Bidirectional. Values are
// checked against the same layers on the unmasked or reversed sequence, which Keras's definitions make
// equal; tests/layer_contract and tests/keras_io check the same layers against Keras itself.
#include <gtest/gtest.h>

#include "cairn/layers/bidirectional.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/gru.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/masking.h"
#include "cairn/layers/simple_rnn.h"
#include "cairn/layers/time_distributed.h"
#include "cairn/ops.h"
#include "expect_error.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::random_tensor;

class RecurrentOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

void expect_near(const Tensor& got, const Tensor& want, float tolerance = 1e-6f) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], tolerance) << i;
}

Tensor first_steps(const Tensor& x, int64_t steps) { return ops::slice(x, 1, 0, steps); }

// Every layer class, with the same options.
std::vector<std::shared_ptr<Recurrent>> each_class(RecurrentOptions options) {
  return {make_lstm(3, options), make_gru(3, options), make_simple_rnn(3, options)};
}

TEST_F(RecurrentOptionsTest, MaskedTrailingStepsGiveTheOutputOfTheShorterSequence) {
  const Tensor x = random_tensor({1, 5, 2}, 1);
  const Tensor mask = Tensor::from_values({1, 5}, {1, 1, 1, 0, 0});
  for (const auto& layer : each_class({.seed = 4})) {
    SCOPED_TRACE(layer->class_name());
    const Tensor unmasked_short = (*layer)(first_steps(x, 3));
    expect_near((*layer)(x, mask, false).output, unmasked_short);
    EXPECT_FALSE((*layer)(x, mask, false).mask.defined());  // the last output has no timesteps
  }
}

TEST_F(RecurrentOptionsTest, MaskedStepsKeepStatesAndRepeatOrZeroTheOutput) {
  const Tensor x = random_tensor({1, 4, 2}, 2);
  const Tensor mask = Tensor::from_values({1, 4}, {1, 0, 1, 1});
  const Tensor kept = ops::concat({ops::slice(x, 1, 0, 1), ops::slice(x, 1, 2, 4)}, 1);  // the unmasked steps
  for (bool zero : {false, true}) {
    for (const auto& layer : each_class({.seed = 5, .return_sequences = true, .zero_output_for_mask = zero})) {
      SCOPED_TRACE(layer->class_name() + (zero ? " zero" : " repeat"));
      const Layer::MaskedOutput y = (*layer)(x, mask, false);
      const Tensor want = (*layer)(kept);
      EXPECT_EQ(y.mask.data<float>()[1], 0.0f);  // return_sequences passes the mask on
      for (int64_t u = 0; u < 3; ++u) {
        EXPECT_NEAR(y.output.get({0, 0, u}), want.get({0, 0, u}), 1e-6);
        EXPECT_EQ(y.output.get({0, 1, u}), zero ? 0.0 : y.output.get({0, 0, u}));
        EXPECT_NEAR(y.output.get({0, 2, u}), want.get({0, 1, u}), 1e-6);
        EXPECT_NEAR(y.output.get({0, 3, u}), want.get({0, 2, u}), 1e-6);
      }
    }
  }
}

TEST_F(RecurrentOptionsTest, GoBackwardsIsTheForwardLayerOnTheReversedSequence) {
  const Tensor x = random_tensor({2, 4, 3}, 3);
  for (bool sequences : {false, true}) {
    const auto forwards = each_class({.seed = 6, .return_sequences = sequences});
    const auto backwards = each_class({.seed = 6, .return_sequences = sequences, .go_backwards = true});
    for (size_t i = 0; i < forwards.size(); ++i) {
      SCOPED_TRACE(forwards[i]->class_name());
      expect_near((*backwards[i])(x), (*forwards[i])(reverse_timesteps(x)));
    }
  }
}

TEST_F(RecurrentOptionsTest, FusedLstmAndItsStepsAgree) {
  const Tensor x = random_tensor({2, 5, 3}, 4);
  for (bool backwards : {false, true}) {
    auto lstm = make_lstm(4, {.seed = 7, .return_sequences = true, .go_backwards = backwards});
    // An all-ones mask takes the step-by-step path and changes nothing.
    expect_near((*lstm)(x, Tensor::ones({2, 5}), false).output, (*lstm)(x), 1e-5f);
  }
}

TEST_F(RecurrentOptionsTest, ReturnStateGivesTheFinalStates) {
  const Tensor x = random_tensor({2, 3, 2}, 5);
  auto lstm = make_lstm(3, {.seed = 8, .return_sequences = true, .return_state = true});
  const std::vector<Tensor> lstm_out = lstm->call_with_states(x);
  ASSERT_EQ(lstm_out.size(), 3u);  // output, h, c as Keras
  expect_near(lstm_out[1], ops::reshape(ops::slice(lstm_out[0], 1, 2, 3), {2, 3}));
  EXPECT_EQ(lstm_out[2].shape(), (Shape{2, 3}));
  EXPECT_GT(std::abs(lstm_out[2].get({0, 0}) - lstm_out[1].get({0, 0})), 1e-4);  // c is not h
  // The ordinary call returns the output alone, as the state-free layer does.
  expect_near((*lstm)(x), lstm_out[0]);
  auto gru = make_gru(3, {.seed = 8, .return_state = true});
  const std::vector<Tensor> gru_out = gru->call_with_states(x);
  ASSERT_EQ(gru_out.size(), 2u);
  expect_near(gru_out[1], gru_out[0]);
}

TEST_F(RecurrentOptionsTest, DropoutOnlyInTrainingAndReproducibleFromTheGeneratorState) {
  const Tensor x = random_tensor({4, 3, 5}, 6);
  for (const auto& layer : each_class({.dropout = 0.5, .recurrent_dropout = 0.3, .seed = 9})) {
    SCOPED_TRACE(layer->class_name());
    EXPECT_TRUE(layer->draws_random_numbers());
    const Tensor inference = (*layer)(x, false);
    const GeneratorState before = layer->generator().state();
    const Tensor trained = (*layer)(x, true);
    float difference = 0;
    for (int64_t i = 0; i < trained.numel(); ++i)
      difference = std::max(difference, std::abs(trained.data<float>()[i] - inference.data<float>()[i]));
    EXPECT_GT(difference, 1e-3f);
    EXPECT_TRUE(equal_bytes((*layer)(x, false), inference));
    layer->generator().set_state(before);  // what a checkpoint restores: the same masks again
    EXPECT_TRUE(equal_bytes((*layer)(x, true), trained));
  }
  EXPECT_FALSE(make_lstm(2)->draws_random_numbers());
}

TEST_F(RecurrentOptionsTest, EmbeddingMaskZeroAndMaskingMakeMasks) {
  Embedding embedding(5, 2, {.mask_zero = true, .seed = 1});
  const Tensor ids = Tensor::from_vector<int32_t>({2, 3}, {0, 3, 0, 4, 0, 1});
  const Layer::MaskedOutput e = embedding(ids, Tensor(), false);
  EXPECT_EQ(e.mask.shape(), (Shape{2, 3}));
  EXPECT_EQ(std::vector<float>(e.mask.data<float>(), e.mask.data<float>() + 6), (std::vector<float>{0, 1, 0, 1, 0, 1}));
  EXPECT_FALSE(Embedding(5, 2)(ids, Tensor(), false).mask.defined());

  Masking masking(-1.0);
  const Tensor x = Tensor::from_values({1, 3, 2}, {-1, -1, 2, -1, 0, 3});
  const Layer::MaskedOutput m = masking(x, Tensor(), false);
  EXPECT_EQ(std::vector<float>(m.mask.data<float>(), m.mask.data<float>() + 3), (std::vector<float>{0, 1, 1}));
  EXPECT_EQ(std::vector<float>(m.output.data<float>(), m.output.data<float>() + 6),
            (std::vector<float>{0, 0, 2, -1, 0, 3}));
}

TEST_F(RecurrentOptionsTest, BidirectionalMergesForwardAndReversedBackwardOutputs) {
  const Tensor x = random_tensor({2, 4, 3}, 7);
  for (const std::string mode : {"concat", "sum", "mul", "ave"}) {
    SCOPED_TRACE(mode);
    auto lstm = make_lstm(2, {.return_sequences = true, .name = "words"});
    Bidirectional bidirectional(lstm, {.merge_mode = mode});
    const Tensor y = bidirectional(x);
    EXPECT_EQ(bidirectional.forward_layer()->name(), "forward_words");
    EXPECT_EQ(bidirectional.backward_layer()->name(), "backward_words");
    EXPECT_TRUE(bidirectional.backward_layer()->options().go_backwards);
    const Tensor f = (*bidirectional.forward_layer())(x);
    const Tensor b = reverse_timesteps((*bidirectional.backward_layer())(x));
    const Tensor want = mode == "concat" ? ops::concat({f, b}, -1)
                        : mode == "sum"  ? ops::add(f, b)
                        : mode == "mul"  ? ops::mul(f, b)
                                         : ops::scale(ops::add(f, b), 0.5);
    expect_near(y, want);
    EXPECT_EQ(bidirectional.compute_output_shape({-1, 4, 3}), (Shape{-1, 4, mode == "concat" ? 4 : 2}));
    // The forward layer's weights, then the backward layer's, where Keras 3 keeps them.
    ASSERT_EQ(bidirectional.weights().size(), 6u);
    EXPECT_EQ(bidirectional.weights()[3], bidirectional.backward_layer()->kernel());
    const auto paths = bidirectional.keras_weight_paths();
    EXPECT_EQ(paths[0].keras3, "forward_layer/cell");
    EXPECT_EQ(paths[4].keras3, "backward_layer/cell");
    EXPECT_EQ(paths[4].keras2, "backward_words/lstm_cell/recurrent_kernel");
  }
}

TEST_F(RecurrentOptionsTest, BidirectionalMasksBothDirections) {
  const Tensor x = random_tensor({1, 5, 2}, 8);
  const Tensor mask = Tensor::from_values({1, 5}, {1, 1, 1, 0, 0});
  Bidirectional bidirectional(make_gru(2, {.seed = 3}));
  expect_near(bidirectional(x, mask, false).output, bidirectional(first_steps(x, 3)));
}

TEST_F(RecurrentOptionsTest, GradientsThroughMasksAndBidirectionalMatchCentralDifferences) {
  const Tensor x = random_tensor({2, 3, 2}, 9);
  const Tensor mask = Tensor::from_values({2, 3}, {1, 1, 0, 0, 1, 1});
  auto check = [&](Layer& layer) {
    layer.build(x.shape());
    std::vector<Tensor> params{x};
    for (const auto& w : layer.weights()) params.push_back(w->value());
    testing::expect_gradients_match_in_place([&] { return layer(x, mask, true).output; }, params);
  };
  for (const auto& layer : each_class({.activation = "softsign", .seed = 2, .return_sequences = true})) {
    SCOPED_TRACE(layer->class_name());
    check(*layer);
  }
  Bidirectional bidirectional(make_simple_rnn(2, {.seed = 2}), {.merge_mode = "mul"});
  check(bidirectional);
}

TEST_F(RecurrentOptionsTest, BadArgumentsAndMasksNameTheLayerArgumentAndShapes) {
  testing::expect_error_mentioning<InvalidArgument>([] { LSTM(2, {.dropout = 1.0}); }, {"LSTM", "dropout", "[0, 1)"});
  testing::expect_error_mentioning<InvalidArgument>([] { GRU(2, {.unit_forget_bias = false}); },
                                                    {"GRU", "unit_forget_bias", "LSTM only"});
  testing::expect_error_mentioning<InvalidArgument>([] { SimpleRNN(2, {.recurrent_activation = "relu"}); },
                                                    {"SimpleRNN", "recurrent_activation"});
  testing::expect_error_mentioning<InvalidArgument>([] { Bidirectional(make_lstm(2), {.merge_mode = "max"}); },
                                                    {"Bidirectional", "merge mode", "max"});
  testing::expect_error_mentioning<InvalidArgument>(
      [] { Bidirectional(make_lstm(2), {.backward_layer = make_lstm(2)}); }, {"Bidirectional", "go_backwards"});
  testing::expect_error_mentioning<InvalidArgument>(
      [] { Bidirectional(make_lstm(2), {.backward_layer = make_lstm(2, {.return_sequences = true, .go_backwards = true})}); },
      {"Bidirectional", "return_sequences"});
  auto lstm = make_lstm(2, {.name = "reader"});
  testing::expect_error_mentioning<ShapeError>(
      [&] { lstm->call_with_states(random_tensor({2, 3, 1}, 1), Tensor::ones({2, 4})); },
      {"reader", "mask", "(2, 3, 1)", "(2, 4)"});
  testing::expect_error_mentioning<ShapeError>([&] { (*lstm)(random_tensor({2, 3}, 1)); }, {"reader", "ndim=3", "(2, 3)"});
}

TEST_F(RecurrentOptionsTest, TimeDistributedAppliesTheLayerToEveryStep) {
  const Tensor x = random_tensor({2, 3, 4, 4, 2}, 10);
  auto conv = make_conv2d(3, {2, 2}, {.seed = 4});
  TimeDistributed distributed(conv);
  const Tensor y = distributed(x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 3, 3, 3}));
  EXPECT_EQ(distributed.compute_output_shape({-1, 3, 4, 4, 2}), (Shape{-1, 3, 3, 3, 3}));
  for (int64_t step = 0; step < 3; ++step) {
    const Tensor x_step = ops::reshape(ops::slice(x, 1, step, step + 1), {2, 4, 4, 2});
    expect_near(ops::reshape(ops::slice(y, 1, step, step + 1), {2, 3, 3, 3}), (*conv)(x_step));
  }
  ASSERT_EQ(distributed.weights().size(), 2u);
  EXPECT_EQ(distributed.weights()[0], conv->weights()[0]);
  EXPECT_EQ(distributed.keras_weight_paths()[1].keras3, "layer");
  EXPECT_EQ(distributed.keras_weight_paths()[1].keras2, "bias");
  // A mask passes through.
  const Tensor mask = Tensor::from_values({2, 3}, {1, 0, 1, 1, 1, 0});
  EXPECT_TRUE(equal_bytes(distributed(x, mask, false).mask, mask));
  testing::expect_error_mentioning<ShapeError>([&] { distributed(random_tensor({2, 4}, 1)); },
                                               {"time_distributed", conv->name(), "(2, 4)"});
}

TEST_F(RecurrentOptionsTest, TimeDistributedDropoutDrawsFromItsOwnCheckpointedStream) {
  TimeDistributed distributed(make_dropout(0.5));
  EXPECT_TRUE(distributed.draws_random_numbers());
  const Tensor x = random_tensor({2, 3, 4}, 11);
  EXPECT_TRUE(equal_bytes(distributed(x, false), x));
  const GeneratorState before = distributed.generator().state();
  const Tensor trained = distributed(x, true);
  distributed.generator().set_state(before);
  EXPECT_TRUE(equal_bytes(distributed(x, true), trained));
}

}  // namespace
}  // namespace cairn
