// Layers with several outputs (Layer::call_all_outputs) and the recurrent layers' initial states: the
// final states of a return_state layer, a sequence continued from them, gradients into the initial
// states and out of the final ones, and Bidirectional with merge_mode None and return_state. Values are
// checked against identities Keras's definitions imply; tests/keras_io/seq2seq_test.cc checks the same
// layers in models against Keras itself.
#include <gtest/gtest.h>

#include "cairn/error.h"
#include "cairn/layers/bidirectional.h"
#include "cairn/layers/gru.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/simple_rnn.h"
#include "cairn/ops.h"
#include "expect_error.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using testing::random_tensor;

class RecurrentStatesTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }
};

void expect_near(const Tensor& got, const Tensor& want, float tolerance = 1e-5f) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], tolerance) << i;
}

std::vector<std::shared_ptr<Recurrent>> each_class(RecurrentOptions options) {
  return {make_lstm(3, options), make_gru(3, options), make_simple_rnn(3, options)};
}

TEST_F(RecurrentStatesTest, ReturnStateGivesTheOutputThenTheStatesAsOutputs) {
  const Tensor x = random_tensor({2, 4, 2}, 1);
  auto lstm = make_lstm(3, {.seed = 2, .return_state = true});
  EXPECT_EQ(lstm->output_count(), 3u);
  const std::vector<Tensor> outs = lstm->call_all_outputs(x);
  ASSERT_EQ(outs.size(), 3u);
  expect_near(outs[0], (*lstm)(x));  // the ordinary call gives the first output
  expect_near(outs[1], outs[0]);     // h is the last output
  EXPECT_GT(std::abs(outs[2].get({0, 0}) - outs[1].get({0, 0})), 1e-4);
  EXPECT_EQ(make_gru(3, {.return_state = true})->output_count(), 2u);
  EXPECT_EQ(make_simple_rnn(3)->output_count(), 1u);

  // Symbolic: one node, an output per tensor, each with its shape (Keras's tensor_index).
  const SymbolicTensor input = Input({4, 2});
  auto sequences = make_lstm(5, {.return_sequences = true, .return_state = true});
  const std::vector<SymbolicTensor> symbolic = sequences->call_all_outputs(input);
  ASSERT_EQ(symbolic.size(), 3u);
  EXPECT_EQ(symbolic[0].shape(), (Shape{-1, 4, 5}));
  EXPECT_EQ(symbolic[1].shape(), (Shape{-1, 5}));
  EXPECT_EQ(symbolic[2].shape(), (Shape{-1, 5}));
  EXPECT_EQ(symbolic[2].output_index(), 2u);
  EXPECT_EQ(symbolic[1].node(), symbolic[0].node());
  EXPECT_EQ((*sequences)(input).output_index(), 0u);
}

// A sequence run in two parts, the second from the first's final states, is the sequence run at once.
TEST_F(RecurrentStatesTest, InitialStateContinuesASequence) {
  const Tensor x = random_tensor({2, 5, 3}, 3);
  for (const auto& layer : each_class({.seed = 4, .return_sequences = true, .return_state = true})) {
    SCOPED_TRACE(layer->class_name());
    const std::vector<Tensor> whole = layer->call_all_outputs(x);
    std::vector<Tensor> first = layer->call_all_outputs(ops::slice(x, 1, 0, 2));
    std::vector<Tensor> inputs{ops::slice(x, 1, 2, 5)};
    inputs.insert(inputs.end(), first.begin() + 1, first.end());
    const std::vector<Tensor> rest = layer->call_all_outputs(inputs);
    ASSERT_EQ(rest.size(), whole.size());
    expect_near(rest[0], ops::slice(whole[0], 1, 2, 5));
    for (size_t s = 1; s < whole.size(); ++s) expect_near(rest[s], whole[s]);
    // Zero initial states are the default ones; other states change the output.
    std::vector<Tensor> zeros{x};
    for (size_t s = 1; s < whole.size(); ++s) zeros.push_back(Tensor::zeros({2, 3}));
    expect_near((*layer)(zeros), whole[0]);
    std::vector<Tensor> ones{x};
    for (size_t s = 1; s < whole.size(); ++s) ones.push_back(Tensor::ones({2, 3}));
    EXPECT_GT(std::abs((*layer)(ones).get({0, 0, 0}) - whole[0].get({0, 0, 0})), 1e-3);
  }
}

TEST_F(RecurrentStatesTest, InitialStateUnderAMaskKeepsTheStatesAtMaskedSteps) {
  const Tensor x = random_tensor({2, 4, 3}, 5);
  auto lstm = make_lstm(3, {.seed = 6, .return_state = true});
  const Tensor h0 = random_tensor({2, 3}, 7), c0 = random_tensor({2, 3}, 8);
  Tensor mask = Tensor::ones({2, 4});
  mask.data<float>()[0 * 4 + 2] = 0;  // row 0: steps 2 and 3 masked
  mask.data<float>()[0 * 4 + 3] = 0;
  const std::vector<Layer::MaskedOutput> masked = lstm->call_all_outputs({x, h0, c0}, {mask, Tensor(), Tensor()}, false);
  const std::vector<Tensor> first_two = lstm->call_all_outputs({ops::slice(x, 1, 0, 2), h0, c0});
  for (int s = 0; s < 3; ++s)
    for (int64_t u = 0; u < 3; ++u) EXPECT_NEAR(masked[s].output.get({0, u}), first_two[s].get({0, u}), 1e-5);
  EXPECT_FALSE(masked[1].mask.defined());  // states carry no mask
}

