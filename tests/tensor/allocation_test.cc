// Sizes that overflow are ShapeErrors naming the shape, and allocation budgets refuse tensors past
// their limit before anything is allocated.
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "cairn/allocation_budget.h"
#include "cairn/tensor.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;

TEST(Allocation, ElementCountsThatOverflowAreShapeErrorsNamingTheShape) {
  const Shape hostile = {784, int64_t{1} << 62};
  expect_error_mentioning<ShapeError>([&] { num_elements(hostile); }, {"(784, 4611686018427387904)"});
  // 2^62 elements fit in the count, but not their 2^64 bytes.
  expect_error_mentioning<ShapeError>([] { Tensor({int64_t{1} << 62}); }, {"float32", "(4611686018427387904,)"});
  expect_error_mentioning<ShapeError>([&] { Tensor(hostile, DType::UInt8); }, {"(784, 4611686018427387904)"});
  EXPECT_EQ(num_elements({int64_t{1} << 31, int64_t{1} << 31}), int64_t{1} << 62);
  EXPECT_EQ(num_elements({}), 1);
}

TEST(Allocation, ReshapeToAnOverflowingShapeIsAShapeError) {
  Tensor t({4});
  expect_error_mentioning<ShapeError>([&] { t.reshape({int64_t{1} << 62, 4, -1}); }, {"reshape"});
  expect_error_mentioning<ShapeError>([&] { t.reshape({int64_t{1} << 62, 8}); }, {"reshape"});
}

TEST(Allocation, BudgetRefusesATensorPastItsLimitNamingWhatAskedAndTheNumbers) {
  ScopedAllocationBudget budget(1000, "reading hostile.h5");
  Tensor fits({200});  // 800 bytes
  EXPECT_EQ(budget.used(), 800u);
  expect_error_mentioning<ResourceLimitError>(
      [] { Tensor({2, 50}); }, {"reading hostile.h5", "float32 tensor of shape (2, 50)", "400 bytes", "200 of the 1000"});
  EXPECT_EQ(budget.used(), 800u);  // the refused tensor charged nothing
  Tensor still_fits({50});
  EXPECT_EQ(budget.used(), 1000u);
}

TEST(Allocation, FreedBuffersGiveTheirBytesBackEvenAfterTheScopeEnds) {
  std::optional<Tensor> outlives;
  {
    ScopedAllocationBudget budget(1024, "test");
    { Tensor temporary({256}); }
    EXPECT_EQ(budget.used(), 0u);
    Tensor a({128});
    Tensor shared = a.reshape({2, 64});  // one buffer, charged once
    EXPECT_EQ(budget.used(), 512u);
    outlives = Tensor({1, 128});
    EXPECT_EQ(budget.used(), 1024u);
    std::thread([moved = std::move(a), shared_too = std::move(shared)] {}).join();  // freed on another thread
    EXPECT_EQ(budget.used(), 512u);
  }
  outlives.reset();
  Tensor unbounded({1 << 20});  // no budget in force: nothing is refused
  EXPECT_EQ(unbounded.numel(), 1 << 20);
}

TEST(Allocation, NestedBudgetsChargeEveryEnclosingBudget) {
  ScopedAllocationBudget outer(1000, "outer");
  {
    ScopedAllocationBudget inner(1u << 30, "inner");
    Tensor a({200});
    EXPECT_EQ(inner.used(), 800u);
    EXPECT_EQ(outer.used(), 800u);
    expect_error_mentioning<ResourceLimitError>([] { Tensor({100}); }, {"outer", "400 bytes"});
  }
  EXPECT_EQ(outer.used(), 0u);
  ScopedAllocationBudget tight(100, "tight");
  expect_error_mentioning<ResourceLimitError>([] { Tensor({100}); }, {"tight"});
}

TEST(Allocation, BudgetsBelongToTheirThread) {
  ScopedAllocationBudget budget(16, "this thread");
  std::thread([] { Tensor({1000}); }).join();
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace cairn
