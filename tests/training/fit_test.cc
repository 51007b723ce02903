// Model::fit's TrainingState: what training_state() says at each callback, after fit, after a failed
// fit, and fit continuing from a state given to resume_from.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "cairn/data.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"

namespace cairn {
namespace {

// y = x0 - 2 x1 on ten points: batches of 4 make three steps per epoch (the last of 2 samples).
LabeledData ten_points() {
  std::vector<float> x, y;
  for (int i = 0; i < 10; ++i) {
    const float a = 0.2f * static_cast<float>(i) - 1.0f, b = 0.5f - 0.1f * static_cast<float>(i % 3);
    x.insert(x.end(), {a, b});
    y.push_back(a - 2 * b);
  }
  return {Tensor::from_vector<float>({10, 2}, x), Tensor::from_vector<float>({10, 1}, y)};
}

std::shared_ptr<Sequential> line_model() {
  clear_session();
  set_random_seed(0);
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(1)}, Shape{2});
  model->compile({.optimizer = std::make_shared<SGD>(0.1), .loss = "mse"});
  return model;
}

// "e<epoch> s<step> g<global step>" of the model's state, for readable comparisons.
std::string where(const Model& model) {
  const TrainingState state = model.training_state();
  return "e" + std::to_string(state.position.epoch) + " s" + std::to_string(state.position.step) + " g" +
         std::to_string(state.global_step);
}

TEST(FitTrainingState, CountsTheBatchesTrainedAtEveryCallback) {
  const LabeledData data = ten_points();
  auto model = line_model();
  std::vector<std::string> seen;
  auto record = std::make_shared<LambdaCallback>();
  record->on_epoch_begin_fn = [&](int epoch, const Logs&) { seen.push_back("epoch begin " + where(*model)); };
  record->on_batch_begin_fn = [&](int64_t batch, const Logs&) { seen.push_back("begin " + where(*model)); };
  record->on_batch_end_fn = [&](int64_t batch, const Logs&) { seen.push_back("end " + where(*model)); };
  record->on_epoch_end_fn = [&](int epoch, const Logs&) { seen.push_back("epoch end " + where(*model)); };
  model->fit(data.x, data.y, {.batch_size = 4, .epochs = 3, .verbose = 0, .callbacks = {record}, .initial_epoch = 1,
                              .seed = 3});
  EXPECT_EQ(seen, (std::vector<std::string>{"epoch begin e1 s0 g0", "begin e1 s0 g0", "end e1 s1 g1", "begin e1 s1 g1",
                                            "end e1 s2 g2", "begin e1 s2 g2", "end e1 s3 g3", "epoch end e2 s0 g3",
                                            "epoch begin e2 s0 g3", "begin e2 s0 g3", "end e2 s1 g4", "begin e2 s1 g4",
                                            "end e2 s2 g5", "begin e2 s2 g5", "end e2 s3 g6", "epoch end e3 s0 g6"}));
  EXPECT_EQ(where(*model), "e3 s0 g6");
  // The data's place: the next epoch's start, its order drawn from fit's seed.
  EXPECT_EQ(model->training_state().position.data, (BatchIteratorState{3, 0, 3, 10}));
}

TEST(FitTrainingState, AFailedFitKeepsWhereItFailed) {
  const LabeledData data = ten_points();
  auto model = line_model();
  auto fail = std::make_shared<LambdaCallback>();
  fail->on_batch_begin_fn = [&](int64_t batch, const Logs&) {
    if (model->training_state().global_step == 4) throw std::runtime_error("stop");
  };
  EXPECT_THROW(model->fit(data.x, data.y, {.batch_size = 4, .epochs = 2, .verbose = 0, .callbacks = {fail}}),
               std::runtime_error);
  EXPECT_EQ(where(*model), "e1 s1 g4");
  EXPECT_EQ(model->training_state().position.data.position, 4);  // the samples of the one batch trained
}

TEST(FitTrainingState, ResumeFromContinuesAtTheGivenStepWithItsMetricSums) {
  const LabeledData data = ten_points();
  auto model = line_model();
  TrainingState state;
  state.position = {.epoch = 1, .step = 2, .data = {1, 8, 3, 10}};
  state.metric_states = {{"loss", {1000.0, 10.0}}};  // a mean loss of 100 over ten earlier samples
  auto resume = std::make_shared<LambdaCallback>();
  resume->on_train_begin_fn = [&](const Logs&) {
    model->resume_from(state);
    EXPECT_EQ(where(*model), "e1 s2 g0");  // what fit is about to continue from
  };
  std::vector<int> epochs;
  std::vector<int64_t> batches;
  std::vector<double> losses;
  auto record = std::make_shared<LambdaCallback>();
  record->on_epoch_begin_fn = [&](int epoch, const Logs&) { epochs.push_back(epoch); };
  record->on_batch_begin_fn = [&](int64_t batch, const Logs&) { batches.push_back(batch); };
  record->on_batch_end_fn = [&](int64_t, const Logs& logs) { losses.push_back(logs.at("loss")); };
  model->fit(data.x, data.y, {.batch_size = 4, .epochs = 3, .verbose = 0, .callbacks = {resume, record}});
  EXPECT_EQ(epochs, (std::vector<int>{1, 2}));
  EXPECT_EQ(batches, (std::vector<int64_t>{2, 0, 1, 2}));
  ASSERT_EQ(losses.size(), 4u);
  // Epoch 1's last batch (2 samples) adds to the restored sums: the mean stays near 1000 / 12.
  EXPECT_GT(losses[0], 1000.0 / 12 - 1);
  EXPECT_LT(losses[0], 1000.0 / 12 + 10);
  EXPECT_LT(losses[1], 10.0);  // epoch 2 starts its own sums
  EXPECT_EQ(where(*model), "e3 s0 g4");
}

}  // namespace
}  // namespace cairn
