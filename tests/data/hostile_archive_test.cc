// Zip bombs and lying headers: an .npz or zip is refused before it can make cairn allocate more than
// its limits allow, and every refusal names the archive and the member.
#include <gtest/gtest.h>

#include "cairn/error.h"
#include "cairn/npy.h"
#include "cairn/zip.h"
#include "data/test_util.h"
#include "data/zip_builder.h"

namespace cairn {
namespace {

using data_test::expect_error;
using data_test::TempDir;
using data_test::write_bytes;
using testing::build_zip;
using testing::DeflateStream;
using testing::TestMember;

constexpr uint64_t kGiB = uint64_t{1} << 30;

// The .npy header numpy writes for a float32 array of the given shape (a Python tuple).
std::string npy_header(const std::string& shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + dict.size() + 1) % 64) dict += ' ';
  dict += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size() & 0xff) +
         static_cast<char>(dict.size() >> 8) + dict;
}

TEST(HostileArchive, NpzInflatingToAGibibyteIsRefusedBeforeInflating) {
  // 1 MB on disk; an honest header and a gibibyte of float32 zeros inflated.
  DeflateStream stream;
  stream.text(npy_header("(268435456,)")).zeros(kGiB);
  const std::vector<uint8_t> bomb = build_zip({TestMember::deflated("a.npy", stream)});
  ASSERT_LT(bomb.size(), 2u << 20);
  TempDir dir;
  write_bytes(dir.file("bomb.npz"), bomb);
  expect_error<ResourceLimitError>([&] { load_npz(dir.file("bomb.npz")); },
                                   {dir.file("bomb.npz"), "'a.npy'", "1073741952 bytes", "zip bomb"});
}

TEST(HostileArchive, TheBudgetCoversAllMembersTogether) {
  // Each member alone fits the 1 MiB every archive may inflate to; the four together do not.
  DeflateStream stream;
  stream.zeros(300'000);
  std::vector<TestMember> members;
  for (const char* name : {"a", "b", "c", "d"}) members.push_back(TestMember::deflated(name, stream));
  EXPECT_EQ(parse_zip(build_zip({members[0], members[1], members[2]}), "three.zip").size(), 3u);
  expect_error<ResourceLimitError>([&] { parse_zip(build_zip(members), "four.zip"); },
                                   {"four.zip", "1200000 bytes", "member 'a' alone 300000"});
}

TEST(HostileArchive, LimitsAreTheCallers) {
  DeflateStream stream;
  stream.zeros(100'000);
  const std::vector<uint8_t> archive = build_zip({TestMember::deflated("a", stream)});
  EXPECT_THROW(parse_zip(archive, "x.zip", {.max_total_bytes = 99'999}), ResourceLimitError);
  EXPECT_THROW(parse_zip(archive, "x.zip", {.max_ratio = 1, .min_budget = 0}), ResourceLimitError);
  EXPECT_EQ(parse_zip(archive, "x.zip", {.max_total_bytes = 100'000}).at(0).data.size(), 100'000u);
  const std::vector<uint8_t> three = build_zip({TestMember::stored("a", {}), TestMember::stored("b", {}),
                                                TestMember::stored("c", {})});
  expect_error<ResourceLimitError>([&] { parse_zip(three, "three.zip", {.max_members = 2}); },
                                   {"three.zip", "3 members"});
}

TEST(HostileArchive, LocalHeaderMustDeclareTheCentralSizes) {
  DeflateStream stream;
  stream.zeros(1000);
  TestMember member = TestMember::deflated("a.npy", stream);
  member.local_size = kGiB;
  expect_error<FormatError>([&] { parse_zip(build_zip({member}), "x.npz"); },
                            {"x.npz", "'a.npy'", "local and central headers disagree on the sizes"});
}

TEST(HostileArchive, InflatingStopsPastTheDeclaredSize) {
  // 64 MiB of zeros declared as 1000 bytes: output stops at byte 1001.
  DeflateStream stream;
  stream.zeros(64 << 20);
  const std::vector<uint8_t> archive = build_zip({TestMember::deflated("a", stream, 1000)});
  const ZipArchive zip(archive, "x.zip");
  EXPECT_EQ(zip.read_prefix(zip.members().at(0), 10).size(), 10u);
  expect_error<FormatError>([&] { zip.read(zip.members().at(0)); },
                            {"x.zip", "'a'", "longer than the declared size"});
}

TEST(HostileArchive, NpzMemberIsCheckedAgainstItsNpyHeaderBeforeInflating) {
  // The header claims 1000 floats, the member 200 bytes of data; past the header the deflate data is
  // damaged, which a reader that inflated the member before checking its header would meet first.
  const std::string header = npy_header("(1000,)");
  DeflateStream stream;
  stream.text(header).bytes(std::vector<uint8_t>(100, 7)).garbage({0xff, 0xff, 0xff, 0xff});
  const std::vector<uint8_t> archive =
      build_zip({TestMember::deflated("a.npy", stream, header.size() + 200)});
  TempDir dir;
  write_bytes(dir.file("lying.npz"), archive);
  expect_error<FormatError>([&] { load_npz(dir.file("lying.npz")); },
                            {dir.file("lying.npz"), "'a.npy'", "shape (1000,) of float32 needs 4000 bytes",
                             "declares " + std::to_string(header.size() + 200) + " bytes in all, 200 after"});
}

TEST(HostileArchive, HonestDeflatedNpzStillLoads) {
  Tensor values = Tensor::from_vector<float>({2}, {1.5f, -2.f});
  std::vector<uint8_t> data = encode_npy(values);
  DeflateStream stream;
  stream.bytes(data);
  TempDir dir;
  write_bytes(dir.file("ok.npz"), build_zip({TestMember::deflated("x.npy", stream)}));
  std::vector<NamedTensor> arrays = load_npz(dir.file("ok.npz"));
  ASSERT_EQ(arrays.size(), 1u);
  EXPECT_EQ(arrays[0].name, "x");
  EXPECT_EQ(arrays[0].tensor.to_vector<float>(), (std::vector<float>{1.5f, -2.f}));
}

}  // namespace
}  // namespace cairn
