// Keras callbacks: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN, CSVLogger,
// LambdaCallback and History, checked against the behaviour of keras/callbacks.py (Keras 2.12).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cairn/data.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"
#include "cairn/ops.h"

namespace cairn {
namespace {

class Callbacks : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(0);
  }
};

// y = x0 - 2 x1 on eight points: one batch of 8 is one step per epoch.
LabeledData line_data(int64_t n = 8) {
  std::vector<float> x, y;
  for (int64_t i = 0; i < n; ++i) {
    const float a = 0.25f * static_cast<float>(i) - 1.0f, b = 0.5f - 0.125f * static_cast<float>(i % 5);
    x.insert(x.end(), {a, b});
    y.push_back(a - 2 * b);
  }
  return {Tensor::from_vector<float>({n, 2}, x), Tensor::from_vector<float>({n, 1}, y)};
}

std::shared_ptr<Sequential> line_model(double learning_rate = 0.1) {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(1)}, Shape{2});
  model->compile({.optimizer = std::make_shared<SGD>(learning_rate), .loss = "mse"});
  return model;
}

// Puts values[epoch] under `key` into the epoch logs, for the callbacks placed after it.
class ScriptedMonitor : public Callback {
 public:
  ScriptedMonitor(std::vector<double> values, std::string key = "val_loss")
      : values_(std::move(values)), key_(std::move(key)) {}
  void on_epoch_end(int epoch, Logs& logs) override { logs[key_] = values_.at(epoch); }

 private:
  std::vector<double> values_;
  std::string key_;
};

struct ScriptedRun {
  History history;
  std::shared_ptr<EarlyStopping> early_stopping;
};

// fit with one step per epoch for as many epochs as there are values (unless `epochs` says fewer).
ScriptedRun fit_scripted(Model& model, const std::vector<double>& values, EarlyStoppingOptions options,
                         std::shared_ptr<EarlyStopping> early_stopping = nullptr, int initial_epoch = 0,
                         int epochs = -1) {
  LabeledData d = line_data();
  if (!early_stopping) early_stopping = std::make_shared<EarlyStopping>(options);
  const std::string key = options.monitor;
  History h = model.fit(d.x, d.y,
                        {.batch_size = 8,
                         .epochs = epochs < 0 ? static_cast<int>(values.size()) : epochs,
                         .verbose = 0,
                         .callbacks = {std::make_shared<ScriptedMonitor>(values, key), early_stopping},
                         .shuffle = false,
                         .initial_epoch = initial_epoch});
  return {h, early_stopping};
}

std::vector<int> range(int begin, int end) {
  std::vector<int> r;
  for (int i = begin; i < end; ++i) r.push_back(i);
  return r;
}

// ---------------------------------------------------------------- EarlyStopping

TEST_F(Callbacks, EarlyStoppingStopsWhenPatienceRunsOut) {
  auto model = line_model();
  // Best 0.9 at epoch 1; epochs 2 and 3 do not improve: wait reaches 2 at epoch 3.
  ScriptedRun run = fit_scripted(*model, {1.0, 0.9, 0.95, 0.92, 0.5, 0.4}, {.patience = 2});
  EXPECT_EQ(run.history.epoch, range(0, 4));
  EXPECT_EQ(run.history.history["val_loss"], (std::vector<double>{1.0, 0.9, 0.95, 0.92}));
  EXPECT_EQ(run.early_stopping->stopped_epoch(), 3);
  EXPECT_EQ(run.early_stopping->best_epoch(), 1);
  EXPECT_EQ(run.early_stopping->best(), 0.9);
  EXPECT_EQ(run.early_stopping->wait(), 2);

  // patience 0: the first epoch that does not improve stops training.
  ScriptedRun eager = fit_scripted(*model, {1.0, 0.8, 0.8, 0.1}, {.patience = 0});
  EXPECT_EQ(eager.history.epoch, range(0, 3));
  // A value that keeps improving never stops, whatever the patience.
  ScriptedRun improving = fit_scripted(*model, {5, 4, 3, 2, 1}, {.patience = 0});
  EXPECT_EQ(improving.history.epoch, range(0, 5));
  EXPECT_EQ(improving.early_stopping->stopped_epoch(), 0);
  EXPECT_FALSE(model->stop_training);
  EXPECT_THROW(EarlyStopping({.patience = -1}), InvalidArgument);
}

