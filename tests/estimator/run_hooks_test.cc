// Estimator::train's run hooks: what a hook of the caller's sees, stopping from a hook, and the
// estimator's own hooks (step limit, logging, checkpoint schedule) on their own.
#include "estimator/run_hooks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "cairn/estimator.h"
#include "estimator/test_util.h"

namespace cairn {
namespace {

using testing_estimator::iris_input;
using testing_estimator::iris_options;
using testing_estimator::TempDir;

const TrainTestData& iris() {
  static const TrainTestData data = load_iris_tutorial();
  return data;
}

InputFn train_input() {
  return [] { return iris_input(iris().train, /*training=*/true); };
}

// Records every call with the global step it saw, and asks for the stop once that step is reached.
class RecordingHook : public SessionRunHook {
 public:
  explicit RecordingHook(std::optional<int64_t> stop_at = std::nullopt) : stop_at_(stop_at) {}
  void begin(RunContext& context) override { calls.push_back("begin " + std::to_string(context.state().global_step)); }
  void before_run(RunContext& context) override {
    calls.push_back("before " + std::to_string(context.state().global_step));
  }
  void after_run(RunContext& context, const RunValues& values) override {
    calls.push_back("after " + std::to_string(context.state().global_step));
    losses.push_back(values.loss);
    if (stop_at_ && context.state().global_step >= *stop_at_) context.request_stop();
  }
  void end(RunContext& context) override { calls.push_back("end " + std::to_string(context.state().global_step)); }

  std::vector<std::string> calls;
  std::vector<double> losses;

 private:
  std::optional<int64_t> stop_at_;
};

std::vector<std::string> expected_calls(int64_t first_step, int64_t steps) {
  std::vector<std::string> calls{"begin " + std::to_string(first_step)};
  for (int64_t step = first_step; step < first_step + steps; ++step) {
    calls.push_back("before " + std::to_string(step));
    calls.push_back("after " + std::to_string(step + 1));
  }
  calls.push_back("end " + std::to_string(first_step + steps));
  return calls;
}

TEST(RunHooks, ACallersHookSeesEveryStepOfEveryTrainCall) {
  TempDir dir;
  std::ostringstream log;
  DNNClassifier classifier(iris_options(dir.path(), {.log_output = &log}));
  auto hook = std::make_shared<RecordingHook>();
  classifier.train(train_input(), {.steps = 25}, {hook});
  EXPECT_EQ(hook->calls, expected_calls(0, 25));
  ASSERT_EQ(hook->losses.size(), 25u);
  for (double loss : hook->losses) EXPECT_TRUE(loss > 0 && loss < 10) << loss;
  // The loss the log reports at the first step is the one the hook was given.
  EXPECT_NE(log.str().find("INFO: loss = " + float_text(hook->losses[0]) + ", step = 0\n"), std::string::npos);

  // A second call continues at the restored global step; max_steps counts from 0.
  auto second = std::make_shared<RecordingHook>();
  classifier.train(train_input(), {.max_steps = 32}, {second});
  EXPECT_EQ(second->calls, expected_calls(25, 7));

  // A one-pass input ends training at its end.
  auto one_pass = std::make_shared<RecordingHook>();
  classifier.train([] { return iris_input(iris().train, /*training=*/false, 50); }, {}, {one_pass});
  EXPECT_EQ(one_pass->calls, expected_calls(32, 3));  // 120 rows in batches of 50
}

TEST(RunHooks, AStopRequestedByAHookEndsTrainingAfterThatStepAndTheLastStepIsSaved) {
  TempDir dir;
  std::ostringstream log;
  DNNClassifier classifier(iris_options(dir.path(), {.save_checkpoints_secs = std::nullopt, .log_output = &log}));
  auto hook = std::make_shared<RecordingHook>(/*stop_at=*/7);
  classifier.train(train_input(), {.steps = 1000}, {hook});
  EXPECT_EQ(hook->calls, expected_calls(0, 7));
  EXPECT_EQ(classifier.latest_checkpoint(), dir / "model.ckpt-7");

  // Stopping in begin trains nothing and saves nothing new.
  class StopAtOnce : public SessionRunHook {
    void begin(RunContext& context) override { context.request_stop(); }
  };
  auto recorder = std::make_shared<RecordingHook>();
  classifier.train(train_input(), {.steps = 5}, {std::make_shared<StopAtOnce>(), recorder});
  EXPECT_EQ(recorder->calls, expected_calls(7, 0));
  EXPECT_EQ(classifier.latest_checkpoint(), dir / "model.ckpt-7");
}

// A TrainingState whose global step a test moves by hand, and a context on it.
struct Loop {
  TrainingState state;
  RunContext context{state};
  // One step: before_run, the step, after_run.
  void step(SessionRunHook& hook, double loss = 0.5) {
    hook.before_run(context);
    ++state.global_step;
    hook.after_run(context, {.loss = loss});
  }
};

TEST(RunHooks, StopAtStepHookCountsFromTheStepTrainingBeganAtOrToALastStep) {
  Loop loop;
  loop.state.global_step = 10;
  StopAtStepHook three_more(3, std::nullopt);
  three_more.begin(loop.context);
  loop.step(three_more);
  loop.step(three_more);
  EXPECT_FALSE(loop.context.stop_requested());
  loop.step(three_more);
  EXPECT_TRUE(loop.context.stop_requested());
  EXPECT_EQ(loop.state.global_step, 13);

  Loop at_last;
  at_last.state.global_step = 5;
  StopAtStepHook last_five(std::nullopt, 5);
  last_five.begin(at_last.context);
  EXPECT_TRUE(at_last.context.stop_requested());  // nothing left to train

  EXPECT_THROW(StopAtStepHook(std::nullopt, std::nullopt), InvalidArgument);
  EXPECT_THROW(StopAtStepHook(1, 1), InvalidArgument);
  EXPECT_THROW(StopAtStepHook(0, std::nullopt), InvalidArgument);
}

TEST(RunHooks, CheckpointSaverHookSavesAtBeginEveryNStepsAndAtTheEnd) {
  Loop loop;
  loop.state.global_step = 4;
  std::vector<int64_t> saved;
  CheckpointSaverHook saver([&] { saved.push_back(loop.state.global_step); }, 3, 0.0, std::nullopt);
  saver.begin(loop.context);
  for (int i = 0; i < 7; ++i) loop.step(saver);
  saver.end(loop.context);
  EXPECT_EQ(saved, (std::vector<int64_t>{4, 7, 10, 11}));

  // A checkpoint of the first step already on disk is not written again; nor is an end already saved.
  Loop resumed;
  resumed.state.global_step = 6;
  saved.clear();
  CheckpointSaverHook again([&] { saved.push_back(resumed.state.global_step); }, 2, 0.0, 6);
  again.begin(resumed.context);
  for (int i = 0; i < 4; ++i) resumed.step(again);
  again.end(resumed.context);
  EXPECT_EQ(saved, (std::vector<int64_t>{8, 10}));
}

TEST(RunHooks, LoggingTensorHookLogsEveryNIterationsWithTheStepTheBatchStartedAt) {
  Loop loop;
  loop.state.global_step = 100;
  std::ostringstream out;
  LoggingTensorHook logging(out, 2);
  logging.begin(loop.context);
  for (int i = 0; i < 5; ++i) loop.step(logging, 0.25 * (i + 1));
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), "INFO: loss = 0.25, step = 100\n");
  EXPECT_NE(text.find("INFO: loss = 0.75, step = 102 ("), std::string::npos);
  EXPECT_NE(text.find("INFO: loss = 1.25, step = 104 ("), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

}  // namespace
}  // namespace cairn
