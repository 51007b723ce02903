// DistributedBackupAndRestore: BackupAndRestore's state (backup_state.h), saved by every process with
// save_sharded, and every process's random streams.
#include <algorithm>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

#include "cairn/checkpoint.h"
#include "cairn/distributed.h"
#include "cairn/error.h"
#include "cairn/internal/saving/backup_state.h"
#include "cairn/model.h"
#include "cairn/tensor_bundle.h"
#include "random_layers.h"

namespace cairn {
namespace {

constexpr const char* kStreamsItem = "replica_random_streams";
constexpr int64_t kStreamWords = 3;  // GeneratorState: seed, counter, position

// The names of the callbacks with a state that every process has (EarlyStopping, or a ModelCheckpoint
// that writes files on process 0 alone, which every process runs on the same logs); one that only
// process 0 has is not backed up, since a sharded checkpoint holds the same objects on every process.
std::set<std::string> common_state_names(const std::vector<std::string>& mine, Communicator& communicator) {
  std::string joined;
  for (const std::string& name : mine) joined += name + "\n";
  const std::vector<std::string> all = communicator.gather(joined);
  std::string common;
  if (communicator.rank() == 0) {
    std::map<std::string, int> count;
    for (const std::string& names : all) {
      std::istringstream lines(names);
      for (std::string name; std::getline(lines, name);) ++count[name];
    }
    for (const auto& [name, n] : count)
      if (n == communicator.size()) common += name + "\n";
  }
  std::set<std::string> out;
  std::istringstream lines(communicator.broadcast(common));
  for (std::string name; std::getline(lines, name);) out.insert(name);
  return out;
}

}  // namespace

struct DistributedBackupAndRestore::State {
  std::unique_ptr<BackupState> training;
  std::vector<Layer*> random_layers;
  // int64 [processes, random layers, 3]: every process's stream of every layer that draws (Dropout),
  // the same on every process, so that each continues its own stream exactly.
  VariablePtr streams;
  std::unique_ptr<Checkpoint> checkpoint;
  std::vector<std::string> saved;  // this run's backups, oldest first
};

DistributedBackupAndRestore::DistributedBackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options,
                                                         Communicator& communicator)
    : BackupCallback("DistributedBackupAndRestore", std::move(backup_dir), std::move(options)),
      communicator_(communicator) {
  if (options_.options.enable_async)
    throw InvalidArgument("DistributedBackupAndRestore: options.enable_async is not supported: the processes write "
                          "a backup together, each its shard");
}

DistributedBackupAndRestore::~DistributedBackupAndRestore() = default;

