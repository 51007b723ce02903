#include "cairn/internal/io/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cairn {
namespace {

TEST(Crc32c, StandardCheckValue) { EXPECT_EQ(crc32c::value("123456789"), 0xE3069283u); }

TEST(Crc32c, VectorsFromFormatsDocument) {
  const std::string zeros(4, '\0');
  EXPECT_EQ(crc32c::value(zeros), 0x48674bc7u);
  EXPECT_EQ(crc32c::mask(crc32c::value(zeros)), 0x3a117ba6u);
  // The empty metaindex block (restart array [0], count 1) followed by its type byte 0.
  const std::string empty_block_and_type("\0\0\0\0\1\0\0\0\0", 9);
  EXPECT_EQ(crc32c::mask(crc32c::value(empty_block_and_type)), 0xb0a1f2c0u);
  // A TFRecord length field: 62 as a little-endian uint64.
  const std::string length62("\x3e\0\0\0\0\0\0\0", 8);
  EXPECT_EQ(crc32c::mask(crc32c::value(length62)), 0xe740d2d9u);
}

TEST(Crc32c, KnownVectorsOfRfc3720) {
  EXPECT_EQ(crc32c::value(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(crc32c::value(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c::value(ascending), 0x46dd794eu);
}

TEST(Crc32c, EmptyInputLeavesCrcUnchanged) {
  EXPECT_EQ(crc32c::value(""), 0u);
  EXPECT_EQ(crc32c::extend(0x12345678u, "", 0), 0x12345678u);
}

TEST(Crc32c, ExtendEqualsCrcOfConcatenation) {
  std::string a = "hello, ", b = "checkpoint world";
  EXPECT_EQ(crc32c::extend(crc32c::value(a), b), crc32c::value(a + b));
}

TEST(Crc32c, MaskRoundTripsAndChangesTheValue) {
  for (uint32_t crc : {0u, 1u, 0x48674bc7u, 0xffffffffu, 0xe3069283u}) {
    EXPECT_EQ(crc32c::unmask(crc32c::mask(crc)), crc);
    EXPECT_NE(crc32c::mask(crc), crc);
  }
}

TEST(Crc32c, FastPathAgreesWithPortableTablesAtEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::string data(5000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t start = 0; start < 9; ++start)
    for (size_t n = 0; n + start <= 300; ++n)
      ASSERT_EQ(crc32c::extend(0x9abcdef0u, data.data() + start, n),
                crc32c::extend_portable(0x9abcdef0u, data.data() + start, n))
          << "start " << start << " length " << n;
  for (size_t n = 0; n <= 4096; ++n) {
    const uint32_t crc = static_cast<uint32_t>(rng());
    ASSERT_EQ(crc32c::extend(crc, data.data() + n % 8, n), crc32c::extend_portable(crc, data.data() + n % 8, n))
        << "length " << n;
  }
  EXPECT_EQ(crc32c::extend_portable(0, "123456789", 9), 0xE3069283u);
}

// Long buffers go through several interleaved chains whose CRCs are combined: lengths around and across
// the chains' block boundaries, and a buffer of many blocks.
TEST(Crc32c, FastPathAgreesWithPortableTablesOnLongBuffers) {
  std::mt19937_64 rng(11);
  std::string data((size_t{8} << 20) + 5, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (int trial = 0; trial < 300; ++trial) {
    const size_t start = rng() % 8, n = 4097 + rng() % 60000;
    const uint32_t crc = static_cast<uint32_t>(rng());
    ASSERT_EQ(crc32c::extend(crc, data.data() + start, n), crc32c::extend_portable(crc, data.data() + start, n))
        << "start " << start << " length " << n;
  }
  EXPECT_EQ(crc32c::value(data), crc32c::extend_portable(0, data.data(), data.size()));
  EXPECT_EQ(crc32c::extend(0x12345678u, data.data() + 3, data.size() - 3),
            crc32c::extend_portable(0x12345678u, data.data() + 3, data.size() - 3));
}

#if defined(__x86_64__)
// Builds target the x86-64 baseline, without SSE4.2: the instruction must still be used where the CPU
// has it.
TEST(Crc32c, UsesTheCrc32InstructionWhereTheCpuHasIt) {
  EXPECT_EQ(crc32c::uses_crc32_instruction(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
}
#endif

}  // namespace
}  // namespace cairn
