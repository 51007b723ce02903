// CheckpointManager: numbered checkpoints in a directory with TensorFlow's bookkeeping
// (tf.train.CheckpointManager: the `checkpoint` state file, max_to_keep, keep_checkpoint_every_n_hours,
// checkpoint_interval), plus keeping the best checkpoints by a metric, crash safety and falling back to
// an older checkpoint when the newest one is damaged.
//
// Crash safety: a save writes the checkpoint's files (durably, see Checkpoint::write), then replaces
// the state file atomically, and only then deletes old checkpoints. Whenever the process dies, the
// state file names a complete checkpoint. Deleting a checkpoint takes it out of the state file first,
// then removes its index, then its data (remove_bundle). Leftovers of an interrupted save or deletion
// (temporary files, data files without an index, an index without data) are removed by the next save,
// and restoring skips a checkpoint whose index or data is missing.
//
// A manager is a writer of its directory: it holds the directory's lock (lock_directory) for its
// lifetime, and a second manager (or any other writer) of the directory gets an IOError naming the
// directory and the holder's pid. Readers (restore_latest_checkpoint, latest_checkpoint) take no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/checkpoint.h"

namespace cairn {

struct CheckpointManagerOptions {
  // How many of the newest checkpoints are kept; nullopt keeps all. Must be positive.
  std::optional<int> max_to_keep = 5;
  // Of the checkpoints that max_to_keep would delete, keep one every this many hours (forever; they
  // are no longer listed in the state file).
  std::optional<double> keep_checkpoint_every_n_hours;
  // Checkpoints are directory/<checkpoint_name>-<number>.
  std::string checkpoint_name = "ckpt";
  // With checkpoint_interval: save() writes only when the step counter (an integer scalar variable)
  // has advanced by at least checkpoint_interval since the last save.
  VariablePtr step_counter;
  std::optional<int64_t> checkpoint_interval;
  // Called by restore_or_initialize() when there is no checkpoint to restore.
  std::function<void()> init_fn;

  // Beyond TensorFlow. keep_best > 0 keeps the keep_best checkpoints with the best metric passed to
  // save() ("min": lowest is best, "max": highest), besides the max_to_keep newest, and never deletes
  // them while they are among the best. Their metrics live in directory/checkpoint_best, so this
  // survives restarts (the TensorFlow state file stays as TensorFlow writes it).
  std::string monitor_mode = "min";
  int keep_best = 0;
  // Seconds since the epoch for the checkpoints' timestamps; the system clock when empty.
  std::function<double()> clock;
};

// A checkpoint kept for its metric.
struct BestCheckpoint {
  std::string path;  // prefix
  double metric = 0;
  double timestamp = 0;  // seconds since the epoch, when it was saved
};

class CheckpointManager {
 public:
  // Creates the directory if needed and locks it (IOError when another writer holds it). Recovers the
  // bookkeeping from directory/checkpoint (and checkpoint_best) when they exist: the
  // checkpoints it lists that are newer than its last_preserved_timestamp are managed again, with
  // timestamps in the future clamped to now. A damaged state file is reported on stderr and the
  // newest checkpoint file on disk becomes the latest. InvalidArgument for bad options.
  CheckpointManager(Checkpoint& checkpoint, std::string directory, CheckpointManagerOptions options = {});
  // Waits for an asynchronous save of this manager in flight; prints its failure, if any, on stderr.
  ~CheckpointManager();

  // Writes directory/<name>-<number>: number is checkpoint_number, or else the checkpoint's incremented
  // save counter (raised past every checkpoint of this name already in the directory, so that an
  // existing checkpoint is never overwritten implicitly). Then records it in the state file and
  // deletes the checkpoints that fall out of max_to_keep (and out of the best). Returns the path, or
  // nullopt when checkpoint_interval says it is not time yet (check_interval = false only skips a
  // save at the very step of the last one). Throws when the checkpoint could not be written and
  // recorded; then the save counter and the latest checkpoint are as before. Failures after that
  // (deleting old checkpoints) are reported on stderr and retried by the next save. `metric` ranks
  // the checkpoint for keep_best (ignored when keep_best is 0; NaN never ranks).
  // With options.enable_async (see CheckpointOptions) it returns once the values are staged; writing,
  // recording and deleting follow in the background, and every call of this manager (and of its
  // Checkpoint) first waits for them, throwing their failure: then the save counter and the latest
  // checkpoint are as before the failed save.
  std::optional<std::string> save(std::optional<int64_t> checkpoint_number = std::nullopt,
                                  bool check_interval = true, std::optional<double> metric = std::nullopt,
                                  const CheckpointOptions& options = {});
  // Waits for an asynchronous save in flight; throws its failure (Checkpoint::sync).
  void sync() { checkpoint_.sync(); }