TEST_F(Callbacks, EarlyStoppingIgnoresImprovementsSmallerThanMinDelta) {
  auto model = line_model();
  const std::vector<double> values{1.0, 0.95, 0.85, 0.89, 0.80, 0.79, 0.78};
  // min_delta 0.1: 0.95 is no improvement (wait 1); 0.85 is (1.0 - 0.85 > 0.1); 0.89 and 0.80 are not.
  ScriptedRun run = fit_scripted(*model, values, {.min_delta = 0.1, .patience = 2});
  EXPECT_EQ(run.early_stopping->stopped_epoch(), 4);
  EXPECT_EQ(run.early_stopping->best(), 0.85);
  EXPECT_EQ(run.history.epoch.size(), 5u);
  // Keras takes the absolute value of min_delta.
  ScriptedRun negative = fit_scripted(*model, values, {.min_delta = -0.1, .patience = 2});
  EXPECT_EQ(negative.early_stopping->stopped_epoch(), 4);
  // Without min_delta every decrease counts and the run goes to the end.
  ScriptedRun plain = fit_scripted(*model, values, {.patience = 2});
  EXPECT_EQ(plain.early_stopping->stopped_epoch(), 0);
  EXPECT_EQ(plain.history.epoch.size(), values.size());
  EXPECT_EQ(plain.early_stopping->best(), 0.78);
}

TEST_F(Callbacks, EarlyStoppingModeDecidesTheDirection) {
  EXPECT_TRUE(monitor_improves_upward(Mode::Auto, "val_accuracy"));
  EXPECT_TRUE(monitor_improves_upward(Mode::Auto, "acc"));
  EXPECT_TRUE(monitor_improves_upward(Mode::Auto, "val_sparse_categorical_accuracy"));
  EXPECT_TRUE(monitor_improves_upward(Mode::Auto, "auc"));
  EXPECT_FALSE(monitor_improves_upward(Mode::Auto, "val_loss"));
  EXPECT_FALSE(monitor_improves_upward(Mode::Auto, "loss"));
  EXPECT_TRUE(monitor_improves_upward(Mode::Max, "loss"));
  EXPECT_FALSE(monitor_improves_upward(Mode::Min, "accuracy"));
  EXPECT_EQ(mode_from_name("max"), Mode::Max);
  EXPECT_THROW(mode_from_name("maximum"), InvalidArgument);
  EXPECT_THROW(EarlyStopping({.mode = "upward"}), InvalidArgument);

  auto model = line_model();
  // Rising then falling: as a maximum, the best is 0.6 at epoch 1 and patience 2 ends at epoch 3;
  // as a minimum, 0.5 at epoch 0 stays the best and patience ends at epoch 2.
  const std::vector<double> values{0.5, 0.6, 0.55, 0.58, 0.7, 0.8};
  ScriptedRun accuracy = fit_scripted(*model, values, {.monitor = "val_accuracy", .patience = 2});
  EXPECT_EQ(accuracy.early_stopping->stopped_epoch(), 3);
  EXPECT_EQ(accuracy.early_stopping->best(), 0.6);
  ScriptedRun as_max = fit_scripted(*model, values, {.monitor = "val_loss", .patience = 2, .mode = "max"});
  EXPECT_EQ(as_max.early_stopping->stopped_epoch(), 3);
  ScriptedRun as_min =
      fit_scripted(*model, values, {.monitor = "val_accuracy", .patience = 2, .mode = "min"});
  EXPECT_EQ(as_min.early_stopping->stopped_epoch(), 2);
  EXPECT_EQ(as_min.early_stopping->best(), 0.5);
  ScriptedRun auto_loss = fit_scripted(*model, values, {.monitor = "val_loss", .patience = 2});
  EXPECT_EQ(auto_loss.early_stopping->stopped_epoch(), 2);
}

TEST_F(Callbacks, EarlyStoppingStopsAfterPatienceEpochsWhenNeverBetterThanTheBaseline) {
  auto model = line_model();
  // Never below the baseline 0.5: the first epoch sets `best` but not the wait, so three epochs run.
  ScriptedRun flat = fit_scripted(*model, std::vector<double>(8, 0.9), {.patience = 3, .baseline = 0.5});
  EXPECT_EQ(flat.history.epoch, range(0, 3));
  EXPECT_EQ(flat.early_stopping->stopped_epoch(), 2);
  // The same values without a baseline: the first epoch is an improvement, so one more epoch runs.
  ScriptedRun no_baseline = fit_scripted(*model, std::vector<double>(8, 0.9), {.patience = 3});
  EXPECT_EQ(no_baseline.early_stopping->stopped_epoch(), 3);
  // Beating the baseline at epoch 1 restarts the wait there.
  ScriptedRun beaten =
      fit_scripted(*model, {0.9, 0.4, 0.45, 0.45, 0.45, 0.45, 0.45}, {.patience = 3, .baseline = 0.5});
  EXPECT_EQ(beaten.early_stopping->stopped_epoch(), 4);
  EXPECT_EQ(beaten.early_stopping->best(), 0.4);
  // As in Keras 2.12, an epoch that improves on the best (though not on the baseline) never stops.
  ScriptedRun creeping =
      fit_scripted(*model, {0.9, 0.8, 0.7, 0.6, 0.55, 0.54}, {.patience = 2, .baseline = 0.5});
  EXPECT_EQ(creeping.history.epoch.size(), 6u);
  EXPECT_EQ(creeping.early_stopping->wait(), 6);
}

