#include "cairn/callbacks.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>

#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/model.h"

namespace cairn {

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_log_value(double value) {
  char buffer[64];
  // Keras prints "%.4f" unless the magnitude needs scientific notation.
  if (value != 0 && (std::fabs(value) < 1e-3 || std::fabs(value) >= 1e6))
    std::snprintf(buffer, sizeof buffer, "%.4e", value);
  else
    std::snprintf(buffer, sizeof buffer, "%.4f", value);
  return buffer;
}

// ---------------------------------------------------------------- Logs

namespace {
[[noreturn]] void throw_missing_log(const Logs& logs, const std::string& key) {
  std::string present;
  for (const auto& [name, value] : logs) present += (present.empty() ? "" : ", ") + name;
  throw InvalidArgument("logs have no \"" + excerpt(key) + "\"; they hold: " + (present.empty() ? "nothing" : present) +
                        " (metrics are named as given to compile())");
}
}  // namespace

double& Logs::at(const std::string& key) {
  auto it = find(key);
  if (it == end()) throw_missing_log(*this, key);
  return it->second;
}

const double& Logs::at(const std::string& key) const {
  auto it = find(key);
  if (it == end()) throw_missing_log(*this, key);
  return it->second;
}

// ---------------------------------------------------------------- History

void History::on_train_begin(const Logs&) {}

void History::on_epoch_end(int e, Logs& logs) {
  epoch.push_back(e);
  for (const auto& [k, v] : logs) history[k].push_back(v);
}

// ---------------------------------------------------------------- monitors

Mode mode_from_name(const std::string& name) {
  if (name == "auto") return Mode::Auto;
  if (name == "min") return Mode::Min;
  if (name == "max") return Mode::Max;
  throw InvalidArgument("mode must be 'auto', 'min' or 'max', got '" + name + "'");
}

bool monitor_improves_upward(Mode mode, const std::string& monitor) {
  if (mode == Mode::Max) return true;
  if (mode == Mode::Min) return false;
  return monitor.find("acc") != std::string::npos || monitor.find("auc") != std::string::npos ||
         monitor.rfind("fmeasure", 0) == 0;
}

namespace {
// Reads `key` of a saved callback state; a state without it is refused before anything changes.
double state_value(const CallbackState& state, const std::string& key, const char* who) {
  auto it = state.find(key);
  if (it == state.end()) throw InvalidArgument(std::string(who) + ": the saved state has no '" + key + "'");
  return it->second;
}

std::optional<double> monitored(const Logs& logs, const std::string& monitor, const char* who) {
  auto it = logs.find(monitor);
  if (it != logs.end()) return it->second;
  std::string available;
  for (const auto& [k, v] : logs) available += (available.empty() ? "" : ",") + k;
  std::cerr << who << " conditioned on metric `" << monitor << "` which is not available. Available metrics are: "
            << available << "\n";
  return std::nullopt;
}
}  // namespace

// ---------------------------------------------------------------- EarlyStopping

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(std::move(options)), upward_(monitor_improves_upward(mode_from_name(options_.mode), options_.monitor)) {
  if (options_.patience < 0) throw InvalidArgument("EarlyStopping: patience must be >= 0");
  // Keras stores min_delta with the sign of the improvement direction.
  options_.min_delta = std::fabs(options_.min_delta);
  best_ = upward_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

bool EarlyStopping::is_improvement(double value, double reference) const {
  return upward_ ? value - options_.min_delta > reference : value + options_.min_delta < reference;
}

void EarlyStopping::on_train_begin(const Logs&) {
  if (restored_state_) {  // continuing a run: keep wait and best
    restored_state_ = false;
    return;
  }
  wait_ = 0;
  stopped_epoch_ = 0;
  best_epoch_ = 0;
  best_ = upward_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  std::optional<double> current = monitored(logs, options_.monitor, "Early stopping");
  if (!current || epoch < options_.start_from_epoch) return;
  if (options_.restore_best_weights && best_weights_.empty()) {
    for (const auto& w : model()->weights()) best_weights_.push_back(w->value().clone());
  }
  ++wait_;
  if (is_improvement(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) {
      best_weights_.clear();
      for (const auto& w : model()->weights()) best_weights_.push_back(w->value().clone());
    }
    // Only restart the wait if we beat both the baseline and our previous best.
    if (!options_.baseline || is_improvement(*current, *options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model()->stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) {
      if (options_.verbose) std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
      auto weights = model()->weights();
      for (size_t i = 0; i < weights.size() && i < best_weights_.size(); ++i) weights[i]->assign(best_weights_[i]);
    }
  }
}

void EarlyStopping::on_train_end(const Logs&) {
  if (stopped_epoch_ > 0 && options_.verbose) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
}

CallbackState EarlyStopping::get_state() const {
  return {{"wait", wait_}, {"stopped_epoch", stopped_epoch_}, {"best_epoch", best_epoch_}, {"best", best_}};
}

void EarlyStopping::set_state(const CallbackState& state) {
  const char* who = "EarlyStopping";
  const double wait = state_value(state, "wait", who), stopped_epoch = state_value(state, "stopped_epoch", who),
               best_epoch = state_value(state, "best_epoch", who), best = state_value(state, "best", who);
  wait_ = static_cast<int>(wait);
  stopped_epoch_ = static_cast<int>(stopped_epoch);
  best_epoch_ = static_cast<int>(best_epoch);
  best_ = best;
  restored_state_ = true;
}

// ---------------------------------------------------------------- CSVLogger

CSVLogger::CSVLogger(std::string filename, char separator, bool append, Env* env)
    : filename_(std::move(filename)), separator_(separator), append_(append), env_(env) {}

Env& CSVLogger::env() const { return env_ ? *env_ : Env::Default(); }

void CSVLogger::on_train_begin(const Logs&) {
  keys_.clear();
  content_.clear();
  env().create_dirs(parent_dir(filename_));
  if (append_ && env().file_exists(filename_)) content_ = env().read_file(filename_);
  write_file_atomically(env(), filename_, content_);
}

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  std::ostringstream out;
  if (keys_.empty())
    for (const auto& [k, v] : logs) keys_.push_back(k);
  if (content_.empty()) {
    out << "epoch";
    for (const auto& k : keys_) out << separator_ << k;
    out << "\n";
  }
  out << epoch;
  out.precision(17);
  for (const auto& k : keys_) {
    auto it = logs.find(k);
    out << separator_;
    if (it != logs.end()) out << it->second;
    else out << "NA";
  }
  out << "\n";
  content_ += out.str();
  write_file_atomically(env(), filename_, content_);
}

// ---------------------------------------------------------------- TerminateOnNaN

void TerminateOnNaN::on_train_batch_end(int64_t batch, const Logs& logs) {
  auto it = logs.find("loss");
  if (it != logs.end() && !std::isfinite(it->second)) {
    std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
    model()->stop_training = true;
  }
}

// ---------------------------------------------------------------- learning rate

LearningRateScheduler::LearningRateScheduler(std::function<double(int, double)> schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw InvalidArgument("LearningRateScheduler: schedule is empty");
}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
  Optimizer& opt = model()->optimizer();
  double lr = schedule_(epoch, opt.learning_rate());
  if (!std::isfinite(lr)) throw InvalidArgument("LearningRateScheduler: the schedule returned a non-finite learning rate");
  opt.set_learning_rate(lr);
  if (verbose_) std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << lr << ".\n";
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) {
  logs["learning_rate"] = model()->optimizer().learning_rate();
}

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : options_(std::move(options)), upward_(monitor_improves_upward(mode_from_name(options_.mode), options_.monitor)) {
  if (options_.factor >= 1.0) throw InvalidArgument("ReduceLROnPlateau does not support a factor >= 1.0");
  best_ = upward_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
  if (restored_state_) {
    restored_state_ = false;
    return;
  }
  wait_ = cooldown_counter_ = 0;
  best_ = upward_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

void ReduceLROnPlateau::on_epoch_end(int epoch, Logs& logs) {
  Optimizer& opt = model()->optimizer();
  logs["learning_rate"] = opt.learning_rate();
  std::optional<double> current = monitored(logs, options_.monitor, "Learning rate reduction");
  if (!current) return;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  const bool better = upward_ ? *current > best_ + options_.min_delta : *current < best_ - options_.min_delta;
  if (better) {
    best_ = *current;
    wait_ = 0;
  } else if (cooldown_counter_ <= 0) {
    if (++wait_ >= options_.patience) {
      double old_lr = opt.learning_rate();
      // The rate is a float32 variable: compare at that precision (as Keras does with np.float32(min_lr)),
      // or a min_lr that float32 rounds up would be "reduced to" again at every plateau.
      if (old_lr > static_cast<double>(static_cast<float>(options_.min_lr))) {
        double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
        opt.set_learning_rate(new_lr);
        if (options_.verbose)
          std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to " << new_lr << ".\n";
        cooldown_counter_ = options_.cooldown;
        wait_ = 0;
      }
    }
  }
}

CallbackState ReduceLROnPlateau::get_state() const {
  return {{"wait", wait_}, {"cooldown_counter", cooldown_counter_}, {"best", best_}};
}

void ReduceLROnPlateau::set_state(const CallbackState& state) {
  const char* who = "ReduceLROnPlateau";
  const double wait = state_value(state, "wait", who), cooldown_counter = state_value(state, "cooldown_counter", who),
               best = state_value(state, "best", who);
  wait_ = static_cast<int>(wait);
  cooldown_counter_ = static_cast<int>(cooldown_counter);
  best_ = best;
  restored_state_ = true;
}

}  // namespace cairn