  // The newest checkpoint recorded (it may have been deleted by hand since), or nullopt.
  const std::optional<std::string>& latest_checkpoint() const {
    checkpoint_.sync();
    return latest_;
  }
  // The checkpoints subject to max_to_keep, oldest first.
  std::vector<std::string> checkpoints() const;
  // The kept best checkpoints, best first.
  std::vector<BestCheckpoint> best_checkpoints() const;

  // Restores the newest checkpoint that can be restored: when one is damaged or missing
  // (FormatError/IOError from Checkpoint::restore), prints a warning naming it and the error on stderr
  // and tries the next older one (recorded ones, kept best ones, then any <name>-<N> in the directory).
  // Returns the restored path; nullopt when there is no checkpoint at all. Throws FormatError when
  // checkpoints exist but none can be restored (starting over silently would lose the progress), and
  // passes on other errors (ShapeError: the checkpoint does not fit the objects). A failed attempt
  // changes none of the objects.
  std::optional<std::string> restore_latest();
  // restore_latest(), or else init_fn (when given) and nullopt.
  std::optional<std::string> restore_or_initialize();

  // Deletes the state files, every checkpoint of this manager's name in the directory (whether
  // recorded or not, complete or not) and the lock file, and releases the lock: the manager is done
  // with the directory and save() throws afterwards. Crash-safe: the state file goes first, then the
  // checkpoints oldest first (each index before its data), so that a kill at any point leaves the
  // newest one that remains restorable. Other files in the directory stay.
  void delete_all();

  Checkpoint& checkpoint() const { return checkpoint_; }
  const std::string& directory() const { return directory_; }
  std::optional<int64_t> checkpoint_interval() const { return options_.checkpoint_interval; }

 private:
  struct Entry {
    std::string path;
    double timestamp;
  };
  struct Best {
    std::string path;
    double metric;
    double timestamp;
    bool preserved;  // also kept by keep_checkpoint_every_n_hours, so never deleted
  };

  double now() const;
  int64_t current_step() const;
  bool better(double a, double b) const;
  void recover_state();
  void recover_best();
  // The part of save() after the values are staged: write the checkpoint, record it, delete old ones.
  // `recorded` is set once the state file names it (failures after that are only reported).
  void record_save(const std::string& prefix, std::optional<double> metric, std::optional<int64_t> step,
                   bool& recorded);
  // Removes what interrupted saves left and returns the directory's entries afterwards.
  std::vector<std::string> remove_leftovers();
  int64_t highest_number_in_use(const std::vector<std::string>& directory_entries) const;
  void write_state(const std::string& latest, const std::vector<Entry>& tracked,
                   double last_preserved_timestamp) const;
  void write_best(const std::vector<Best>& best) const;
  std::vector<std::string> restore_candidates() const;

  Checkpoint& checkpoint_;
  std::string directory_;
  CheckpointManagerOptions options_;
  std::optional<std::string> latest_;
  std::vector<Entry> tracked_;  // oldest first
  std::vector<Best> best_;      // best first
  double last_preserved_timestamp_ = 0;
  std::optional<int64_t> last_checkpoint_step_;
  std::unique_ptr<FileLock> lock_;  // of directory_; released by delete_all
  bool saved_async_ = false;        // a save of this manager may still be writing into it
};

// restore_latest() without a manager: the checkpoints recorded in directory/checkpoint, newest first,
// then any <checkpoint_name>-<N> in the directory (highest N first), with the same fallback.
std::optional<std::string> restore_latest_checkpoint(Checkpoint& checkpoint, const std::string& directory,
                                                     const std::string& checkpoint_name = "ckpt");

}  // namespace cairn
