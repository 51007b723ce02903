// FaultInjectionEnv: an Env for tests that fails chosen operations and simulates crashes.
//
// It forwards to a real Env and records, per file it created, how much was written and how much of
// that was fsynced, and per directory the creations, renames and removals not yet made durable by
// sync_dir. drop_unsynced_data() then puts the disk into the worst state a power cut could leave:
// files lose everything after their last sync and undurable directory changes are undone. (Directory
// creation is treated as durable at once; that is the only simplification.)
#pragma once

#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cairn/env.h"

namespace cairn {

// The operations of an Env that change the disk; reads are never counted or failed.
enum class FileOp { Create, Append, Sync, Close, Rename, Remove, SyncDir, CreateDirs };

class FaultInjectionEnv : public EnvWrapper {
 public:
  explicit FaultInjectionEnv(Env& base);
  ~FaultInjectionEnv() override;

  // Makes the nth operation from now (1-based) of kind `op` (any kind when nullopt) throw IOError with
  // strerror(error), e.g. EIO or ENOSPC. With short_write, a failing Append first writes half its data,
  // as a write(2) that runs out of space does. One fault is armed at a time; it disarms when it fires.
  void fail_nth(int n, std::optional<FileOp> op = std::nullopt, int error = EIO, bool short_write = false);
  void clear_fault();
  bool fault_fired() const;
  // Operations performed through this Env so far (all kinds that FileOp lists).
  int operation_count() const;

  // Simulates a crash and reboot: closes files still open (later use throws IOError), truncates every
  // file created through this Env to its size at its last sync, and undoes, newest first, the
  // creations, renames and removals whose directory was not synced since. Afterwards everything on disk
  // counts as durable.
  void drop_unsynced_data();

  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override;
  void rename_file(const std::string& from, const std::string& to) override;
  void remove_file(const std::string& path) override;
  // Counted and failed as a Remove; a crash does not bring the (empty) directory back.
  void remove_dir(const std::string& dir) override;
  void create_dirs(const std::string& dir) override;
  void sync_dir(const std::string& dir) override;
  // Reads, listings and locks go to the base Env unchanged (a lock is not data, and a crash releases it).

 private:
  friend class FaultWritableFile;
  struct FileState;
  struct PendingChange;

  // Counts an operation and throws (or returns the errno for a short write) when the fault fires.
  std::optional<int> next_fault(FileOp op, const std::string& path);
  // What a crash would leave of the file now at path (nullopt if it does not exist).
  std::optional<std::string> durable_content(const std::string& path);
  void restore(const std::string& path, const std::string& content);

  mutable std::mutex mutex_;
  int operation_count_ = 0;
  int fault_countdown_ = 0;
  std::optional<FileOp> fault_op_;
  int fault_error_ = EIO;
  bool fault_short_write_ = false;
  bool fault_fired_ = false;
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by current path
  std::vector<PendingChange> pending_;                        // oldest first
};

}  // namespace cairn