// Clones every weight of the model at the end of each epoch.
class WeightRecorder : public Callback {
 public:
  void on_epoch_end(int, Logs&) override {
    std::vector<Tensor> copy;
    for (const auto& w : model()->weights()) copy.push_back(w->value().clone());
    per_epoch.push_back(std::move(copy));
  }
  std::vector<std::vector<Tensor>> per_epoch;
};

bool same_weights(const Model& model, const std::vector<Tensor>& expected) {
  auto weights = model.weights();
  if (weights.size() != expected.size()) return false;
  for (size_t i = 0; i < weights.size(); ++i)
    if (!equal_bytes(weights[i]->value(), expected[i])) return false;
  return true;
}

TEST_F(Callbacks, EarlyStoppingRestoresTheWeightsOfTheBestEpoch) {
  auto model = line_model();
  LabeledData d = line_data();
  auto recorder = std::make_shared<WeightRecorder>();
  auto es =
      std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 2, .restore_best_weights = true});
  History h = model->fit(d.x, d.y,
                         {.batch_size = 8,
                          .epochs = 10,
                          .verbose = 0,
                          .callbacks = {std::make_shared<ScriptedMonitor>(
                                            std::vector<double>{1.0, 0.5, 0.7, 0.8, 0.9, 1, 1, 1, 1, 1}),
                                        recorder, es},
                          .shuffle = false});
  ASSERT_EQ(h.epoch.size(), 4u);
  ASSERT_EQ(recorder->per_epoch.size(), 4u);
  EXPECT_EQ(es->best_epoch(), 1);
  EXPECT_TRUE(same_weights(*model, recorder->per_epoch[1]));
  EXPECT_FALSE(same_weights(*model, recorder->per_epoch[3]));  // training did move the weights

  // No epoch after the first improves: the weights of epoch 0 come back.
  auto model2 = line_model();
  auto recorder2 = std::make_shared<WeightRecorder>();
  auto es2 =
      std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 1, .restore_best_weights = true});
  model2->fit(
      d.x, d.y,
      {.batch_size = 8,
       .epochs = 5,
       .verbose = 0,
       .callbacks = {std::make_shared<ScriptedMonitor>(std::vector<double>{1, 2, 3, 4, 5}), recorder2, es2}});
  ASSERT_EQ(recorder2->per_epoch.size(), 2u);
  EXPECT_TRUE(same_weights(*model2, recorder2->per_epoch[0]));

  // Without restore_best_weights the model keeps the weights of its last epoch.
  auto model3 = line_model();
  auto recorder3 = std::make_shared<WeightRecorder>();
  auto es3 = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 1});
  model3->fit(
      d.x, d.y,
      {.batch_size = 8,
       .epochs = 5,
       .verbose = 0,
       .callbacks = {std::make_shared<ScriptedMonitor>(std::vector<double>{1, 2, 3, 4, 5}), recorder3, es3}});
  ASSERT_EQ(recorder3->per_epoch.size(), 2u);
  EXPECT_TRUE(same_weights(*model3, recorder3->per_epoch[1]));
}

TEST_F(Callbacks, EarlyStoppingWaitsUntilStartFromEpoch) {
  auto model = line_model();
  const std::vector<double> values{1.0, 2.0, 3.0, 0.5, 0.6, 0.4, 0.3};
  ScriptedRun early = fit_scripted(*model, values, {.patience = 1});
  EXPECT_EQ(early.early_stopping->stopped_epoch(), 1);
  // Epochs 0-2 are a warm-up: monitoring starts at 0.5 and the wait runs out at epoch 4.
  ScriptedRun warm = fit_scripted(*model, values, {.patience = 1, .start_from_epoch = 3});
  EXPECT_EQ(warm.early_stopping->stopped_epoch(), 4);
  EXPECT_EQ(warm.early_stopping->best(), 0.5);
  EXPECT_EQ(warm.early_stopping->best_epoch(), 3);
  EXPECT_EQ(warm.history.epoch.size(), 5u);
}

