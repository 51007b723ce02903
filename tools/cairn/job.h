// The processes that `cairn train` trains with: this one alone, or, when the CLI is built with MPI
// (CAIRN_WITH_MPI) and mpirun started it, every process of the job, data-parallel
// (MultiWorkerMirroredStrategy; see docs/distributed.md). Process 0 is the one that prints and writes
// the run's files; the backups are sharded, written by every process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cairn/callbacks.h"
#include "cairn/model.h"
#include "cairn/replica_context.h"
#include "cairn/saving_callbacks.h"

namespace cairn::cli {

class TrainingJob {
 public:
  // Joins the MPI job when mpirun started this process (and the CLI has MPI); else a job of one.
  TrainingJob();
  ~TrainingJob();

  // Whether mpirun started this process (a job of one process included).
  bool launched() const { return launched_; }
  int size() const;
  bool chief() const;
  // For FitOptions::replica_context: nullptr alone.
  std::shared_ptr<ReplicaContext> replica_context() const;
  // Derives each process's random streams (Dropout) from the layer's seed and its rank.
  void distribute(Model& model) const;
  // BackupAndRestore alone, DistributedBackupAndRestore (sharded backups) in a job.
  std::shared_ptr<BackupCallback> backup(const std::string& dir, const BackupAndRestoreOptions& options) const;
  // Waits for every process (nothing alone).
  void barrier() const;
  // Runs `train`; in a job of several processes an error on one ends them all (printed by the process
  // that had it, with `command`'s exit status), since the others may be waiting for it.
  int run(const std::function<int()>& train, const char* command) const;

 private:
  struct Mpi;
  bool launched_ = false;
  std::unique_ptr<Mpi> mpi_;
};

}  // namespace cairn::cli
