#include "cairn/tensor.h"

#include "cairn/allocation_budget.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace cairn {
namespace {

TEST(Tensor, ZeroFilledAndAligned) {
  Tensor t({3, 5}, DType::Float32);
  EXPECT_EQ(t.numel(), 15);
  EXPECT_EQ(t.nbytes(), 60u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  for (float v : t.span<float>()) EXPECT_EQ(v, 0.f);
}

TEST(Tensor, UninitializedHasTheShapeDTypeAlignmentAndChecksOfTheConstructor) {
  Tensor t = Tensor::uninitialized({4, 3}, DType::Int32);
  EXPECT_EQ(t.shape(), (Shape{4, 3}));
  EXPECT_EQ(t.dtype(), DType::Int32);
  EXPECT_EQ(t.nbytes(), 48u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  for (int32_t i = 0; i < 12; ++i) t.data<int32_t>()[i] = i;
  EXPECT_EQ(t.get({3, 2}), 11.0);
  EXPECT_THROW(Tensor::uninitialized({2, -3}), ShapeError);
  {
    ScopedAllocationBudget budget(100, "test");
    EXPECT_THROW(Tensor::uninitialized({26}), ResourceLimitError);  // 104 bytes
  }
  // The constructor still zero-fills a buffer that an uninitialized tensor used before.
  for (int round = 0; round < 3; ++round) {
    Tensor::uninitialized({1000}).fill(7.0);
    Tensor zeros({1000});
    for (float v : zeros.span<float>()) ASSERT_EQ(v, 0.f);
  }
}

TEST(Tensor, EveryDTypeHasItsSize) {
  EXPECT_EQ(Tensor({2}, DType::Float64).nbytes(), 16u);
  EXPECT_EQ(Tensor({2}, DType::Int32).nbytes(), 8u);
  EXPECT_EQ(Tensor({2}, DType::Int64).nbytes(), 16u);
  EXPECT_EQ(Tensor({2}, DType::UInt8).nbytes(), 2u);
  EXPECT_EQ(Tensor({2}, DType::Bool).nbytes(), 2u);
  EXPECT_EQ(dtype_from_name("int64"), DType::Int64);
  EXPECT_THROW(dtype_from_name("float16"), InvalidArgument);
}

TEST(Tensor, GetSetAndItem) {
  Tensor t = Tensor::from_values({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.get({1, 2}), 6.0);
  t.set({0, 1}, -7);
  EXPECT_EQ(t.data<float>()[1], -7.f);
  EXPECT_EQ(Tensor::scalar(2.5).item(), 2.5);
  EXPECT_THROW(t.item(), ShapeError);
  EXPECT_THROW(t.get({2, 0}), InvalidArgument);
  EXPECT_THROW(t.data<int32_t>(), InvalidArgument);
}

TEST(Tensor, CopyIsAHandleCloneIsDeep) {
  Tensor a = Tensor::from_values({2}, {1, 2});
  Tensor b = a;
  Tensor c = a.clone();
  a.set({0}, 9);
  EXPECT_EQ(b.get({0}), 9.0);
  EXPECT_EQ(c.get({0}), 1.0);
  EXPECT_TRUE(a.same_as(b));
  EXPECT_FALSE(a.same_as(c));
}

TEST(Tensor, ConversionBetweenDTypes) {
  Tensor f = Tensor::from_values({3}, {1.9, -2.5, 0});
  Tensor i = f.to(DType::Int32);
  EXPECT_EQ(i.to_vector<int32_t>(), (std::vector<int32_t>{1, -2, 0}));
  Tensor b = f.to(DType::Bool);
  EXPECT_EQ(b.get({0}), 1.0);
  EXPECT_EQ(b.get({2}), 0.0);
  EXPECT_EQ(Tensor::from_vector<int64_t>({2}, {5, 7}).to(DType::Float64).get({1}), 7.0);
}

TEST(Tensor, ReshapeSharesDataAndInfersOneDimension) {
  Tensor a = Tensor::from_values({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = a.reshape({3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  r.set({2, 1}, 60);
  EXPECT_EQ(a.get({1, 2}), 60.0);
  EXPECT_THROW(a.reshape({4, -1}), ShapeError);
  EXPECT_THROW(a.reshape({-1, -1}), InvalidArgument);
  EXPECT_THROW(a.reshape({7}), ShapeError);
}

TEST(Tensor, ScalarsAndEmptyTensors) {
  Tensor s = Tensor::scalar(3);
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.numel(), 1);
  Tensor e({0, 4});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(e.nbytes(), 0u);
  EXPECT_TRUE(equal_bytes(e, e.clone()));
  EXPECT_EQ(shape_str({}), "()");
  EXPECT_EQ(shape_str({5}), "(5,)");
  EXPECT_EQ(shape_str({32, 784}), "(32, 784)");
}

TEST(Tensor, PrintsLikeNumpy) {
  EXPECT_EQ(Tensor::from_values({2, 2}, {1, 2, 3, 4}).to_string(), "Tensor([[1, 2],\n[3, 4]], shape=(2, 2), dtype=float32)");
  EXPECT_EQ(Tensor::scalar(5, DType::Int64).to_string(), "Tensor(5, shape=(), dtype=int64)");
  std::string long_row = Tensor::zeros({10}).to_string();
  EXPECT_NE(long_row.find("..."), std::string::npos);
}

TEST(Tensor, ComparisonHelpers) {
  Tensor a = Tensor::from_values({3}, {1, 2, 3});
  Tensor b = Tensor::from_values({3}, {1, 2, 3.0001});
  EXPECT_FALSE(equal_bytes(a, b));
  EXPECT_TRUE(allclose(a, b, 1e-3));
  EXPECT_FALSE(allclose(a, b, 1e-6, 1e-6));
  EXPECT_NEAR(max_abs_diff(a, b), 1e-4, 1e-6);
  EXPECT_THROW(max_abs_diff(a, Tensor({2})), ShapeError);
}

TEST(Tensor, NegativeDimensionIsRejected) { EXPECT_THROW(Tensor({2, -3}), ShapeError); }

}  // namespace
}  // namespace cairn
