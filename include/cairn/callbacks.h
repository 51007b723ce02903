// Callbacks, as in Keras: hooks that fit, evaluate and predict call, receiving a logs map.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/tensor.h"

namespace cairn {

class Model;
class Env;

// The named numbers fit, evaluate and the callbacks pass around ("loss", "accuracy", "val_loss").
// A std::map, except that reading a name that is not there throws (as Python's dict does in Keras)
// instead of giving a silent 0: logs["acc"] on a model compiled with "accuracy" names the keys present.
// Assigning through logs["name"] adds the name, as in Keras.
class Logs : public std::map<std::string, double> {
 public:
  using Values = std::map<std::string, double>;
  using Values::Values;
  Logs() = default;
  Logs(Values values) : Values(std::move(values)) {}

  // logs["name"] on a non-const Logs: reads like at(), or assigns (adding the name).
  class Entry {
   public:
    Entry(Logs& logs, std::string key) : logs_(logs), key_(std::move(key)) {}
    operator double() const { return logs_.at(key_); }
    Entry& operator=(double value) {
      logs_.insert_or_assign(key_, value);
      return *this;
    }
    Entry& operator=(const Entry& other) { return *this = static_cast<double>(other); }

   private:
    Logs& logs_;
    std::string key_;
  };
  Entry operator[](std::string key) { return Entry(*this, std::move(key)); }
  double operator[](const std::string& key) const { return at(key); }
  // The value of `key`; InvalidArgument naming the key and the keys present when it is not there.
  double& at(const std::string& key);
  const double& at(const std::string& key) const;
};
// Named numbers a callback needs to continue exactly after a restart (saved in checkpoints).
using CallbackState = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void set_model(Model* model) { model_ = model; }
  Model* model() const { return model_; }
  // fit's parameters: "epochs", "steps", "verbose".
  virtual void set_params(const std::map<std::string, double>& params) { params_ = params; }
  const std::map<std::string, double>& params() const { return params_; }

  virtual void on_train_begin(const Logs& logs) {}
  virtual void on_train_end(const Logs& logs) {}
  virtual void on_epoch_begin(int epoch, const Logs& logs) {}
  // Logs are mutable here, as in Keras, so that callbacks can add entries such as "learning_rate".
  virtual void on_epoch_end(int epoch, Logs& logs) {}
  virtual void on_train_batch_begin(int64_t batch, const Logs& logs) {}
  virtual void on_train_batch_end(int64_t batch, const Logs& logs) {}
  virtual void on_test_begin(const Logs& logs) {}
  virtual void on_test_end(const Logs& logs) {}
  virtual void on_test_batch_begin(int64_t batch, const Logs& logs) {}
  virtual void on_test_batch_end(int64_t batch, const Logs& logs) {}
  virtual void on_predict_begin(const Logs& logs) {}
  virtual void on_predict_end(const Logs& logs) {}

  // Callbacks that snapshot the others' state (BackupAndRestore) get on_train_begin before all the
  // others (to restore their state first) and every other hook after them (to save what they did).
  virtual bool runs_last() const { return false; }
  // A stable name for checkpoints ("early_stopping"); empty for callbacks with no state to keep.
  virtual std::string state_name() const { return ""; }
  virtual CallbackState get_state() const { return {}; }
  virtual void set_state(const CallbackState& state) {}

 protected:
  Model* model_ = nullptr;
  std::map<std::string, double> params_;
};

using CallbackPtr = std::shared_ptr<Callback>;

// Records the logs of every epoch; fit returns it.
class History : public Callback {
 public:
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;
};

enum class Mode { Auto, Min, Max };
Mode mode_from_name(const std::string& name);  // "auto", "min", "max"
// Keras's 'auto': max for metrics whose name says accuracy or auc (or starts with fmeasure), else min.
bool monitor_improves_upward(Mode mode, const std::string& monitor);

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline;
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

