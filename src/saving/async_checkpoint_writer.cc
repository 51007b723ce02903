#include "async_checkpoint_writer.h"

#include <cstring>
#include <iostream>

#include "cairn/parallel.h"
#include "cairn/tensor_bundle.h"

namespace cairn {

AsyncCheckpointWriter::~AsyncCheckpointWriter() {
  try {
    wait();
  } catch (const std::exception& e) {
    std::cerr << "cairn: ERROR: an asynchronous checkpoint save failed and nothing waited for it: " << e.what()
              << std::endl;
  }
}

void AsyncCheckpointWriter::stage(const std::vector<std::pair<std::string, Tensor>>& values,
                                  std::string object_graph_key, std::string object_graph) {
  wait();
  staged_.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& [key, value] = values[i];
    auto& [staged_key, staged] = staged_[i];
    // A staging tensor of the last save is reused when it fits, so that its pages are already mapped.
    if (!staged.defined() || staged.dtype() != value.dtype() || staged.shape() != value.shape())
      staged = Tensor(value.shape(), value.dtype());
    staged_key = key;
    // Over cairn's threads (set_num_threads) when there are several: training waits for this copy.
    auto* to = static_cast<char*>(staged.raw_data());
    const auto* from = static_cast<const char*>(value.raw_data());
    parallel_for(static_cast<int64_t>(value.nbytes()), int64_t{8} << 20,
                 [&](int64_t begin, int64_t end) { std::memcpy(to + begin, from + begin, end - begin); });
  }
  object_graph_key_ = std::move(object_graph_key);
  object_graph_ = std::move(object_graph);
}

void AsyncCheckpointWriter::write_staged(Env& env, const std::string& prefix) {
  BundleWriter writer(env, prefix);
  for (const auto& [key, value] : staged_) writer.add(key, value);
  writer.add_string(object_graph_key_, object_graph_);
  writer.finish();
}

void AsyncCheckpointWriter::start(Env& env, std::string prefix, std::function<void()> commit,
                                  const std::function<void()>& undo) {
  wait();
  worker_ = std::thread([this, &env, prefix = std::move(prefix), commit = std::move(commit)] {
    try {
      write_staged(env, prefix);
      if (commit) commit();
    } catch (...) {
      failure_ = std::current_exception();
    }
  });
  undo_ = undo;  // after the thread exists: when it cannot be started, the caller undoes the save
}

void AsyncCheckpointWriter::wait() {
  if (worker_.joinable()) worker_.join();
  std::function<void()> undo = std::move(undo_);
  undo_ = nullptr;
  if (!failure_) return;
  std::exception_ptr failure = std::exchange(failure_, nullptr);
  if (undo) undo();
  std::rethrow_exception(failure);
}

}  // namespace cairn
