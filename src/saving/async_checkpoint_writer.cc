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

namespace {
// Makes staged hold a tensor of this dtype and shape, keeping the one it holds when it fits, so that its
// pages are already mapped.
void fit_staging_tensor(Tensor& staged, DType dtype, const Shape& shape) {
  if (!staged.defined() || staged.dtype() != dtype || staged.shape() != shape)
    staged = Tensor(shape, dtype);  // zero-filled: every page is faulted in here
}
}  // namespace

void AsyncCheckpointWriter::reserve(const std::vector<std::pair<std::string, Tensor>>& values) {
  wait();
  std::vector<std::pair<DType, Shape>> layout;
  layout.reserve(values.size());
  for (const auto& [key, value] : values) layout.emplace_back(value.dtype(), value.shape());
  worker_ = std::thread([this, layout = std::move(layout)] {
    try {
      staged_.resize(layout.size());
      for (size_t i = 0; i < layout.size(); ++i) fit_staging_tensor(staged_[i].second, layout[i].first, layout[i].second);
    } catch (...) {
      failure_ = std::current_exception();
    }
  });
}

void AsyncCheckpointWriter::stage(const std::vector<std::pair<std::string, Tensor>>& values,
                                  std::string object_graph_key, std::string object_graph) {
  wait();
  staged_.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& [key, value] = values[i];
    auto& [staged_key, staged] = staged_[i];
    fit_staging_tensor(staged, value.dtype(), value.shape());  // the last save's (or reserve's) when it fits
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
