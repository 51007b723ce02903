// BackupAndRestore: everything fit needs to continue exactly, in a CheckpointManager that keeps the
// last two backups.
#include "cairn/checkpoint.h"
#include "cairn/checkpoint_manager.h"
#include "cairn/error.h"
#include "cairn/internal/saving/backup_state.h"
#include "cairn/model.h"
#include "cairn/saving_callbacks.h"

namespace cairn {

BackupCallback::BackupCallback(const char* class_name, std::string backup_dir, BackupAndRestoreOptions options)
    : backup_dir_(std::move(backup_dir)),
      options_(std::move(options)),
      every_batches_(backup_every_batches(class_name, backup_dir_, options_)) {}

void BackupCallback::on_train_batch_end(int64_t, const Logs&) {
  if (every_batches_ && ++batches_since_backup_ >= *every_batches_) {
    batches_since_backup_ = 0;
    backup(0);
  }
}

void BackupCallback::on_epoch_end(int, Logs&) {
  if (!every_batches_) backup(batches_since_backup_);
}

struct BackupAndRestore::State {
  std::unique_ptr<BackupState> training;
  std::unique_ptr<Checkpoint> checkpoint;
  std::unique_ptr<CheckpointManager> manager;
  bool staging_reserved = false;
};

BackupAndRestore::BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options, Env& env)
    : BackupCallback("BackupAndRestore", std::move(backup_dir), std::move(options)), env_(env) {}

BackupAndRestore::~BackupAndRestore() = default;

void BackupAndRestore::on_train_begin(const Logs&) {
  Model& m = *model();
  state_ = std::make_unique<State>();
  state_->training = std::make_unique<BackupState>("BackupAndRestore", m);
  std::vector<CheckpointItem> items = state_->training->items();
  for (const auto& c : m.active_callbacks())
    if (c.get() != this && !c->state_name().empty()) items.emplace_back(c->state_name(), c);
  state_->checkpoint = std::make_unique<Checkpoint>(std::move(items), env_);
  // The manager locks the directory until on_train_end: two runs backing up into one directory would
  // interleave their backups.
  state_->manager = std::make_unique<CheckpointManager>(
      *state_->checkpoint, backup_dir_, CheckpointManagerOptions{.max_to_keep = 2, .checkpoint_name = "backup"});

  batches_since_backup_ = 0;
  restored_from_ = state_->manager->restore_latest();
  if (restored_from_) batches_since_backup_ = state_->training->resume_model();
}

void BackupAndRestore::on_train_batch_end(int64_t batch, const Logs& logs) {
  // After the first step the state is whole (the optimizer's slots exist): asynchronous backups get their
  // staging buffers allocated in the background from here, so that the first backup does not stall
  // training while it faults in a copy of the whole state.
  if (options_.options.enable_async && !state_->staging_reserved) {
    state_->checkpoint->reserve_async_staging();
    state_->staging_reserved = true;
  }
  BackupCallback::on_train_batch_end(batch, logs);
}

void BackupAndRestore::backup(int64_t batches_since_backup) {
  state_->training->store(batches_since_backup);
  state_->manager->save(std::nullopt, true, std::nullopt, options_.options);
}

void BackupAndRestore::on_train_end(const Logs&) {
  if (state_) state_->manager->sync();  // the last backup's failure is training's too
  if (state_ && options_.delete_checkpoint) state_->manager->delete_all();
  state_.reset();  // releases the backup directory's lock
}

}  // namespace cairn
