// The estimator's own run hooks, TensorFlow's: the step limit (StopAtStepHook), the loss on the log
// (LoggingTensorHook), the loss in TensorBoard (SummarySaverHook), the step rate (StepCounterHook) and
// the checkpoints (CheckpointSaverHook). Estimator::train runs them after the caller's hooks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "cairn/estimator.h"
#include "cairn/summary.h"

namespace cairn {

// A float as Python prints a float32 (the shortest text that reads back to the same value), as
// TensorFlow's log lines show losses and metrics.
std::string float_text(double value);

// Requests the stop once the global step reaches last_step, or num_steps after the step training began at.
class StopAtStepHook : public SessionRunHook {
 public:
  // Exactly one of the two, positive (InvalidArgument otherwise).
  StopAtStepHook(std::optional<int64_t> num_steps, std::optional<int64_t> last_step);
  void begin(RunContext& context) override;
  void after_run(RunContext& context, const RunValues& values) override;

 private:
  std::optional<int64_t> num_steps_;
  int64_t last_step_ = 0;
};

// "INFO: loss = 0.29421493, step = 100 (0.012 sec)" on `out` every every_n_iter steps of this train
// call, starting with its first; the step is the global step the batch started at, the seconds those
// since the previous line.
class LoggingTensorHook : public SessionRunHook {
 public:
  LoggingTensorHook(std::ostream& out, int64_t every_n_iter);
  void begin(RunContext& context) override;
  void after_run(RunContext& context, const RunValues& values) override;

 private:
  std::ostream& out_;
  int64_t every_n_iter_;
  int64_t iteration_ = 0;
  std::chrono::steady_clock::time_point last_line_;
};

// The loss as a TensorBoard scalar "loss" at the same steps as LoggingTensorHook's lines.
class SummarySaverHook : public SessionRunHook {
 public:
  SummarySaverHook(EventFileWriter& writer, int64_t every_n_iter);
  void begin(RunContext& context) override;
  void after_run(RunContext& context, const RunValues& values) override;

 private:
  EventFileWriter& writer_;
  int64_t every_n_iter_;
  int64_t iteration_ = 0;
};

// "INFO: global_step/sec: 1234.5" and the scalar "global_step/sec" every every_n_steps global steps.
class StepCounterHook : public SessionRunHook {
 public:
  StepCounterHook(std::ostream& out, EventFileWriter& writer, int64_t every_n_steps);
  void begin(RunContext& context) override;
  void after_run(RunContext& context, const RunValues& values) override;

 private:
  std::ostream& out_;
  EventFileWriter& writer_;
  int64_t every_n_steps_;
  int64_t last_step_ = 0;
  std::chrono::steady_clock::time_point last_time_;
};

// Calls `save` when training begins (unless the checkpoint of that very step exists: saved_step), every
// every_n_steps steps or, when that is 0, every every_n_secs seconds (neither when both are 0), and at
// the end when the last step is not saved yet.
class CheckpointSaverHook : public SessionRunHook {
 public:
  CheckpointSaverHook(std::function<void()> save, int64_t every_n_steps, double every_n_secs,
                      std::optional<int64_t> saved_step);
  void begin(RunContext& context) override;
  void after_run(RunContext& context, const RunValues& values) override;
  void end(RunContext& context) override;

 private:
  void save(int64_t step);
  std::function<void()> save_;
  int64_t every_n_steps_;
  double every_n_secs_;
  std::optional<int64_t> saved_step_;
  std::chrono::steady_clock::time_point last_time_;
};

}  // namespace cairn
