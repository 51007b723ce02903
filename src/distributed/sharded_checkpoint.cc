// Sharded checkpoints: one data shard per process, the index by process 0, committed in two phases.
#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <numeric>

#include "cairn/checkpoint.h"
#include "cairn/distributed.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/tensor_bundle.h"

namespace cairn {
namespace {

using IndexEntries = std::vector<std::pair<std::string, std::string>>;

// Which process writes each value: the largest first, each to the process with the fewest bytes so far
// (the lowest rank on ties). `first_shard_bytes` is what shard 0 holds besides (the object graph).
std::vector<int> balance_by_bytes(const std::vector<uint64_t>& sizes, uint64_t first_shard_bytes, int shards) {
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  std::vector<uint64_t> load(static_cast<size_t>(shards), 0);
  load[0] = first_shard_bytes;
  std::vector<int> shard_of(sizes.size());
  for (size_t i : order) {
    const auto lightest = std::min_element(load.begin(), load.end());
    shard_of[i] = static_cast<int>(lightest - load.begin());
    *lightest += sizes[i];
  }
  return shard_of;
}

void put_bytes(std::string& out, const std::string& bytes) {
  const uint64_t size = bytes.size();
  out.append(reinterpret_cast<const char*>(&size), sizeof size);
  out += bytes;
}

std::string encode(const IndexEntries& entries) {
  std::string out;
  for (const auto& [key, entry] : entries) {
    put_bytes(out, key);
    put_bytes(out, entry);
  }
  return out;
}

// The inverse of encode, for bytes this module made on another process of the same job.
void decode_into(const std::string& bytes, IndexEntries& entries) {
  size_t at = 0;
  auto take = [&] {
    uint64_t size = 0;
    std::memcpy(&size, bytes.data() + at, sizeof size);
    at += sizeof size;
    std::string out = bytes.substr(at, size);
    at += size;
    return out;
  };
  while (at < bytes.size()) {
    std::string key = take();
    entries.emplace_back(std::move(key), take());
  }
}

// Runs `step` on every process and agrees on how it went: if it failed anywhere, `undo` runs on every
// process and then each throws, the failing processes their own error and the others an IOError naming
// every failure.
void agree(Communicator& communicator, const std::string& what, const std::function<void()>& step,
           const std::function<void()>& undo) {
  std::exception_ptr failure;
  std::string error;
  try {
    step();
  } catch (const std::exception& e) {
    failure = std::current_exception();
    error = e.what();
  } catch (...) {
    failure = std::current_exception();
    error = "unknown error";
  }
  if (communicator.all_true(!failure)) return;
  const std::vector<std::string> errors = communicator.gather(error);
  std::string summary;
  for (size_t rank = 0; rank < errors.size(); ++rank)
    if (!errors[rank].empty()) summary += (summary.empty() ? "" : "; ") + ("process " + std::to_string(rank) + ": " + errors[rank]);
  summary = communicator.broadcast(summary);
  try {
    undo();
  } catch (const std::exception&) {  // best effort; the failure matters
  }
  communicator.barrier();  // every process has undone its part before any of them reports the failure
  if (failure) std::rethrow_exception(failure);
  throw IOError(what + " failed on another process: " + summary);
}

}  // namespace

std::string write_sharded(const Checkpoint& checkpoint, const std::string& path, Communicator& communicator) {
  Env& env = checkpoint.env();
  const int rank = communicator.rank(), shards = communicator.size();
  const std::vector<std::pair<std::string, Tensor>> values = checkpoint.values();
  const std::string graph = checkpoint.object_graph();
  std::vector<uint64_t> sizes;
  for (const auto& [key, value] : values) sizes.push_back(value.nbytes());
  const std::vector<int> shard_of = balance_by_bytes(sizes, graph.size(), shards);
  const std::string what = "sharded checkpoint " + path;
  const auto remove_own_shard = [&] {
    const std::string data = bundle_data_path(path, rank, shards);
    if (env.file_exists(data)) env.remove_file(data);
  };

  // An older checkpoint at path goes first, so that no moment shows its index beside new data.
  agree(communicator, what, [&] { if (rank == 0 && bundle_exists(env, path)) remove_bundle(env, path); }, [] {});
  // Phase 1: every data shard durable under its final name (invisible without an index).
  IndexEntries entries;
  agree(communicator, what, [&] {
    BundleWriter writer(env, path, rank, shards);
    for (size_t i = 0; i < values.size(); ++i)
      if (shard_of[i] == rank) writer.add(values[i].first, values[i].second);
    if (rank == 0) writer.add_string(kCheckpointObjectGraphKey, graph);
    entries = writer.finish_shard();
  }, remove_own_shard);
  // Phase 2: process 0 lists every shard's entries in the index, which makes the checkpoint appear.
  const std::vector<std::string> gathered = communicator.gather(encode(entries));
  agree(communicator, what, [&] {
    if (rank != 0) return;
    IndexEntries all;
    for (const std::string& bytes : gathered) decode_into(bytes, all);
    write_bundle_index(env, path, shards, std::move(all));
  }, remove_own_shard);
  return path;
}

std::string save_sharded(Checkpoint& checkpoint, const std::string& prefix, Communicator& communicator) {
  int64_t& counter = checkpoint.save_counter()->mutable_value().data<int64_t>()[0];
  const int64_t number = counter + 1;
  counter = number;
  const std::string path = prefix + "-" + std::to_string(number);
  try {
    write_sharded(checkpoint, path, communicator);
    agree(communicator, "checkpoint state for " + path, [&] {
      if (communicator.rank() != 0) return;
      CheckpointState state;
      state.model_checkpoint_path = path;
      state.all_model_checkpoint_paths = {path};
      write_checkpoint_state(checkpoint.env(), parent_dir(path), state);
    }, [] {});
  } catch (...) {
    counter = number - 1;  // a failed save changes nothing
    throw;
  }
  return path;
}

}  // namespace cairn