TEST_F(Callbacks, EarlyStoppingStateContinuesAnInterruptedRun) {
  const std::vector<double> values{1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.72, 0.71, 0.9, 0.95};
  const EarlyStoppingOptions options{.patience = 3};
  auto model = line_model();
  ScriptedRun whole = fit_scripted(*model, values, options);
  ASSERT_EQ(whole.early_stopping->stopped_epoch(), 7);

  // The same run interrupted after six epochs (0-5) and continued by a new EarlyStopping.
  ScriptedRun first = fit_scripted(*model, values, options, nullptr, 0, 6);
  EXPECT_EQ(first.history.epoch.size(), 6u);
  CallbackState state = first.early_stopping->get_state();
  EXPECT_EQ(state.at("wait"), 1);
  EXPECT_EQ(state.at("best"), 0.7);
  EXPECT_EQ(state.at("best_epoch"), 4);
  EXPECT_EQ(state.at("stopped_epoch"), 0);
  EXPECT_EQ(first.early_stopping->state_name(), "early_stopping");

  auto restored = std::make_shared<EarlyStopping>(options);
  restored->set_state(state);
  ScriptedRun second = fit_scripted(*model, values, options, restored, 6);
  EXPECT_EQ(second.history.epoch, range(6, 8));
  EXPECT_EQ(restored->stopped_epoch(), whole.early_stopping->stopped_epoch());
  EXPECT_EQ(restored->get_state(), whole.early_stopping->get_state());

  // A fresh EarlyStopping would have started over at epoch 6 and not stopped at all.
  ScriptedRun fresh = fit_scripted(*model, values, options, nullptr, 6);
  EXPECT_EQ(fresh.early_stopping->stopped_epoch(), 0);
  EXPECT_EQ(fresh.history.epoch, range(6, 10));

  // The restored state lasts one fit: the next fit starts afresh, as Keras's on_train_begin does.
  ScriptedRun reused = fit_scripted(*model, values, options, restored);
  EXPECT_EQ(reused.early_stopping->stopped_epoch(), 7);
}

TEST_F(Callbacks, EarlyStoppingSetStateWithAMissingKeyChangesNothing) {
  EarlyStopping es({.patience = 3});
  es.set_state({{"wait", 2}, {"stopped_epoch", 0}, {"best_epoch", 4}, {"best", 0.25}});
  const CallbackState before = es.get_state();
  EXPECT_THROW(es.set_state({{"wait", 1}, {"stopped_epoch", 0}, {"best_epoch", 1}}), InvalidArgument);
  EXPECT_EQ(es.get_state(), before);
}

// The stopping rule of Keras's EarlyStopping in min mode, for checking a real run.
int keras_stop_epoch(const std::vector<double>& values, int patience, double min_delta) {
  double best = INFINITY;
  int wait = 0;
  for (int epoch = 0; epoch < static_cast<int>(values.size()); ++epoch) {
    ++wait;
    if (values[epoch] + min_delta < best) {
      best = values[epoch];
      wait = 0;
    } else if (wait >= patience && epoch > 0) {
      return epoch;
    }
  }
  return -1;
}

TEST_F(Callbacks, EarlyStoppingEndsARealFitEarly) {
  LabeledData train = make_moons(160, 0.15, 11), val = make_moons(60, 0.15, 12);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(8, DenseOptions{.activation = "relu"}),
                            std::make_shared<Dense>(2)},
      Shape{2});
  model->compile({.optimizer = std::make_shared<SGD>(0.3),
                  .loss = std::make_shared<SparseCategoricalCrossentropy>(true),
                  .metrics = {"accuracy"}});
  auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.min_delta = 1e-3, .patience = 3});
  History h = model->fit(train.x, train.y,
                         {.batch_size = 32,
                          .epochs = 300,
                          .verbose = 0,
                          .callbacks = {es},
                          .validation_data = std::make_pair(val.x, val.y),
                          .seed = 4});
  ASSERT_LT(h.epoch.size(), 300u);
  ASSERT_GT(h.epoch.size(), 4u);
  EXPECT_EQ(h.history["val_loss"].size(), h.epoch.size());
  EXPECT_EQ(h.history["accuracy"].size(), h.epoch.size());
  EXPECT_EQ(es->stopped_epoch(), h.epoch.back());
  EXPECT_EQ(keras_stop_epoch(h.history["val_loss"], 3, 1e-3), h.epoch.back());
}

// ---------------------------------------------------------------- ReduceLROnPlateau

// Calls the epoch hooks directly with scripted values; returns the learning rate after each epoch.
std::vector<double> plateau_run(ReduceLROnPlateau& callback, Model& model, const std::vector<double>& values,
                                int first_epoch = 0, std::vector<double>* logged_lr = nullptr) {
  callback.set_model(&model);
  callback.on_train_begin({});
  std::vector<double> lr;
  for (size_t i = 0; i < values.size(); ++i) {
    Logs logs{{"loss", 1.0}, {"val_loss", values[i]}};
    callback.on_epoch_end(first_epoch + static_cast<int>(i), logs);
    if (logged_lr) logged_lr->push_back(logs.at("learning_rate"));
    lr.push_back(model.optimizer().learning_rate());
  }
  return lr;
}

