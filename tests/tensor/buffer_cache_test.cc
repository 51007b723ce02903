// The buffer cache behind Tensor storage (src/tensor/buffer_cache.cc): size classes, alignment, reuse,
// and tensors that are zero-filled even when their block held another tensor's values.
#include <gtest/gtest.h>

#include <cstdint>

#include "cairn/internal/tensor/buffer_cache.h"
#include "cairn/tensor.h"

namespace cairn {
namespace {

using kernels::allocate_buffer;
using kernels::buffer_capacity;
using kernels::kAddressSanitizer;
using kernels::kBufferAlignment;
using kernels::release_buffer;

// Under AddressSanitizer a block is as long as asked, rounded up to the alignment: a read past a tensor's
// end lands in the sanitizer's redzone instead of the size class's spare bytes.
TEST(BufferCache, UnderAddressSanitizerCapacitiesAreTheRequestRoundedUp) {
  if (!kAddressSanitizer) GTEST_SKIP() << "not an AddressSanitizer build";
  EXPECT_EQ(buffer_capacity(0), 64u);
  EXPECT_EQ(buffer_capacity(1), 64u);
  EXPECT_EQ(buffer_capacity(65), 128u);
  EXPECT_EQ(buffer_capacity(513), 576u);  // the size class would be 640
  EXPECT_EQ(buffer_capacity(5000), 5056u);
}

TEST(BufferCache, CapacitiesAreAlignedAndAtMostAQuarterLarger) {
  if (kAddressSanitizer) GTEST_SKIP() << "size classes are not used under AddressSanitizer";
  EXPECT_EQ(buffer_capacity(0), kBufferAlignment);
  EXPECT_EQ(buffer_capacity(1), kBufferAlignment);
  EXPECT_EQ(buffer_capacity(64), 64u);
  EXPECT_EQ(buffer_capacity(65), 128u);
  EXPECT_EQ(buffer_capacity(512), 512u);
  EXPECT_EQ(buffer_capacity(513), 640u);  // the first class above 8 units: 10 units
  EXPECT_EQ(buffer_capacity(size_t{1} << 20), size_t{1} << 20);
  size_t previous = 0;
  for (size_t bytes = 1; bytes < (size_t{1} << 24); bytes = bytes * 3 / 2 + 1) {
    const size_t capacity = buffer_capacity(bytes);
    ASSERT_EQ(capacity % kBufferAlignment, 0u) << bytes;
    ASSERT_GE(capacity, bytes);
    ASSERT_GE(capacity, previous) << bytes;
    if (bytes > 8 * kBufferAlignment) ASSERT_LE(capacity, bytes + bytes / 4 + kBufferAlignment) << bytes;
    previous = capacity;
  }
}

TEST(BufferCache, BlocksAreAlignedAndWritableToTheirCapacity) {
  for (size_t bytes : {size_t{1}, size_t{100}, size_t{4096}, size_t{3} << 20}) {
    auto* block = static_cast<unsigned char*>(allocate_buffer(bytes));
    ASSERT_EQ(reinterpret_cast<uintptr_t>(block) % kBufferAlignment, 0u) << bytes;
    for (size_t i = 0; i < buffer_capacity(bytes); ++i) block[i] = static_cast<unsigned char>(i);
    release_buffer(block, bytes);
  }
  release_buffer(nullptr, 10);  // ignored
}

TEST(BufferCache, AReleasedBlockServesTheNextRequestOfItsClass) {
  if (kAddressSanitizer) GTEST_SKIP() << "under AddressSanitizer every block goes back to the heap";
  void* first = allocate_buffer(5000);
  release_buffer(first, 5000);
  void* second = allocate_buffer(buffer_capacity(5000) - 10);  // same class
  EXPECT_EQ(second, first);
  release_buffer(second, buffer_capacity(5000) - 10);
}

TEST(BufferCache, TensorsAreZerosEvenInARecycledBlock) {
  for (int round = 0; round < 3; ++round) {
    Tensor t({37, 29}, DType::Float32);
    for (float v : t.span<float>()) ASSERT_EQ(v, 0.f);
    for (float& v : t.span<float>()) v = 7.f;
  }
}

}  // namespace
}  // namespace cairn
