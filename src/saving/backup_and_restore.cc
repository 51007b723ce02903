// BackupAndRestore: everything fit needs to continue exactly, in a CheckpointManager that keeps the
// last two backups.
#include <iostream>

#include "cairn/checkpoint.h"
#include "cairn/checkpoint_manager.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "cairn/saving_callbacks.h"
#include "cairn/training_state.h"

namespace cairn {

// The checkpoint's extra variables, besides the model, the optimizer and the callbacks: the model's
// TrainingState (the optimizer's iterations, its global_step, are saved with the optimizer).
struct BackupAndRestore::State {
  VariablePtr position;       // int64 {epoch, step in epoch, batches since the last backup}
  VariablePtr iterator;       // int64 BatchIteratorState of the position
  VariablePtr metric_totals;  // float64 {total, count} per metric, by name
  std::vector<std::string> metric_names;
  std::unique_ptr<Checkpoint> checkpoint;
  std::unique_ptr<CheckpointManager> manager;
  int64_t batches_since_backup = 0;
};

BackupAndRestore::BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options, Env& env)
    : backup_dir_(std::move(backup_dir)), options_(std::move(options)), env_(env) {
  if (backup_dir_.empty()) throw InvalidArgument("BackupAndRestore: empty `backup_dir` argument passed");
  if (const auto* n = std::get_if<int64_t>(&options_.save_freq); n && *n <= 0)
    throw InvalidArgument("BackupAndRestore: save_freq must be 'epoch' or a positive number of batches");
  if (const auto* s = std::get_if<std::string>(&options_.save_freq); s && *s != "epoch")
    throw InvalidArgument("BackupAndRestore: Unrecognized save_freq: " + *s);
}

BackupAndRestore::~BackupAndRestore() = default;

void BackupAndRestore::on_train_begin(const Logs&) {
  Model& m = *model();
  std::shared_ptr<Layer> self = m.weak_from_this().lock();
  if (!self) throw InvalidArgument("BackupAndRestore: the model must be owned by a std::shared_ptr");
  state_ = std::make_unique<State>();
  TrainingState training = m.training_state();
  for (const auto& [name, value] : training.metric_totals) state_->metric_names.push_back(name);
  state_->position = std::make_shared<Variable>("position", Tensor({3}, DType::Int64), false);
  state_->iterator = std::make_shared<Variable>("iterator", Tensor({4}, DType::Int64), false);
  state_->metric_totals =
      std::make_shared<Variable>("metric_totals", Tensor({static_cast<int64_t>(2 * state_->metric_names.size())}, DType::Float64), false);

  std::vector<CheckpointItem> items{{"model", self},
                                    {"optimizer", m.optimizer_ptr()},
                                    {"training_position", state_->position},
                                    {"data_iterator", state_->iterator},
                                    {"metric_totals", state_->metric_totals}};
  for (const auto& c : m.active_callbacks())
    if (c.get() != this && !c->state_name().empty()) items.emplace_back(c->state_name(), c);
  state_->checkpoint = std::make_unique<Checkpoint>(std::move(items), env_);
  // The manager locks the directory until on_train_end: two runs backing up into one directory would
  // interleave their backups.
  state_->manager = std::make_unique<CheckpointManager>(
      *state_->checkpoint, backup_dir_, CheckpointManagerOptions{.max_to_keep = 2, .checkpoint_name = "backup"});

  restored_from_ = state_->manager->restore_latest();
  if (!restored_from_) return;
  const int64_t* position = state_->position->value().data<int64_t>();
  training.position.epoch = static_cast<int>(position[0]);
  training.position.step = position[1];
  state_->batches_since_backup = position[2];
  std::array<int64_t, 4> iterator;
  std::copy_n(state_->iterator->value().data<int64_t>(), 4, iterator.begin());
  training.position.data = BatchIteratorState::from_array(iterator);
  const double* values = state_->metric_totals->value().data<double>();
  for (size_t i = 0; i < state_->metric_names.size(); ++i)
    training.metric_totals[state_->metric_names[i]] = {values[2 * i], values[2 * i + 1]};
  m.resume_from(std::move(training));
}

void BackupAndRestore::backup() {
  TrainingState training = model()->training_state();
  int64_t* position = state_->position->mutable_value().data<int64_t>();
  position[0] = training.position.epoch;
  position[1] = training.position.step;
  position[2] = state_->batches_since_backup;
  const std::array<int64_t, 4> iterator = training.position.data.to_array();
  std::copy(iterator.begin(), iterator.end(), state_->iterator->mutable_value().data<int64_t>());
  const auto& totals = training.metric_totals;
  double* values = state_->metric_totals->mutable_value().data<double>();
  for (size_t i = 0; i < state_->metric_names.size(); ++i) {
    values[2 * i] = totals.at(state_->metric_names[i]).first;
    values[2 * i + 1] = totals.at(state_->metric_names[i]).second;
  }
  state_->manager->save(std::nullopt, true, std::nullopt, options_.options);
}

void BackupAndRestore::on_train_batch_end(int64_t, const Logs&) {
  const auto* every = std::get_if<int64_t>(&options_.save_freq);
  if (!every) return;
  if (++state_->batches_since_backup >= *every) {
    state_->batches_since_backup = 0;
    backup();
  }
}

void BackupAndRestore::on_epoch_end(int, Logs&) {
  if (std::holds_alternative<std::string>(options_.save_freq)) backup();
}

void BackupAndRestore::on_train_end(const Logs&) {
  if (state_) state_->manager->sync();  // the last backup's failure is training's too
  if (state_ && options_.delete_checkpoint) state_->manager->delete_all();
  state_.reset();  // releases the backup directory's lock
}

}  // namespace cairn
