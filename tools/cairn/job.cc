// TrainingJob: MultiWorkerMirroredStrategy when the CLI has MPI and mpirun started it.
#include "job.h"

#include "cairn/error.h"
#include "args.h"
#include "command.h"
#ifdef CAIRN_WITH_MPI
#include "cairn/distributed.h"
#endif

namespace cairn::cli {

#ifdef CAIRN_WITH_MPI
struct TrainingJob::Mpi {
  MultiWorkerMirroredStrategy strategy;
};
#else
struct TrainingJob::Mpi {};
#endif

TrainingJob::TrainingJob() {
#ifdef CAIRN_WITH_MPI
  launched_ = Communicator::started_by_launcher();
  if (launched_) mpi_ = std::make_unique<Mpi>();
#endif
}

TrainingJob::~TrainingJob() = default;

#ifdef CAIRN_WITH_MPI
int TrainingJob::size() const { return mpi_ ? mpi_->strategy.num_replicas_in_sync() : 1; }
bool TrainingJob::chief() const { return !mpi_ || mpi_->strategy.is_chief(); }
std::shared_ptr<ReplicaContext> TrainingJob::replica_context() const {
  return mpi_ ? mpi_->strategy.replica_context() : nullptr;
}
void TrainingJob::distribute(Model& model) const {
  if (mpi_) mpi_->strategy.distribute(model);
}
void TrainingJob::barrier() const {
  if (mpi_) mpi_->strategy.communicator().barrier();
}
#else
int TrainingJob::size() const { return 1; }
bool TrainingJob::chief() const { return true; }
std::shared_ptr<ReplicaContext> TrainingJob::replica_context() const { return nullptr; }
void TrainingJob::distribute(Model&) const {}
void TrainingJob::barrier() const {}
#endif

std::shared_ptr<BackupCallback> TrainingJob::backup(const std::string& dir,
                                                   const BackupAndRestoreOptions& options) const {
#ifdef CAIRN_WITH_MPI
  if (mpi_) return std::make_shared<DistributedBackupAndRestore>(dir, options, mpi_->strategy.communicator());
#endif
  return std::make_shared<BackupAndRestore>(dir, options);
}

int TrainingJob::run(const std::function<int()>& train, const char* command) const {
#ifdef CAIRN_WITH_MPI
  if (size() > 1) {
    try {
      return train();
    } catch (const UsageError& e) {
      print_error(command, e.what());
      mpi_->strategy.communicator().abort(2);
    } catch (const std::exception& e) {
      print_error(command, e.what());
      mpi_->strategy.communicator().abort(1);
    }
  }
#endif
  return train();
}

}  // namespace cairn::cli