void DistributedBackupAndRestore::on_train_begin(const Logs&) {
  Model& m = *model();
  state_ = std::make_unique<State>();
  batches_since_backup_ = 0;
  state_->training = std::make_unique<BackupState>("DistributedBackupAndRestore", m);
  state_->random_layers = random_layers(m);
  const auto layers = static_cast<int64_t>(state_->random_layers.size());
  state_->streams = std::make_shared<Variable>(
      kStreamsItem, Tensor::zeros({communicator_.size(), layers, kStreamWords}, DType::Int64), false);

  std::vector<CheckpointItem> items = state_->training->items();
  items.emplace_back(kStreamsItem, state_->streams);
  std::vector<std::string> names;
  for (const auto& c : m.active_callbacks())
    if (c.get() != this && !c->state_name().empty()) names.push_back(c->state_name());
  const std::set<std::string> common = common_state_names(names, communicator_);
  for (const std::string& name : names)
    if (!common.contains(name))
      std::cerr << "WARNING: DistributedBackupAndRestore: callback '" << name << "' of process " << communicator_.rank()
                << " is not on every process, so its state is not backed up and starts afresh after a resume; "
                   "give it to every process (a ModelCheckpoint with writes_files on process 0 alone)\n";
  std::vector<CallbackPtr> saved_callbacks;
  for (const auto& c : m.active_callbacks())
    if (c.get() != this && common.contains(c->state_name())) saved_callbacks.push_back(c);
  auto with_callbacks = [&](const std::function<bool(const std::string&)>& keep) {
    std::vector<CheckpointItem> all = items;
    for (const CallbackPtr& c : saved_callbacks)
      if (keep(c->state_name())) all.emplace_back(c->state_name(), c);
    return all;
  };
  state_->checkpoint = std::make_unique<Checkpoint>(with_callbacks([](const std::string&) { return true; }));

  restored_from_.reset();  // set once the backup is read: a failed load changes nothing
  const std::optional<std::string> latest = latest_checkpoint(backup_dir_);
  if (!latest) return;
  // The backup holds the streams of the processes that wrote it, which may be more or fewer than now,
  // and the states of the callbacks that all of them had: with one process, a callback that a job gives
  // process 0 alone is among them, and not in a backup of several.
  const BundleReader reader(state_->checkpoint->env(), *latest);
  const std::string streams_key = std::string(kStreamsItem) + "/.ATTRIBUTES/VARIABLE_VALUE";
  const Shape saved_streams = reader.info(streams_key).shape;
  // Checked before anything changes: the rows are read below with this model's layer count.
  if (saved_streams.size() != 3 || saved_streams[0] < 1 || saved_streams[1] != layers ||
      saved_streams[2] != kStreamWords)
    throw FormatError("DistributedBackupAndRestore: backup " + *latest + ": key '" + streams_key +
                      "' has shape " + shape_str(saved_streams) + " in the backup but the model needs " +
                      shape_str(Shape{saved_streams.empty() ? int64_t{1} : std::max<int64_t>(saved_streams[0], 1),
                                      layers, kStreamWords}) +
                      " (processes, layers that draw, " + std::to_string(kStreamWords) + ")");
  state_->streams->mutable_value() = Tensor::zeros(saved_streams, DType::Int64);
  const std::vector<std::string> keys = reader.keys();
  Checkpoint restoring(with_callbacks([&](const std::string& name) {
    return std::any_of(keys.begin(), keys.end(), [&](const std::string& key) { return key.starts_with(name + "/"); });
  }));
  // (A callback state that only the backup has, of a job of one process, stays unread.)
  restoring.restore(*latest).assert_existing_objects_matched();
  state_->checkpoint->save_counter()->assign(restoring.save_counter()->value());
  // Each process continues its own stream; a process that the backup's job did not have forks process
  // 0's stream by its rank, as MultiWorkerMirroredStrategy::distribute does.
  const int rank = communicator_.rank();
  const bool own = rank < saved_streams[0];
  const int64_t* rows = state_->streams->value().data<int64_t>();
  for (int64_t l = 0; l < layers; ++l) {
    const int64_t* words = rows + ((own ? rank : 0) * layers + l) * kStreamWords;
    Generator restored;
    restored.set_state({static_cast<uint64_t>(words[0]), static_cast<uint64_t>(words[1]), static_cast<uint32_t>(words[2])});
    Generator& generator = state_->random_layers[static_cast<size_t>(l)]->generator();
    generator = own || rank == 0 ? restored : restored.fork(static_cast<uint64_t>(rank));
  }
  state_->streams->mutable_value() =
      Tensor::zeros({communicator_.size(), layers, kStreamWords}, DType::Int64);
  batches_since_backup_ = state_->training->resume_model();
  restored_from_ = latest;
}

void DistributedBackupAndRestore::backup(int64_t batches_since_backup) {
  state_->training->store(batches_since_backup);
  auto rows = state_->streams->mutable_value().span<int64_t>();
  std::fill(rows.begin(), rows.end(), 0);
  const size_t layers = state_->random_layers.size();
  for (size_t l = 0; l < layers; ++l) {
    const GeneratorState s = state_->random_layers[l]->generator().state();
    int64_t* words = rows.data() + (static_cast<size_t>(communicator_.rank()) * layers + l) * kStreamWords;
    words[0] = static_cast<int64_t>(s.seed);
    words[1] = static_cast<int64_t>(s.counter);
    words[2] = static_cast<int64_t>(s.position);
  }
  communicator_.all_reduce_sum(rows);  // every process's row on every process
  state_->saved.push_back(save_sharded(*state_->checkpoint, backup_dir_ + "/backup", communicator_));
  // The last two backups stay: the older one is the latest until the newer one is whole.
  if (state_->saved.size() > 2) {
    if (communicator_.rank() == 0) remove_bundle(state_->checkpoint->env(), state_->saved.front());
    state_->saved.erase(state_->saved.begin());
  }
}

void DistributedBackupAndRestore::on_train_end(const Logs&) {
  communicator_.barrier();  // every process is done with the backups
  if (state_ && options_.delete_checkpoint && communicator_.rank() == 0) {
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
