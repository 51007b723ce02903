// Functional models with layers of several outputs: Keras's lstm_seq2seq (an encoder LSTM's final
// states start the decoder LSTM), built in C++, computes what its layers compute, trains (the gradient
// reaches the encoder only through the states), shows its tensors in the summary as Keras 3 does, and
// gives states as model outputs (Model(i, [out, h])) and nested multi-output models.
#include <gtest/gtest.h>

#include <sstream>

#include "cairn/layers/dense.h"
#include "cairn/layers/gru.h"
#include "cairn/layers/lstm.h"
#include "cairn/model.h"
#include "cairn/ops.h"
#include "cairn/optimizers.h"

namespace cairn {
namespace {

constexpr int64_t kTokens = 5, kSteps = 4;

struct Seq2Seq {
  std::shared_ptr<Functional> model;
  std::shared_ptr<LSTM> encoder, decoder;
  std::shared_ptr<Dense> head;
};

// keras.io's lstm_seq2seq training model, small.
Seq2Seq seq2seq(int64_t units) {
  clear_session();
  set_random_seed(3);
  Seq2Seq s;
  const SymbolicTensor encoder_inputs = Input({-1, kTokens}, "encoder_inputs");
  s.encoder = make_lstm(units, {.return_state = true, .name = "encoder"});
  const std::vector<SymbolicTensor> encoded = s.encoder->call_all_outputs(encoder_inputs);  // _, h, c
  const SymbolicTensor decoder_inputs = Input({-1, kTokens}, "decoder_inputs");
  s.decoder = make_lstm(units, {.return_sequences = true, .return_state = true, .name = "decoder"});
  const std::vector<SymbolicTensor> decoded = s.decoder->call_all_outputs({decoder_inputs, encoded[1], encoded[2]});
  s.head = make_dense(kTokens, {.activation = "softmax", .name = "next_token"});
  s.model = std::make_shared<Functional>(std::vector<SymbolicTensor>{encoder_inputs, decoder_inputs},
                                         (*s.head)(decoded[0]), "seq2seq");
  return s;
}

// (samples, steps, kTokens) one-hot rows of `ids` (samples x steps, row-major).
Tensor one_hot(const std::vector<int64_t>& ids, int64_t samples, int64_t steps) {
  Tensor t = Tensor::zeros({samples, steps, kTokens});
  for (size_t i = 0; i < ids.size(); ++i) t.data<float>()[i * kTokens + ids[i]] = 1;
  return t;
}

// The task: the decoder writes the source sequence reversed, after a start token (0), fed the previous
// target token (teacher forcing). Its first token is the source's last: the encoder's states must carry it.
struct Task {
  Tensor source, decoder_input, target;
  std::vector<int64_t> first_token;
};

Task reverse_task(int64_t samples, uint64_t seed) {
  Generator g(seed);
  std::vector<int64_t> source(samples * kSteps), decoder_input(samples * kSteps), target(samples * kSteps);
  Task task;
  for (int64_t i = 0; i < samples; ++i) {
    for (int64_t t = 0; t < kSteps; ++t) source[i * kSteps + t] = 1 + static_cast<int64_t>(g.uniform() * (kTokens - 1)) % (kTokens - 1);
    for (int64_t t = 0; t < kSteps; ++t) target[i * kSteps + t] = source[i * kSteps + kSteps - 1 - t];
    decoder_input[i * kSteps] = 0;
    for (int64_t t = 1; t < kSteps; ++t) decoder_input[i * kSteps + t] = target[i * kSteps + t - 1];
    task.first_token.push_back(target[i * kSteps]);
  }
  task.source = one_hot(source, samples, kSteps);
  task.decoder_input = one_hot(decoder_input, samples, kSteps);
  task.target = one_hot(target, samples, kSteps);
  return task;
}

void expect_near(const Tensor& got, const Tensor& want, float tolerance = 1e-6f) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], tolerance) << i;
}

TEST(Seq2Seq, ComputesWhatItsLayersCompute) {
  Seq2Seq s = seq2seq(6);
  const Task task = reverse_task(3, 1);
  const Tensor got = (*s.model)(std::vector<Tensor>{task.source, task.decoder_input}, false);
  const std::vector<Tensor> encoded = s.encoder->call_all_outputs(task.source);
  const Tensor decoded = (*s.decoder)(std::vector<Tensor>{task.decoder_input, encoded[1], encoded[2]});
  expect_near(got, (*s.head)(decoded));
  // The states matter: from zero states the decoder gives another sequence.
  EXPECT_GT(std::abs((*s.head)((*s.decoder)(task.decoder_input)).get({0, 0, 0}) - got.get({0, 0, 0})), 1e-4);
}

