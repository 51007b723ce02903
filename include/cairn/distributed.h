// Data-parallel training over MPI, as tf.distribute.MultiWorkerMirroredStrategy and PyTorch's DDP: every
// process holds the whole model, trains on its part of every global batch, and the gradients are averaged
// across processes before each optimizer step. Started with `mpirun -np N program` (on one machine or,
// with a hostfile, on several); started alone, a program is a job of one process and trains as without
// the strategy. Built when cairn is configured with CAIRN_WITH_MPI (on where MPI is installed, Debian's
// libopenmpi-dev); not included by cairn/cairn.h. See docs/distributed.md.
//
//   MultiWorkerMirroredStrategy strategy;
//   strategy.distribute(*model);  // each process's dropout stream from its layer's seed and its rank
//   model->fit(x, y, {.batch_size = 64,  // the global batch: 64 / N rows per process and step
//                     .verbose = 1,      // progress from process 0 only
//                     .replica_context = strategy.replica_context()});
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/replica_context.h"
#include "cairn/saving_callbacks.h"

namespace cairn {

class Checkpoint;
class Model;

// The processes of one job, as MPI numbers them (MPI_COMM_WORLD). Every call that is not a plain
// accessor is collective: all processes make it, in the same order.
class Communicator {
 public:
  // This process's job. MPI is initialized on first use (unless the program did so itself) and then
  // finalized when the program exits.
  static Communicator& world();
  // Whether a launcher (mpirun, mpiexec) started this process, by the variables Open MPI, MPICH and
  // PMIx launchers set; without one, world() is a job of this process alone. Does not initialize MPI.
  static bool started_by_launcher();

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Each element replaced by its sum over all processes.
  void all_reduce_sum(std::span<float> values);
  void all_reduce_sum(std::span<double> values);
  void all_reduce_sum(std::span<int64_t> values);
  // Root's bytes into every process's buffer of the same size.
  void broadcast(void* data, size_t bytes, int root = 0);
  // Root's string on every process.
  std::string broadcast(const std::string& value, int root = 0);
  // Every process's string, in rank order, on root (empty elsewhere).
  std::vector<std::string> gather(const std::string& value, int root = 0);
  // Whether every process passed true: a vote that lets all processes take the same branch after one
  // of them failed locally (a collective call that some skip would hang the others).
  bool all_true(bool value);
  void barrier();
  // Ends every process of the job with `status` (MPI_Abort): for an error on one process while the
  // others may be waiting for it in a collective call.
  [[noreturn]] void abort(int status);

  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

 private:
  Communicator();
  int rank_ = 0;
  int size_ = 1;
};

struct MultiWorkerMirroredStrategyOptions {
  // Gradients are fused into buffers of about this size (DDP's and Horovod's default is 25 MB): a few
  // large reductions instead of one per variable. The buckets hold the variables in reverse order.
  int64_t bucket_bytes = 25 << 20;
  // A bucket's reduction starts as soon as the backward pass has finished every gradient in it, while
  // the pass goes on (fit gives the tape's on_final hook to the reduction); false: after the pass. The
  // result is the same to the bit either way.
  bool reduce_during_backward = true;
};

// tf.distribute.MultiWorkerMirroredStrategy over MPI_COMM_WORLD: one replica per process.
class MultiWorkerMirroredStrategy {
 public:
  explicit MultiWorkerMirroredStrategy(MultiWorkerMirroredStrategyOptions options = {});

  int num_replicas_in_sync() const { return communicator_.size(); }
  int replica_id() const { return communicator_.rank(); }
  // Replica 0 prints, writes logs and files that need one writer (TensorFlow's "chief").
  bool is_chief() const { return replica_id() == 0; }
  Communicator& communicator() const { return communicator_; }

  // Derives the random stream of every layer of `model` that draws while training (Dropout) from that
  // layer's seed and this replica's id, so that replicas drop different units; replica 0 keeps the
  // layer's own stream (one replica trains exactly as without the strategy). Once per model.
  void distribute(Model& model) const;

  // For FitOptions::replica_context: fit then checks that the global batch divides among the replicas
  // (InvalidArgument naming both numbers), starts every replica from replica 0's weights, gives each its
  // equal part of every batch, averages the gradients (fused into buckets) and the logged loss and
  // metrics across replicas, and shows progress on replica 0 only.
  std::shared_ptr<ReplicaContext> replica_context() const { return context_; }

 private:
  Communicator& communicator_;
  std::shared_ptr<ReplicaContext> context_;
};

// ---- Sharded checkpoints: TensorFlow's multi-shard layout, one data shard per process
//
// A checkpoint at `path` written by N processes is path.index and path.data-0000k-of-0000N, k = 0..N-1:
// every value is written once, by the process that a balance by bytes gives it to (values are the same
// on every process: the model, the optimizer, the data position). TensorFlow's tf.train.load_checkpoint
// reads it, and Checkpoint::restore restores it in any number of processes (each reads what it needs from
// every shard), one process included.

// Writes `path` from every process in two phases: each process makes its data shard durable under its
// final name, then process 0 writes the index (renamed into place). The checkpoint is visible exactly
// when the index is, so a process killed at any moment leaves none at path. A checkpoint already at path
// is removed first. Collective: every process returns path, or every process throws (the failing one
// its own error, the others an IOError naming it) and nothing is left at path.
std::string write_sharded(const Checkpoint& checkpoint, const std::string& path,
                          Communicator& communicator = Communicator::world());
// Checkpoint::save with write_sharded: writes prefix-N, N the incremented save counter, and then process 0
// records it in the directory's `checkpoint` state file (atomically), so that the previous checkpoint
// stays the latest until the new one is whole. A failed save leaves the save counter as it was.
std::string save_sharded(Checkpoint& checkpoint, const std::string& prefix,
                         Communicator& communicator = Communicator::world());

// BackupAndRestore for data-parallel fit: every process gives fit one, and they back up together with
// save_sharded into backup_dir (backup-N, the last two kept) as options.save_freq says ("epoch" or every
// N batches). A run killed and started again (with any number of processes, the same global batch)
// continues from the latest backup: the weights, the optimizer, the epoch, step and data position, the
// logged metric sums, the state of the callbacks that every process has (EarlyStopping; not one given
// to process 0 alone, such as a ModelCheckpoint), and every process's random streams (Dropout), so that
// at the same number of processes it continues exactly; a process the backup's job did not have forks
// process 0's streams by its rank. With options.delete_checkpoint, on_train_end removes the backups.
// options.options.enable_async is refused (InvalidArgument). The directory must be one that every
// process sees (a shared file system across machines).
class DistributedBackupAndRestore : public BackupCallback {
 public:
  explicit DistributedBackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options = {},
                                       Communicator& communicator = Communicator::world());
  ~DistributedBackupAndRestore() override;
  void on_train_begin(const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  struct State;
  void backup(int64_t batches_since_backup) override;
  Communicator& communicator_;
  std::unique_ptr<State> state_;
};

}  // namespace cairn
