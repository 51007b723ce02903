// The training state in a backup, for BackupAndRestore and DistributedBackupAndRestore.
#include "cairn/internal/saving/backup_state.h"

#include <algorithm>
#include <array>

#include "cairn/error.h"
#include "cairn/model.h"

namespace cairn {

std::optional<int64_t> backup_every_batches(const char* callback, const std::string& backup_dir,
                                            const BackupAndRestoreOptions& options) {
  if (backup_dir.empty()) throw InvalidArgument(std::string(callback) + ": empty `backup_dir` argument passed");
  if (const auto* n = std::get_if<int64_t>(&options.save_freq)) {
    if (*n <= 0)
      throw InvalidArgument(std::string(callback) + ": save_freq must be 'epoch' or a positive number of batches");
    return *n;
  }
  if (const auto& s = std::get<std::string>(options.save_freq); s != "epoch")
    throw InvalidArgument(std::string(callback) + ": Unrecognized save_freq: " + s);
  return std::nullopt;
}

BackupState::BackupState(const char* callback, Model& model) : model_(model), owner_(model.weak_from_this().lock()) {
  if (!owner_) throw InvalidArgument(std::string(callback) + ": the model must be owned by a std::shared_ptr");
  size_t state_size = 0;
  for (const auto& [name, state] : model.training_state().metric_states) {
    metric_names_.push_back(name);
    metric_sizes_.push_back(state.size());
    state_size += state.size();
  }
  position_ = std::make_shared<Variable>("position", Tensor({3}, DType::Int64), false);
  iterator_ = std::make_shared<Variable>("iterator", Tensor({4}, DType::Int64), false);
  metric_totals_ = std::make_shared<Variable>(
      "metric_totals", Tensor({static_cast<int64_t>(state_size)}, DType::Float64), false);
}

std::vector<CheckpointItem> BackupState::items() const {
  return {{"model", owner_},
          {"optimizer", model_.optimizer_ptr()},
          {"training_position", position_},
          {"data_iterator", iterator_},
          {"metric_totals", metric_totals_}};
}

void BackupState::store(int64_t batches_since_backup) {
  const TrainingState training = model_.training_state();
  int64_t* position = position_->mutable_value().data<int64_t>();
  position[0] = training.position.epoch;
  position[1] = training.position.step;
  position[2] = batches_since_backup;
  const std::array<int64_t, 4> iterator = training.position.data.to_array();
  std::copy(iterator.begin(), iterator.end(), iterator_->mutable_value().data<int64_t>());
  double* states = metric_totals_->mutable_value().data<double>();
  for (size_t i = 0; i < metric_names_.size(); states += metric_sizes_[i], ++i) {
    const std::vector<double>& state = training.metric_states.at(metric_names_[i]);
    if (state.size() != metric_sizes_[i])
      throw InvalidArgument("backup: the state of metric '" + metric_names_[i] + "' changed size during fit");
    std::copy(state.begin(), state.end(), states);
  }
}

int64_t BackupState::resume_model() {
  TrainingState training = model_.training_state();
  const int64_t* position = position_->value().data<int64_t>();
  training.position.epoch = static_cast<int>(position[0]);
  training.position.step = position[1];
  std::array<int64_t, 4> iterator;
  std::copy_n(iterator_->value().data<int64_t>(), 4, iterator.begin());
  training.position.data = BatchIteratorState::from_array(iterator);
  const double* states = metric_totals_->value().data<double>();
  for (size_t i = 0; i < metric_names_.size(); states += metric_sizes_[i], ++i)
    training.metric_states[metric_names_[i]].assign(states, states + metric_sizes_[i]);
  model_.resume_from(std::move(training));
  return position[2];
}

}  // namespace cairn