TEST_F(Callbacks, ReduceLROnPlateauMultipliesByFactorAfterPatience) {
  auto model = line_model(1.0);
  ReduceLROnPlateau reduce({.factor = 0.5, .patience = 2, .min_delta = 0});
  std::vector<double> logged;
  std::vector<double> lr = plateau_run(reduce, *model, std::vector<double>(6, 1.0), 0, &logged);
  EXPECT_EQ(lr, (std::vector<double>{1, 1, 0.5, 0.5, 0.25, 0.25}));
  // logs["learning_rate"] is the rate the epoch trained with, set before any reduction.
  EXPECT_EQ(logged, (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.25}));
  EXPECT_THROW(ReduceLROnPlateau({.factor = 1.0}), InvalidArgument);

  // Improvements restart the wait; smaller than min_delta they do not.
  auto model2 = line_model(1.0);
  ReduceLROnPlateau strict({.factor = 0.5, .patience = 2, .min_delta = 0.1});
  lr = plateau_run(strict, *model2, {1.0, 0.8, 0.75, 0.72, 0.5, 0.45});
  EXPECT_EQ(lr, (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.5}));
  // Upward for an accuracy in auto mode.
  auto model3 = line_model(1.0);
  ReduceLROnPlateau accuracy({.monitor = "val_accuracy", .factor = 0.5, .patience = 1, .min_delta = 0});
  accuracy.set_model(model3.get());
  accuracy.on_train_begin({});
  for (double v : {0.5, 0.6, 0.7}) {
    Logs logs{{"val_accuracy", v}};
    accuracy.on_epoch_end(0, logs);
  }
  EXPECT_EQ(model3->optimizer().learning_rate(), 1.0);
}

TEST_F(Callbacks, ReduceLROnPlateauCoolsDownAfterAReduction) {
  auto model = line_model(1.0);
  ReduceLROnPlateau reduce({.factor = 0.5, .patience = 1, .min_delta = 0, .cooldown = 2});
  // Reductions at epochs 1, 3 and 5: the epoch after each is spent cooling down.
  std::vector<double> lr = plateau_run(reduce, *model, std::vector<double>(7, 1.0));
  EXPECT_EQ(lr, (std::vector<double>{1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125}));

  auto model2 = line_model(1.0);
  ReduceLROnPlateau longer({.factor = 0.5, .patience = 1, .min_delta = 0, .cooldown = 3});
  lr = plateau_run(longer, *model2, std::vector<double>(7, 1.0));
  EXPECT_EQ(lr, (std::vector<double>{1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25}));

  // As in Keras, the counter drops before it is checked, so a cooldown of 1 changes nothing.
  auto model3 = line_model(1.0);
  ReduceLROnPlateau one({.factor = 0.5, .patience = 1, .min_delta = 0, .cooldown = 1});
  lr = plateau_run(one, *model3, std::vector<double>(4, 1.0));
  EXPECT_EQ(lr, (std::vector<double>{1, 0.5, 0.25, 0.125}));
}

TEST_F(Callbacks, ReduceLROnPlateauStopsAtMinLr) {
  auto model = line_model(1.0);
  ReduceLROnPlateau reduce({.factor = 0.1, .patience = 1, .min_delta = 0, .min_lr = 0.25});
  std::vector<double> lr = plateau_run(reduce, *model, std::vector<double>(4, 1.0));
  EXPECT_EQ(lr, (std::vector<double>{1, 0.25, 0.25, 0.25}));

  // min_lr 0.001 is stored as the float32 just above it. Once there, as in Keras (which compares with
  // np.float32(min_lr)), nothing is reduced any more: the wait keeps growing, no cooldown restarts.
  auto model2 = line_model(0.01);
  ReduceLROnPlateau floor({.factor = 0.1, .patience = 1, .min_delta = 0, .cooldown = 2, .min_lr = 0.001});
  lr = plateau_run(floor, *model2, std::vector<double>(6, 1.0));
  EXPECT_EQ(lr[1], static_cast<double>(0.001f));
  EXPECT_EQ(lr.back(), static_cast<double>(0.001f));
  CallbackState state = floor.get_state();
  EXPECT_EQ(state.at("cooldown_counter"), 0);
  EXPECT_EQ(state.at("wait"), 3);  // epochs 3, 4 and 5 (epoch 2 cooled down after the reduction at 1)
}

TEST_F(Callbacks, ReduceLROnPlateauStateContinuesAnInterruptedRun) {
  const std::vector<double> values{1.0, 0.9, 0.9, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.84};
  const ReduceLROnPlateauOptions options{.factor = 0.5, .patience = 2, .cooldown = 1};
  auto whole_model = line_model(1.0);
  ReduceLROnPlateau whole(options);
  std::vector<double> expected = plateau_run(whole, *whole_model, values);
  ASSERT_NE(expected.back(), 1.0);

  auto model = line_model(1.0);
  ReduceLROnPlateau first(options);
  std::vector<double> lr = plateau_run(first, *model, {values.begin(), values.begin() + 6});
  EXPECT_EQ(first.state_name(), "reduce_lr_on_plateau");
  CallbackState state = first.get_state();
  EXPECT_EQ(state, (CallbackState{{"wait", 1}, {"cooldown_counter", 0}, {"best", 0.8}}));
  ReduceLROnPlateau second(options);
  second.set_state(state);
  std::vector<double> rest = plateau_run(second, *model, {values.begin() + 6, values.end()}, 6);
  lr.insert(lr.end(), rest.begin(), rest.end());
  EXPECT_EQ(lr, expected);
  EXPECT_EQ(second.get_state(), whole.get_state());

  // A fresh callback, from the same rate of 0.5, would take 0.85 as a new best and reduce later.
  auto fresh_model = line_model(0.5);
  ReduceLROnPlateau fresh(options);
  EXPECT_NE(plateau_run(fresh, *fresh_model, {values.begin() + 6, values.end()}, 6), rest);
  EXPECT_THROW(second.set_state({{"wait", 1}}), InvalidArgument);
}

