// The distributed tests run alone and under mpirun, every test on every process: only process 0 prints
// gtest's report (a failure on any process still fails it, through mpirun's exit status).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "cairn/distributed.h"
#include "temp_dir.h"

namespace cairn::testing {

class QuietOtherProcesses : public ::testing::Environment {
 public:
  void SetUp() override {
    if (Communicator::world().rank() == 0) return;
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
};

inline ::testing::Environment* const quiet_other_processes =
    ::testing::AddGlobalTestEnvironment(new QuietOtherProcesses);

// One directory for every process of the job: process 0's, removed when all are done with it.
class SharedTempDir {
 public:
  explicit SharedTempDir(Communicator& world) : world_(world) {
    if (world.rank() == 0) own_.emplace();
    path_ = world.broadcast(own_ ? own_->path() : std::string());
  }
  ~SharedTempDir() { world_.barrier(); }  // then process 0's TempDir removes it
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  Communicator& world_;
  std::optional<TempDir> own_;
  std::string path_;
};

}  // namespace cairn::testing
