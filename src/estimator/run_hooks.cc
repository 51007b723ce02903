#include "run_hooks.h"

#include <charconv>
#include <cstdio>
#include <utility>

#include "cairn/error.h"

namespace cairn {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string printf_text(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace

std::string float_text(double value) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value));
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

// ---- StopAtStepHook

StopAtStepHook::StopAtStepHook(std::optional<int64_t> num_steps, std::optional<int64_t> last_step)
    : num_steps_(num_steps), last_step_(last_step.value_or(0)) {
  if (num_steps.has_value() == last_step.has_value())
    throw InvalidArgument("StopAtStepHook: give exactly one of num_steps and last_step");
  if (num_steps.value_or(1) <= 0 || last_step.value_or(1) <= 0)
    throw InvalidArgument("StopAtStepHook: num_steps and last_step must be positive");
}

void StopAtStepHook::begin(RunContext& context) {
  if (num_steps_) last_step_ = context.state().global_step + *num_steps_;
  if (context.state().global_step >= last_step_) context.request_stop();
}

void StopAtStepHook::after_run(RunContext& context, const RunValues&) {
  if (context.state().global_step >= last_step_) context.request_stop();
}

// ---- LoggingTensorHook

LoggingTensorHook::LoggingTensorHook(std::ostream& out, int64_t every_n_iter) : out_(out), every_n_iter_(every_n_iter) {}

void LoggingTensorHook::begin(RunContext&) {
  iteration_ = 0;
  last_line_ = std::chrono::steady_clock::now();
}

void LoggingTensorHook::after_run(RunContext& context, const RunValues& values) {
  if (iteration_ % every_n_iter_ == 0) {
    out_ << "INFO: loss = " << float_text(values.loss) << ", step = " << context.state().global_step - 1;
    if (iteration_ > 0) out_ << " (" << printf_text("%.3f", seconds_since(last_line_)) << " sec)";
    out_ << std::endl;
    last_line_ = std::chrono::steady_clock::now();
  }
  ++iteration_;
}

// ---- SummarySaverHook

SummarySaverHook::SummarySaverHook(EventFileWriter& writer, int64_t every_n_iter)
    : writer_(writer), every_n_iter_(every_n_iter) {}

void SummarySaverHook::begin(RunContext&) { iteration_ = 0; }

void SummarySaverHook::after_run(RunContext& context, const RunValues& values) {
  if (iteration_ % every_n_iter_ == 0) {
    writer_.add_scalar("loss", values.loss, context.state().global_step - 1);
    writer_.flush();
  }
  ++iteration_;
}

// ---- StepCounterHook

StepCounterHook::StepCounterHook(std::ostream& out, EventFileWriter& writer, int64_t every_n_steps)
    : out_(out), writer_(writer), every_n_steps_(every_n_steps) {}

void StepCounterHook::begin(RunContext& context) {
  last_step_ = context.state().global_step;
  last_time_ = std::chrono::steady_clock::now();
}

void StepCounterHook::after_run(RunContext& context, const RunValues&) {
  const int64_t step = context.state().global_step;
  if (step - last_step_ < every_n_steps_) return;
  const double elapsed = seconds_since(last_time_);
  const double rate = elapsed > 0 ? static_cast<double>(step - last_step_) / elapsed : 0.0;
  out_ << "INFO: global_step/sec: " << printf_text("%g", rate) << std::endl;
  writer_.add_scalar("global_step/sec", rate, step);
  writer_.flush();
  last_step_ = step;
  last_time_ = std::chrono::steady_clock::now();
}

// ---- CheckpointSaverHook

CheckpointSaverHook::CheckpointSaverHook(std::function<void()> save, int64_t every_n_steps, double every_n_secs,
                                         std::optional<int64_t> saved_step)
    : save_(std::move(save)), every_n_steps_(every_n_steps), every_n_secs_(every_n_secs), saved_step_(saved_step) {}

void CheckpointSaverHook::save(int64_t step) {
  save_();
  saved_step_ = step;
  last_time_ = std::chrono::steady_clock::now();
}

void CheckpointSaverHook::begin(RunContext& context) {
  // Rewriting the checkpoint just restored would add nothing but a moment (between the renames of its
  // data and index files) in which a crash could damage it.
  const int64_t step = context.state().global_step;
  if (saved_step_ != step) {
    save(step);
  } else {
    last_time_ = std::chrono::steady_clock::now();
  }
}

void CheckpointSaverHook::after_run(RunContext& context, const RunValues&) {
  const int64_t step = context.state().global_step;
  const bool due = every_n_steps_ ? step >= saved_step_.value_or(0) + every_n_steps_
                                  : every_n_secs_ > 0 && seconds_since(last_time_) >= every_n_secs_;
  if (due) save(step);
}

void CheckpointSaverHook::end(RunContext& context) {
  if (saved_step_ != context.state().global_step) save(context.state().global_step);
}

}  // namespace cairn
