// The distributed tests run alone and under mpirun, every test on every process: only process 0 prints
// gtest's report (a failure on any process still fails it, through mpirun's exit status).
#pragma once

#include <gtest/gtest.h>

#include "cairn/distributed.h"

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

}  // namespace cairn::testing
