// The callbacks that save: ModelCheckpoint (Keras semantics) and BackupAndRestore (exact resume).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "cairn/callbacks.h"
#include "cairn/checkpoint.h"
#include "cairn/env.h"

namespace cairn {

class CheckpointManager;

// Formats a Keras filepath template: "{epoch:04d}", "{val_loss:.2f}", "{epoch}" with Python's format
// spec ([[fill]align][sign][0][width][.precision][type], types d f e g s). InvalidArgument names a key
// that is not in the logs (with the available keys).
std::string format_filepath(const std::string& pattern, const Logs& logs);

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
  // "epoch", or every N batches.
  std::variant<std::string, int64_t> save_freq = std::string("epoch");
  // The older argument of the seed tutorial: save every `period` epochs.
  int period = 1;
  std::optional<double> initial_value_threshold;
  // Keras's `options`: {.enable_async = true} saves in the background (see CheckpointOptions); only for
  // TensorFlow checkpoints (save_weights_only, a filepath not ending in .h5 or .keras). The end of
  // training waits for the last save and throws its failure.
  CheckpointOptions options;
  // Whether this process writes the files (and prints). In a data-parallel job every process runs a
  // ModelCheckpoint, so that its state (best value, epochs since the last save) is common and in the
  // sharded backups; only the chief's has writes_files. Not a Keras option.
  bool writes_files = true;
};

// keras.callbacks.ModelCheckpoint. With save_weights_only the file is the model's weights (see
// Model::save_weights: the TensorFlow checkpoint format, or HDF5 for .h5 names), and the directory's
// `checkpoint` state file points at the newest one; otherwise it is the whole model, whose filepath must
// end in .keras or .h5 (see save_model in keras_io.h).
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  double best() const { return best_; }

  std::string state_name() const override { return "model_checkpoint"; }
  CallbackState get_state() const override;
  void set_state(const CallbackState& state) override;

 private:
  void save(int epoch, const Logs& logs, std::optional<int64_t> batch);
  void save_weights_async(const std::string& path);
  std::string filepath_;
  ModelCheckpointOptions options_;
  bool upward_;
  double best_;
  int epochs_since_last_save_ = 0;
  int64_t batches_since_last_save_ = 0;
  int current_epoch_ = 0;
  bool restored_state_ = false;
  std::unique_ptr<Checkpoint> async_checkpoint_;  // of the model's weights, for options.enable_async
};

struct BackupAndRestoreOptions {
  // "epoch", or every N batches (the position inside the epoch is saved too).
  std::variant<std::string, int64_t> save_freq = std::string("epoch");
  bool delete_checkpoint = true;  // remove the backup when training ends without being interrupted
  // {.enable_async = true}: backups are written in the background (see CheckpointOptions); training
  // waits only while the state is copied. The end of training waits for the last one.
  CheckpointOptions options;
};

// What the callbacks that back fit up share (BackupAndRestore; DistributedBackupAndRestore in
// cairn/distributed.h): when to back up (options.save_freq), checked when made (InvalidArgument in Keras's
// words), and the backup that the last on_train_begin restored. They run after the other callbacks, so
// that the others' state in a backup is current.
class BackupCallback : public Callback {
 public:
  bool runs_last() const override { return true; }
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  const std::optional<std::string>& restored_from() const { return restored_from_; }

 protected:
  BackupCallback(const char* class_name, std::string backup_dir, BackupAndRestoreOptions options);
  // Writes a backup of where fit is, with the batches since the previous one.
  virtual void backup(int64_t batches_since_backup) = 0;

  std::string backup_dir_;
  BackupAndRestoreOptions options_;
  std::optional<std::string> restored_from_;
  int64_t batches_since_backup_ = 0;  // set by on_train_begin from the restored backup

 private:
  std::optional<int64_t> every_batches_;  // nullopt: every epoch
};

// keras.callbacks.BackupAndRestore, exact: the backup holds the weights, the optimizer's slots and
// iterations, the random generators, the data order and position (epoch and batch), the running
// metrics and the state of the other callbacks. A run restarted after a kill at any instant continues
// from the last backup and ends with weights bit-identical to a run that was never interrupted. The
// last two backups are kept: a damaged newest one falls back to the previous one, with a warning.
// From on_train_begin to on_train_end the backup directory is locked (see CheckpointManager): a second
// run on it fails with an IOError naming the directory and the pid of the run that has it. With
// delete_checkpoint, on_train_end deletes the backups crash-safely (CheckpointManager::delete_all).
class BackupAndRestore : public BackupCallback {
 public:
  explicit BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options = {}, Env& env = Env::Default());
  ~BackupAndRestore() override;
  void on_train_begin(const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  struct State;
  void backup(int64_t batches_since_backup) override;
  Env& env_;
  std::unique_ptr<State> state_;
};

}  // namespace cairn