// ---------------------------------------------------------------- LearningRateScheduler

TEST_F(Callbacks, LearningRateSchedulerSetsTheRateOfEveryEpoch) {
  auto model = line_model(0.8);
  LabeledData d = line_data();
  auto seen = std::make_shared<LambdaCallback>();
  std::vector<double> rate_in_batches;
  seen->on_batch_begin_fn = [&](int64_t, const Logs&) {
    rate_in_batches.push_back(model->optimizer().learning_rate());
  };
  auto scheduler =
      std::make_shared<LearningRateScheduler>([](int epoch, double lr) { return epoch == 0 ? lr : lr / 2; });
  History h =
      model->fit(d.x, d.y, {.batch_size = 4, .epochs = 3, .verbose = 0, .callbacks = {scheduler, seen}});
  EXPECT_EQ(rate_in_batches, (std::vector<double>{0.8f, 0.8f, 0.4f, 0.4f, 0.2f, 0.2f}));
  EXPECT_EQ(h.history["learning_rate"], (std::vector<double>{0.8f, 0.4f, 0.2f}));
  EXPECT_EQ(model->optimizer().learning_rate(), 0.2f);

  // The schedule gets the epoch number, continuing from initial_epoch.
  std::vector<int> epochs;
  auto by_epoch = std::make_shared<LearningRateScheduler>([&](int epoch, double) {
    epochs.push_back(epoch);
    return 0.1 / (epoch + 1);
  });
  h = model->fit(d.x, d.y,
                 {.batch_size = 8, .epochs = 5, .verbose = 0, .callbacks = {by_epoch}, .initial_epoch = 2});
  EXPECT_EQ(epochs, (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(h.history["learning_rate"], (std::vector<double>{float(0.1 / 3), float(0.1 / 4), float(0.1 / 5)}));

  auto broken = std::make_shared<LearningRateScheduler>([](int, double) { return NAN; });
  EXPECT_THROW(model->fit(d.x, d.y, {.epochs = 1, .verbose = 0, .callbacks = {broken}}), InvalidArgument);
  auto negative = std::make_shared<LearningRateScheduler>([](int, double) { return -1.0; });
  EXPECT_THROW(model->fit(d.x, d.y, {.epochs = 1, .verbose = 0, .callbacks = {negative}}), InvalidArgument);
  EXPECT_THROW(LearningRateScheduler(nullptr), InvalidArgument);
}

// ---------------------------------------------------------------- TerminateOnNaN

TEST_F(Callbacks, TerminateOnNaNStopsAtTheFirstInvalidLoss) {
  LabeledData d = line_data(16);
  Tensor x = d.x.clone();
  x.data<float>()[0] = NAN;  // the first batch (no shuffling) has a NaN input
  int batches = 0;
  auto count = std::make_shared<LambdaCallback>();
  count->on_batch_end_fn = [&](int64_t, const Logs&) { ++batches; };

  auto model = line_model();
  testing::internal::CaptureStdout();
  History h = model->fit(x, d.y,
                         {.batch_size = 4,
                          .epochs = 5,
                          .verbose = 0,
                          .callbacks = {count, std::make_shared<TerminateOnNaN>()},
                          .shuffle = false});
  const std::string printed = testing::internal::GetCapturedStdout();
  EXPECT_EQ(batches, 1);
  ASSERT_EQ(h.epoch, range(0, 1));  // the epoch in progress still ends
  EXPECT_TRUE(std::isnan(h.history["loss"][0]));
  EXPECT_NE(printed.find("Batch 0: Invalid loss, terminating training"), std::string::npos) << printed;

  // Without the callback every epoch runs.
  auto model2 = line_model();
  History all = model2->fit(x, d.y, {.batch_size = 4, .epochs = 5, .verbose = 0, .shuffle = false});
  EXPECT_EQ(all.epoch.size(), 5u);
}

TEST_F(Callbacks, TerminateOnNaNStopsADivergingRun) {
  LabeledData d = line_data(16);
  auto model = line_model(1e6);
  int64_t last_batch = -1;
  std::vector<double> losses;
  auto watch = std::make_shared<LambdaCallback>();
  watch->on_batch_end_fn = [&](int64_t batch, const Logs& logs) {
    last_batch = batch;
    losses.push_back(logs.at("loss"));
  };
  testing::internal::CaptureStdout();
  History h = model->fit(d.x, d.y,
                         {.batch_size = 4,
                          .epochs = 50,
                          .verbose = 0,
                          .callbacks = {watch, std::make_shared<TerminateOnNaN>()},
                          .seed = 1});
  const std::string printed = testing::internal::GetCapturedStdout();
  ASSERT_LT(h.epoch.size(), 50u);
  ASSERT_FALSE(losses.empty());
  EXPECT_FALSE(std::isfinite(losses.back()));
  for (size_t i = 0; i + 1 < losses.size(); ++i) EXPECT_TRUE(std::isfinite(losses[i])) << i;
  EXPECT_FALSE(std::isfinite(h.history["loss"].back()));
  EXPECT_NE(printed.find("Batch " + std::to_string(last_batch) + ": Invalid loss"), std::string::npos)
      << printed;
}

// ---------------------------------------------------------------- CSVLogger

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text, char separator = ',') {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, separator)) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

