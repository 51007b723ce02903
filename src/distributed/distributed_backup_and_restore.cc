// DistributedBackupAndRestore: BackupAndRestore's state, saved by every process with save_sharded.
#include <algorithm>
#include <array>

#include "cairn/checkpoint.h"
#include "cairn/distributed.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "cairn/tensor_bundle.h"
#include "cairn/training_state.h"

namespace cairn {

struct DistributedBackupAndRestore::State {
  VariablePtr position;       // int64 {epoch, step in epoch, batches since the last backup}
  VariablePtr iterator;       // int64 BatchIteratorState of the position
  VariablePtr metric_totals;  // float64 {total, count} per metric, by name, summed over the processes
  std::vector<std::string> metric_names;
  std::unique_ptr<Checkpoint> checkpoint;
  std::vector<std::string> saved;  // this run's backups, oldest first
  int64_t batches_since_backup = 0;
};

DistributedBackupAndRestore::DistributedBackupAndRestore(std::string backup_dir, int64_t save_every_batches,
                                                         Communicator& communicator)
    : backup_dir_(std::move(backup_dir)), save_every_batches_(save_every_batches), communicator_(communicator) {
  if (backup_dir_.empty()) throw InvalidArgument("DistributedBackupAndRestore: empty `backup_dir` argument passed");
  if (save_every_batches_ < 0)
    throw InvalidArgument("DistributedBackupAndRestore: save_every_batches must be >= 0 (0: every epoch), got " +
                          std::to_string(save_every_batches_));
}

DistributedBackupAndRestore::~DistributedBackupAndRestore() = default;

void DistributedBackupAndRestore::on_train_begin(const Logs&) {
  Model& m = *model();
  std::shared_ptr<Layer> self = m.weak_from_this().lock();
  if (!self) throw InvalidArgument("DistributedBackupAndRestore: the model must be owned by a std::shared_ptr");
  state_ = std::make_unique<State>();
  TrainingState training = m.training_state();
  for (const auto& [name, value] : training.metric_totals) state_->metric_names.push_back(name);
  state_->position = std::make_shared<Variable>("position", Tensor({3}, DType::Int64), false);
  state_->iterator = std::make_shared<Variable>("iterator", Tensor({4}, DType::Int64), false);
  state_->metric_totals = std::make_shared<Variable>(
      "metric_totals", Tensor({static_cast<int64_t>(2 * state_->metric_names.size())}, DType::Float64), false);
  state_->checkpoint = std::make_unique<Checkpoint>(std::vector<CheckpointItem>{
      {"model", self},
      {"optimizer", m.optimizer_ptr()},
      {"training_position", state_->position},
      {"data_iterator", state_->iterator},
      {"metric_totals", state_->metric_totals}});

  restored_from_ = latest_checkpoint(backup_dir_);
  if (!restored_from_) return;
  state_->checkpoint->restore(*restored_from_).assert_consumed();
  const int64_t* position = state_->position->value().data<int64_t>();
  training.position.epoch = static_cast<int>(position[0]);
  training.position.step = position[1];
  state_->batches_since_backup = position[2];
  std::array<int64_t, 4> iterator;
  std::copy_n(state_->iterator->value().data<int64_t>(), 4, iterator.begin());
  training.position.data = BatchIteratorState::from_array(iterator);
  // The saved sums are every process's: process 0 carries them on, the others start from zero, so
  // that the sums reduced in the logs stay those of the uninterrupted run.
  const double* values = state_->metric_totals->value().data<double>();
  for (size_t i = 0; i < state_->metric_names.size(); ++i)
    training.metric_totals[state_->metric_names[i]] =
        communicator_.rank() == 0 ? std::make_pair(values[2 * i], values[2 * i + 1]) : std::make_pair(0.0, 0.0);
  m.resume_from(std::move(training));
}

void DistributedBackupAndRestore::backup() {
  TrainingState training = model()->training_state();
  int64_t* position = state_->position->mutable_value().data<int64_t>();
  position[0] = training.position.epoch;
  position[1] = training.position.step;
  position[2] = state_->batches_since_backup;
  const std::array<int64_t, 4> iterator = training.position.data.to_array();
  std::copy(iterator.begin(), iterator.end(), state_->iterator->mutable_value().data<int64_t>());
  auto totals = state_->metric_totals->mutable_value().span<double>();
  for (size_t i = 0; i < state_->metric_names.size(); ++i) {
    totals[2 * i] = training.metric_totals.at(state_->metric_names[i]).first;
    totals[2 * i + 1] = training.metric_totals.at(state_->metric_names[i]).second;
  }
  communicator_.all_reduce_sum(totals);
  state_->saved.push_back(save_sharded(*state_->checkpoint, backup_dir_ + "/backup", communicator_));
  // The last two backups stay: the older one is the latest until the newer one is whole.
  if (state_->saved.size() > 2) {
    if (communicator_.rank() == 0) remove_bundle(state_->checkpoint->env(), state_->saved.front());
    state_->saved.erase(state_->saved.begin());
  }
}

void DistributedBackupAndRestore::on_train_batch_end(int64_t, const Logs&) {
  if (save_every_batches_ > 0 && ++state_->batches_since_backup >= save_every_batches_) {
    state_->batches_since_backup = 0;
    backup();
  }
}

void DistributedBackupAndRestore::on_epoch_end(int, Logs&) {
  if (save_every_batches_ == 0) backup();
}

void DistributedBackupAndRestore::on_train_end(const Logs&) {
  communicator_.barrier();  // every process is done with the backups
  if (state_ && communicator_.rank() == 0) {
    // This run's backups and those of the runs it continued; the state file first, so that no moment
    // names a removed backup as the latest.
    Env& env = state_->checkpoint->env();
    if (env.file_exists(backup_dir_ + "/checkpoint")) env.remove_file(backup_dir_ + "/checkpoint");
    for (const std::string& name : env.list_dir(backup_dir_))
      if (name.starts_with("backup-") && name.ends_with(".index"))
        remove_bundle(env, backup_dir_ + "/" + name.substr(0, name.size() - 6));
  }
  state_.reset();
}

}  // namespace cairn