TEST(Seq2Seq, TrainsThroughTheEncoderStates) {
  Seq2Seq s = seq2seq(16);
  const Task train = reverse_task(96, 2);
  const Tensor encoder_kernel_before = s.encoder->kernel()->value().clone();
  s.model->compile({.optimizer = std::make_shared<Adam>(0.02), .loss = "categorical_crossentropy"});
  const History history = s.model->fit({train.source, train.decoder_input}, train.target,
                                       {.batch_size = 16, .epochs = 60, .verbose = 0});
  EXPECT_LT(history.history.at("loss").back(), 0.3 * history.history.at("loss").front());
  // The gradient reached the encoder, whose only way to the loss is the decoder's initial states.
  const Tensor encoder_kernel_after = s.encoder->kernel()->value();
  double change = 0;
  for (int64_t i = 0; i < encoder_kernel_after.numel(); ++i)
    change = std::max<double>(change, std::abs(encoder_kernel_after.data<float>()[i] - encoder_kernel_before.data<float>()[i]));
  EXPECT_GT(change, 1e-2);
  // The first target token exists only in the encoder's states: the model learned to read them.
  const Task test = reverse_task(40, 3);
  const Tensor predicted = s.model->predict({test.source, test.decoder_input});
  int correct = 0;
  for (int64_t i = 0; i < 40; ++i) {
    int64_t best = 0;
    for (int64_t k = 1; k < kTokens; ++k)
      if (predicted.get({i, 0, k}) > predicted.get({i, 0, best})) best = k;
    correct += best == test.first_token[i];
  }
  EXPECT_GE(correct, 34) << "of 40 first tokens (chance: 10)";
}

TEST(Seq2Seq, SummaryShowsWhichOutputEachLayerTakes) {
  Seq2Seq s = seq2seq(6);
  std::ostringstream summary;
  s.model->summary(summary);
  // The column is cut at Keras's width; inbound_names has it whole.
  EXPECT_NE(summary.str().find(" decoder (LSTM)                 [(None, None, 6), (… 288         decoder_inputs[0][0], encoder[0"),
            std::string::npos)
      << summary.str();
  EXPECT_EQ(s.model->inbound_names(*s.decoder),
            (std::vector<std::string>{"decoder_inputs[0][0]", "encoder[0][1]", "encoder[0][2]"}));
  // A layer with several outputs shows each one's shape, as Keras 3 does (cut at the column's width).
  EXPECT_NE(summary.str().find(" encoder (LSTM)                 [(None, 6), (None, … 288         encoder_inputs[0][0]"), std::string::npos);
}

TEST(Seq2Seq, StatesAsModelOutputsAndNestedMultiOutputModels) {
  clear_session();
  const SymbolicTensor x = Input({kSteps, kTokens}, "x");
  auto gru = make_gru(3, {.seed = 5, .return_sequences = true, .return_state = true});
  const std::vector<SymbolicTensor> outs = gru->call_all_outputs(x);
  Functional encoder(std::vector<SymbolicTensor>{x}, std::vector<SymbolicTensor>{outs[0], outs[1]}, "encoder_model");
  EXPECT_EQ(encoder.output_names(), (std::vector<std::string>{"gru", "gru"}));  // Keras: the layers' names
  const Task task = reverse_task(2, 4);
  const std::vector<Tensor> got = encoder.predict_outputs(task.source);
  ASSERT_EQ(got.size(), 2u);
  expect_near(got[1], ops::reshape(ops::slice(got[0], 1, kSteps - 1, kSteps), {2, 3}));

  // A functional model with two outputs called in another model gives both.
  auto shared = std::make_shared<Functional>(std::vector<SymbolicTensor>{x},
                                             std::vector<SymbolicTensor>{outs[0], outs[1]}, "inner");
  const SymbolicTensor y = Input({kSteps, kTokens}, "y");
  const std::vector<SymbolicTensor> inner = shared->call_all_outputs(y);
  ASSERT_EQ(inner.size(), 2u);
  EXPECT_EQ(inner[1].shape(), (Shape{-1, 3}));
  Functional outer(y, (*make_dense(2, {.name = "from_state"}))(inner[1]), "outer");
  const Tensor h = gru->call_all_outputs(task.source)[1];
  const auto dense = std::dynamic_pointer_cast<Dense>(outer.get_layer("from_state"));
  expect_near(outer.predict(task.source), ops::dense(h, dense->kernel()->value(), dense->bias()->value()), 1e-5f);
}

}  // namespace
}  // namespace cairn