TEST_F(Callbacks, CSVLoggerWritesAHeaderAndOneRowPerEpoch) {
  const std::string path = testing::TempDir() + "/cairn_csv_logger_test.csv";
  std::remove(path.c_str());
  LabeledData train = make_moons(40, 0.1, 3), val = make_moons(20, 0.1, 4);
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(2)}, Shape{2});
  model->compile({.optimizer = "sgd",
                  .loss = std::make_shared<SparseCategoricalCrossentropy>(true),
                  .metrics = {"accuracy"}});
  History h = model->fit(train.x, train.y,
                         {.batch_size = 10,
                          .epochs = 3,
                          .verbose = 0,
                          .callbacks = {std::make_shared<CSVLogger>(path)},
                          .validation_data = std::make_pair(val.x, val.y)});
  const std::string text = read_text(path);
  auto rows = parse_csv(text);
  ASSERT_EQ(rows.size(), 4u) << text;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"epoch", "accuracy", "loss", "val_accuracy", "val_loss"}));
  for (size_t e = 0; e < 3; ++e) {
    ASSERT_EQ(rows[e + 1].size(), 5u);
    EXPECT_EQ(rows[e + 1][0], std::to_string(e));
    // Every value reads back to exactly the logged double.
    EXPECT_EQ(std::stod(rows[e + 1][1]), h.history["accuracy"][e]);
    EXPECT_EQ(std::stod(rows[e + 1][2]), h.history["loss"][e]);
    EXPECT_EQ(std::stod(rows[e + 1][3]), h.history["val_accuracy"][e]);
    EXPECT_EQ(std::stod(rows[e + 1][4]), h.history["val_loss"][e]);
  }

  // Without append a new fit starts the file over; with append it adds rows and no second header.
  model->fit(train.x, train.y,
             {.batch_size = 10,
              .epochs = 1,
              .verbose = 0,
              .callbacks = {std::make_shared<CSVLogger>(path)},
              .validation_data = std::make_pair(val.x, val.y)});
  EXPECT_EQ(parse_csv(read_text(path)).size(), 2u);
  model->fit(train.x, train.y,
             {.batch_size = 10,
              .epochs = 4,
              .verbose = 0,
              .callbacks = {std::make_shared<CSVLogger>(path, ',', true)},
              .validation_data = std::make_pair(val.x, val.y),
              .initial_epoch = 1});
  rows = parse_csv(read_text(path));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0][0], "epoch");
  std::vector<std::string> epochs;
  for (size_t i = 1; i < rows.size(); ++i) epochs.push_back(rows[i][0]);
  EXPECT_EQ(epochs, (std::vector<std::string>{"0", "1", "2", "3"}));
  std::remove(path.c_str());
}

TEST_F(Callbacks, CSVLoggerAppendsToANewFileWithAHeaderAndUsesTheSeparator) {
  const std::string path = testing::TempDir() + "/cairn_csv_logger_separator.csv";
  std::remove(path.c_str());
  auto model = line_model();
  LabeledData d = line_data();
  auto scheduler = std::make_shared<LearningRateScheduler>([](int, double lr) { return lr; });
  // The scheduler comes first, so its "learning_rate" is in the logs the logger sees (columns sorted, as Keras).
  model->fit(d.x, d.y,
             {.batch_size = 8,
              .epochs = 2,
              .verbose = 0,
              .callbacks = {scheduler, std::make_shared<CSVLogger>(path, ';', true)}});
  auto rows = parse_csv(read_text(path), ';');
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"epoch", "learning_rate", "loss"}));
  EXPECT_EQ(std::stod(rows[2][1]), static_cast<double>(0.1f));

  // The folder is created when missing; a path through a file is an IOError.
  EXPECT_THROW(model->fit(d.x, d.y,
                          {.epochs = 1, .verbose = 0, .callbacks = {std::make_shared<CSVLogger>(path + "/log.csv")}}),
               IOError);
  std::remove(path.c_str());
}

// ---------------------------------------------------------------- LambdaCallback, History, params