// Stops training when the monitored value has stopped improving (keras.callbacks.EarlyStopping).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }
  int wait() const { return wait_; }

  std::string state_name() const override { return "early_stopping"; }
  CallbackState get_state() const override;
  void set_state(const CallbackState& state) override;

 private:
  bool is_improvement(double value, double reference) const;
  EarlyStoppingOptions options_;
  bool upward_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  double best_;
  std::vector<Tensor> best_weights_;
  bool restored_state_ = false;
};

// Streams epoch results to a CSV file (keras.callbacks.CSVLogger). The file's folder is created when
// missing; the file is rewritten atomically (through env) at every epoch end, so it is never torn.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false, Env* env = nullptr);
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  Env& env() const;
  std::string filename_;
  char separator_;
  bool append_;
  Env* env_;
  std::string content_;  // the file as written so far
  std::vector<std::string> keys_;
};

// Callbacks from lambdas (keras.callbacks.LambdaCallback).
class LambdaCallback : public Callback {
 public:
  std::function<void(int, const Logs&)> on_epoch_begin_fn, on_epoch_end_fn;
  std::function<void(int64_t, const Logs&)> on_batch_begin_fn, on_batch_end_fn;
  std::function<void(const Logs&)> on_train_begin_fn, on_train_end_fn;
  void on_epoch_begin(int epoch, const Logs& logs) override { if (on_epoch_begin_fn) on_epoch_begin_fn(epoch, logs); }
  void on_epoch_end(int epoch, Logs& logs) override { if (on_epoch_end_fn) on_epoch_end_fn(epoch, logs); }
  void on_train_batch_begin(int64_t b, const Logs& logs) override { if (on_batch_begin_fn) on_batch_begin_fn(b, logs); }
  void on_train_batch_end(int64_t b, const Logs& logs) override { if (on_batch_end_fn) on_batch_end_fn(b, logs); }
  void on_train_begin(const Logs& logs) override { if (on_train_begin_fn) on_train_begin_fn(logs); }
  void on_train_end(const Logs& logs) override { if (on_train_end_fn) on_train_end_fn(logs); }
};

// Stops training when the loss becomes NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
};

// Sets the learning rate at the start of each epoch from schedule(epoch, current_lr).
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int, double)> schedule, int verbose = 0);
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  std::function<double(int, double)> schedule_;
  int verbose_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};

// Multiplies the learning rate by `factor` when the monitored value stops improving.
class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  std::string state_name() const override { return "reduce_lr_on_plateau"; }
  CallbackState get_state() const override;
  void set_state(const CallbackState& state) override;

 private:
  ReduceLROnPlateauOptions options_;
  bool upward_;
  double best_;
  int wait_ = 0, cooldown_counter_ = 0;
  bool restored_state_ = false;
};

// The Keras progress display. verbose 1: a live bar per epoch with ETA and running metrics when the
// stream is a terminal, one line per epoch otherwise; verbose 2: one line per epoch.
class ProgbarLogger : public Callback {
 public:
  ProgbarLogger(int verbose, std::ostream& out, bool interactive);
  void on_train_begin(const Logs& logs) override;
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  void render(int64_t step, const Logs& logs, bool final);
  int verbose_;
  std::ostream& out_;
  bool interactive_;
  int epochs_ = 0;
  int64_t steps_ = 0, seen_ = 0;
  int64_t ran_ = 0;  // batches of this epoch trained by this fit (fewer than seen_ after a resume)
  double epoch_start_ = 0, last_render_ = 0;
  Logs last_logs_;
};

// "0.4963" style value formatting used by the progress display and ModelCheckpoint messages.
std::string format_log_value(double value);
double monotonic_seconds();
// Keras's line at the end of evaluate: "4/4 - 0s 1ms/step - accuracy: 0.8750 - loss: 0.3343".
std::string evaluate_result_line(int64_t steps, double seconds, const Logs& logs);

}  // namespace cairn
