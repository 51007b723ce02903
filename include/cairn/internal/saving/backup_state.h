// What BackupAndRestore and DistributedBackupAndRestore share: their options' check, and the checkpoint
// variables of a backup besides the model, the optimizer and the callbacks (the model's TrainingState:
// where fit is and its metrics' states; the optimizer's iterations, its global step, are saved with
// the optimizer), written from fit's state and read back into it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/saving_callbacks.h"
#include "cairn/training_state.h"

namespace cairn {

// The number of batches between backups, or nullopt for "epoch". InvalidArgument in Keras's words,
// naming `callback`, for an empty directory or another save_freq.
std::optional<int64_t> backup_every_batches(const char* callback, const std::string& backup_dir,
                                            const BackupAndRestoreOptions& options);

class BackupState {
 public:
  // For `model` in on_train_begin: InvalidArgument naming `callback` unless a std::shared_ptr owns it.
  BackupState(const char* callback, Model& model);

  // The model, its optimizer and the variables of the training state, under the checkpoint's names.
  std::vector<CheckpointItem> items() const;
  // Fills the variables with where fit is now (its TrainingState and the batches since the last backup).
  void store(int64_t batches_since_backup);
  // After the checkpoint's restore: hands fit the restored state (Model::resume_from) and returns the
  // batches since the last backup that it held.
  int64_t resume_model();

 private:
  Model& model_;
  std::shared_ptr<Layer> owner_;
  VariablePtr position_;       // int64 {epoch, step in epoch, batches since the last backup}
  VariablePtr iterator_;       // int64 BatchIteratorState of the position
  // float64: every metric's state (Metric::state(); {total, count} for the means), by log key. The
  // checkpoint key and layout are those of earlier backups, which held the means' totals only.
  VariablePtr metric_totals_;
  std::vector<std::string> metric_names_;
  std::vector<size_t> metric_sizes_;
};

}  // namespace cairn
