// The background half of an asynchronous checkpoint save (CheckpointOptions::enable_async).
//
// A save in two parts: stage() copies the values into staging tensors on the caller's thread (the only
// time training waits), then start() writes them on a background thread with the same protocol as a
// synchronous save (BundleWriter: stream and checksum into temporary files, fsync, rename the data then
// the index into place, fsync the directory) and runs the caller's commit step there (recording the
// checkpoint in a state file, deleting old ones). A SIGKILL at any moment therefore leaves the previous
// checkpoint intact and the new one complete or invisible, as for a synchronous save.
//
// The first save would also fault in the staging tensors' fresh pages while training waits (on this
// project's VM slower than the copy itself: docs/performance.md); reserve() allocates them on the
// background thread beforehand, as soon as the caller knows the state's shapes.
//
// At most one save is in flight: stage() and wait() first wait for the previous one. Memory: the
// staging tensors hold one copy of the saved values (the checkpoint's variables, optimizer slots and
// small state) and are kept for the next save, which reuses them when its keys, dtypes and shapes are
// the same (no new pages to fault in); so a checkpoint that saved asynchronously holds at most its
// state once more, plus the object graph's bytes, for as long as it lives.
//
// Errors: a failure of the background part is kept and thrown by the next wait() (which stage() and
// every entry point of Checkpoint and CheckpointManager call), after the save's undo step has run on
// the waiting thread (the save counter goes back). It is never dropped: the destructor, which must not
// throw, waits and prints a failure nobody collected on stderr.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cairn/env.h"
#include "cairn/tensor.h"

namespace cairn {

class AsyncCheckpointWriter {
 public:
  AsyncCheckpointWriter() = default;
  ~AsyncCheckpointWriter();
  AsyncCheckpointWriter(const AsyncCheckpointWriter&) = delete;
  AsyncCheckpointWriter& operator=(const AsyncCheckpointWriter&) = delete;

  // Waits for the save in flight (throwing its failure), then copies the values, in order, into the
  // staging tensors. The object graph is written after them under object_graph_key, as Checkpoint::write
  // does, so that an asynchronous save writes the same bytes as a synchronous one.
  void stage(const std::vector<std::pair<std::string, Tensor>>& values, std::string object_graph_key,
             std::string object_graph);
  // Waits for the save in flight (throwing its failure), then allocates staging tensors of these values'
  // dtypes and shapes on the background thread, faulting their pages in there; the values themselves
  // are not read. A failure to allocate is thrown by the next wait(), as a failed save would be.
  void reserve(const std::vector<std::pair<std::string, Tensor>>& values);
  // Writes the staged values to the checkpoint at prefix on a background thread, then runs commit there.
  // When either fails, undo runs on the thread that next calls wait(), before it throws.
  void start(Env& env, std::string prefix, std::function<void()> commit, const std::function<void()>& undo);
  // Waits for the save in flight, if any; throws its failure.
  void wait();
  bool in_flight() const { return worker_.joinable(); }

 private:
  void write_staged(Env& env, const std::string& prefix);

  std::vector<std::pair<std::string, Tensor>> staged_;
  std::string object_graph_key_;
  std::string object_graph_;
  std::thread worker_;
  std::exception_ptr failure_;  // written by the worker, read after joining it
  std::function<void()> undo_;
};

}  // namespace cairn