// The gradient reaches the initial states and leaves through every final state.
TEST_F(RecurrentStatesTest, GradientsOfInitialStatesAndStateOutputs) {
  for (const auto& layer : each_class({.seed = 9, .return_sequences = true, .return_state = true})) {
    SCOPED_TRACE(layer->class_name());
    const Tensor x = random_tensor({2, 3, 2}, 10);
    std::vector<Tensor> inputs{x};
    for (int s = 0; s < layer->state_count(); ++s) inputs.push_back(random_tensor({2, 3}, 11 + s, -0.5f, 0.5f));
    layer->build(x.shape());
    for (const auto& w : layer->weights()) inputs.push_back(w->value());
    const size_t call_inputs = 1 + layer->state_count();
    testing::expect_gradients_match(
        [&](const std::vector<Tensor>& params) {
          const std::vector<Tensor> outs =
              layer->call_all_outputs(std::vector<Tensor>(params.begin(), params.begin() + call_inputs));
          std::vector<Tensor> flat{ops::reshape(outs[0], {2, 9})};
          flat.insert(flat.end(), outs.begin() + 1, outs.end());
          return ops::concat(flat, 1);
        },
        inputs);
  }
}

TEST_F(RecurrentStatesTest, InitialStatesOfTheWrongNumberOrShapeAreRefused) {
  auto lstm = make_lstm(3, {.return_state = true});
  const Tensor x = random_tensor({2, 4, 2}, 1);
  testing::expect_error_mentioning<InvalidArgument>([&] { lstm->call_all_outputs({x, Tensor::zeros({2, 3})}); },
                                                    {"LSTM", "initial_state must be 2 tensors (h and c)", "got 1"});
  testing::expect_error_mentioning<ShapeError>(
      [&] { lstm->call_all_outputs({x, Tensor::zeros({2, 3}), Tensor::zeros({2, 4})}); },
      {"initial_state[1]", "(2, 3)", "(2, 4)"});
  testing::expect_error_mentioning<ShapeError>(
      [&] { make_gru(3)->call_all_outputs(std::vector<SymbolicTensor>{Input({4, 2}), Input({5})}); },
      {"GRU", "initial_state[0]", "(None, 3)", "(None, 5)"});
}

TEST_F(RecurrentStatesTest, BidirectionalMergeModeNoneGivesBothDirections) {
  const Tensor x = random_tensor({2, 4, 3}, 12);
  auto layer = make_lstm(2, {.seed = 13, .return_sequences = true});
  Bidirectional pair(layer, {.merge_mode = std::nullopt});
  Bidirectional concatenated(layer, {.merge_mode = "concat"});
  EXPECT_EQ(pair.output_count(), 2u);
  const std::vector<Tensor> outs = pair.call_all_outputs(x);
  ASSERT_EQ(outs.size(), 2u);
  concatenated.build(x.shape());
  for (size_t i = 0; i < pair.weights().size(); ++i) concatenated.weights()[i]->assign(pair.weights()[i]->value());
  expect_near(ops::concat(outs, -1), concatenated(x));
  expect_near(outs[0], (*pair.forward_layer())(x));
  expect_near(outs[1], reverse_timesteps((*pair.backward_layer())(x)));
  const std::vector<Shape> shapes = pair.compute_output_shapes(std::vector<Shape>{Shape{-1, 4, 3}});
  EXPECT_EQ(shapes, (std::vector<Shape>{{-1, 4, 2}, {-1, 4, 2}}));
}

TEST_F(RecurrentStatesTest, BidirectionalReturnStateAndInitialState) {
  const Tensor x = random_tensor({2, 4, 3}, 14);
  Bidirectional layer(make_gru(2, {.seed = 15, .return_state = true}), {.merge_mode = "sum"});
  EXPECT_EQ(layer.output_count(), 3u);  // the merged output, the forward h, the backward h
  const std::vector<Tensor> outs = layer.call_all_outputs(x);
  ASSERT_EQ(outs.size(), 3u);
  expect_near(outs[1], (*layer.forward_layer())(x));
  expect_near(outs[2], (*layer.backward_layer())(x));
  expect_near(outs[0], ops::add(outs[1], outs[2]));
  // Initial states: the forward layer's, then the backward layer's.
  const Tensor forward_h = random_tensor({2, 2}, 16), backward_h = random_tensor({2, 2}, 17);
  const std::vector<Tensor> started = layer.call_all_outputs({x, forward_h, backward_h});
  expect_near(started[1], layer.forward_layer()->call_with_states(x, Tensor(), false, {forward_h})[0]);
  expect_near(started[2], layer.backward_layer()->call_with_states(x, Tensor(), false, {backward_h})[0]);
  testing::expect_error_mentioning<InvalidArgument>([&] { layer.call_all_outputs({x, forward_h}); },
                                                    {"initial_state must be 2 tensors", "got 1"});
  Bidirectional lstm_pair(make_lstm(2, {.return_state = true}), {.merge_mode = std::nullopt});
  EXPECT_EQ(lstm_pair.output_count(), 6u);  // forward, backward, forward h and c, backward h and c
}

}  // namespace
}  // namespace cairn