// Records every hook as text.
std::shared_ptr<LambdaCallback> tracer(std::vector<std::string>& trace) {
  auto t = std::make_shared<LambdaCallback>();
  t->on_train_begin_fn = [&](const Logs&) { trace.push_back("train_begin"); };
  t->on_train_end_fn = [&](const Logs&) { trace.push_back("train_end"); };
  t->on_epoch_begin_fn = [&](int e, const Logs&) { trace.push_back("epoch_begin " + std::to_string(e)); };
  t->on_epoch_end_fn = [&](int e, const Logs&) { trace.push_back("epoch_end " + std::to_string(e)); };
  t->on_batch_begin_fn = [&](int64_t b, const Logs&) { trace.push_back("batch_begin " + std::to_string(b)); };
  t->on_batch_end_fn = [&](int64_t b, const Logs&) { trace.push_back("batch_end " + std::to_string(b)); };
  return t;
}

std::vector<std::string> expected_trace(int epochs, int steps) {
  std::vector<std::string> t{"train_begin"};
  for (int e = 0; e < epochs; ++e) {
    t.push_back("epoch_begin " + std::to_string(e));
    for (int b = 0; b < steps; ++b) {
      t.push_back("batch_begin " + std::to_string(b));
      t.push_back("batch_end " + std::to_string(b));
    }
    t.push_back("epoch_end " + std::to_string(e));
  }
  t.push_back("train_end");
  return t;
}

TEST_F(Callbacks, LambdaCallbackHooksComeInKerasOrder) {
  LabeledData d = line_data(10);
  auto model = line_model();
  std::vector<std::string> trace;
  model->fit(d.x, d.y, {.batch_size = 4, .epochs = 2, .verbose = 0, .callbacks = {tracer(trace)}});
  EXPECT_EQ(trace, expected_trace(2, 3));  // 10 samples in batches of 4: 3 steps

  // steps_per_epoch shorter and longer than one pass over the data.
  trace.clear();
  model->fit(
      d.x, d.y,
      {.batch_size = 4, .epochs = 2, .verbose = 0, .callbacks = {tracer(trace)}, .steps_per_epoch = 2});
  EXPECT_EQ(trace, expected_trace(2, 2));
  trace.clear();
  model->fit(
      d.x, d.y,
      {.batch_size = 4, .epochs = 3, .verbose = 0, .callbacks = {tracer(trace)}, .steps_per_epoch = 5});
  EXPECT_EQ(trace, expected_trace(3, 5));
  EXPECT_EQ(model->optimizer().iteration_count(), 6 + 4 + 15);

  // epochs 0: only the train hooks.
  trace.clear();
  model->fit(d.x, d.y, {.epochs = 0, .verbose = 0, .callbacks = {tracer(trace)}});
  EXPECT_EQ(trace, (std::vector<std::string>{"train_begin", "train_end"}));
}

// Keeps what fit hands to a callback.
class Spy : public Callback {
 public:
  void on_train_begin(const Logs&) override { seen_params = params(); }
  void on_train_batch_end(int64_t, const Logs& logs) override { batch_logs.push_back(logs); }
  void on_epoch_end(int, Logs& logs) override { epoch_logs.push_back(logs); }
  void on_train_end(const Logs& logs) override { end_logs = logs; }
  std::map<std::string, double> seen_params;
  std::vector<Logs> batch_logs, epoch_logs;
  Logs end_logs;
};

TEST_F(Callbacks, CallbacksSeeParamsAndLogsAndHistoryRecordsEveryEpoch) {
  LabeledData d = line_data(10);
  auto model = line_model();
  auto spy = std::make_shared<Spy>();
  History h = model->fit(d.x, d.y,
                         {.batch_size = 4,
                          .epochs = 4,
                          .verbose = 0,
                          .callbacks = {spy},
                          .validation_data = std::make_pair(d.x, d.y),
                          .initial_epoch = 1});
  EXPECT_EQ(spy->seen_params, (std::map<std::string, double>{{"epochs", 4}, {"steps", 3}, {"verbose", 0}}));
  ASSERT_EQ(spy->batch_logs.size(), 9u);
  EXPECT_EQ(spy->batch_logs[0].count("loss"), 1u);
  EXPECT_EQ(spy->batch_logs[0].count("val_loss"), 0u);
  // The epoch logs are the last batch's running loss plus the validation results.
  ASSERT_EQ(spy->epoch_logs.size(), 3u);
  EXPECT_EQ(spy->epoch_logs[0].at("loss"), spy->batch_logs[2].at("loss"));
  EXPECT_EQ(spy->end_logs, spy->epoch_logs.back());

  EXPECT_EQ(h.epoch, range(1, 4));
  ASSERT_EQ(h.history.size(), 2u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(h.history["loss"][e], spy->epoch_logs[e].at("loss"));
    EXPECT_EQ(h.history["val_loss"][e], spy->epoch_logs[e].at("val_loss"));
  }
}

}  // namespace
}  // namespace cairn
