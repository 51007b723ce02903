#include <gtest/gtest.h>
#include <zlib.h>

#include "cairn/data.h"
#include "data/test_util.h"

namespace cairn {
namespace {

using data_test::expect_error;
using data_test::read_bytes;
using data_test::TempDir;
using data_test::write_bytes;

std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data,
                               uint8_t type = 0x08) {
  std::vector<uint8_t> out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(d >> shift));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::vector<uint8_t> counting(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7);
  return v;
}

// Expected values read independently with numpy:
//   b = gzip.open(path).read(); np.frombuffer(b, np.uint8, offset=4 + 4 * b[3]).reshape(dims)
TEST(FashionMnist, MatchesKerasShapesAndKnownValues) {
  auto [train, test] = load_fashion_mnist();
  EXPECT_EQ(train.x.shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(train.y.shape(), (Shape{60000}));
  EXPECT_EQ(test.x.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(test.y.shape(), (Shape{10000}));
  EXPECT_EQ(train.x.dtype(), DType::UInt8);
  EXPECT_EQ(train.y.dtype(), DType::UInt8);

  std::vector<uint8_t> first_labels(train.y.data<uint8_t>(), train.y.data<uint8_t>() + 10);
  EXPECT_EQ(first_labels, (std::vector<uint8_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(train.y.get({59999}), 5);
  EXPECT_EQ(test.y.get({0}), 9);
  EXPECT_EQ(test.y.get({4}), 6);
  EXPECT_EQ(test.y.get({9999}), 5);
  std::vector<int64_t> counts(10);
  for (uint8_t label : train.y.span<uint8_t>()) ++counts.at(label);
  EXPECT_EQ(counts, std::vector<int64_t>(10, 6000));

  EXPECT_EQ(train.x.get({0, 3, 12}), 1);
  EXPECT_EQ(train.x.get({0, 3, 15}), 13);
  EXPECT_EQ(train.x.get({0, 3, 16}), 73);
  EXPECT_EQ(train.x.get({0, 14, 14}), 217);
  EXPECT_EQ(train.x.get({0, 10, 20}), 210);
  EXPECT_EQ(test.x.get({0, 14, 14}), 110);
  EXPECT_EQ(test.x.get({9999, 20, 5}), 31);
  int64_t first_image_sum = 0;
  for (int64_t i = 0; i < 784; ++i) first_image_sum += train.x.data<uint8_t>()[i];
  EXPECT_EQ(first_image_sum, 76247);
  int64_t test_sum = 0;
  for (uint8_t v : test.x.span<uint8_t>()) test_sum += v;
  EXPECT_EQ(test_sum, 573469082);
}

TEST(Idx, ReadsRawAndGzippedFiles) {
  TempDir dir;
  std::vector<uint8_t> bytes = idx_bytes({2, 3, 4}, counting(24));
  write_bytes(dir.file("raw"), bytes);
  write_gzip(dir.file("packed.gz"), bytes);
  for (const char* name : {"raw", "packed.gz"}) {
    Tensor t = read_idx(dir.file(name));
    EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
    EXPECT_EQ(t.to_vector<uint8_t>(), counting(24)) << name;
  }
}

TEST(Idx, ReadsConcatenatedGzipMembersLargerThanOneChunk) {
  TempDir dir;
  // 20 MB spans more than one 16 MB inflate chunk; two gzip members exercise the member restart.
  std::vector<uint8_t> bytes = idx_bytes({5000, 4000}, counting(20'000'000));
  std::vector<uint8_t> first(bytes.begin(), bytes.begin() + 1'000'003),
      second(bytes.begin() + 1'000'003, bytes.end());
  write_gzip(dir.file("a.gz"), first);
  write_gzip(dir.file("b.gz"), second);
  std::vector<uint8_t> joined = read_bytes(dir.file("a.gz")), tail = read_bytes(dir.file("b.gz"));
  joined.insert(joined.end(), tail.begin(), tail.end());
  write_bytes(dir.file("joined.gz"), joined);
  Tensor t = read_idx(dir.file("joined.gz"));
  EXPECT_EQ(t.shape(), (Shape{5000, 4000}));
  EXPECT_TRUE(std::equal(bytes.begin() + 12, bytes.end(), t.data<uint8_t>()));
}

TEST(Idx, RejectsBadFilesNamingThem) {
  TempDir dir;
  auto error = [&](const std::vector<uint8_t>& bytes, const std::string& part, bool gzip) {
    std::string path = dir.file(gzip ? "bad.gz" : "bad");
    if (gzip)
      write_gzip(path, bytes);
    else
      write_bytes(path, bytes);
    SCOPED_TRACE(part + (gzip ? " (gzip)" : ""));
    expect_error<FormatError>([&] { read_idx(path); }, {path, part});
  };
  for (bool gzip : {false, true}) {
    error({0, 0}, "shorter than the 4-byte magic", gzip);
    error({1, 0, 8, 1, 0, 0, 0, 0}, "bad magic", gzip);
    error(idx_bytes({2}, {1, 2}, 0x0d), "element type 0x0d", gzip);
    error({0, 0, 8, 2, 0, 0, 0}, "truncated dimensions", gzip);
    error(idx_bytes({2, 3}, counting(5)), "needs 6 bytes of data, found 5", gzip);
    error(idx_bytes({2, 3}, counting(7)), "trailing bytes", gzip);
    error(idx_bytes({0xffffffff, 0xffffffff}, {}), "too large", gzip);
  }
  // A huge shape that fits the size bound but whose data is absent: refused without allocating it.
  error(idx_bytes({60000, 60000, 28}, counting(100)), "found 100", false);
  error(idx_bytes({60000, 60000, 28}, counting(100)), "found 100", true);
}

TEST(Idx, GzipThatInflatesFarBeyondItsSizeIsRefused) {
  // 128 MiB of zeros deflate to about 130 KB: more than 100-fold and past the 64 MiB floor.
  TempDir dir;
  const std::string path = dir.file("bomb.gz");
  write_gzip(path, idx_bytes({2048, 256, 256}, std::vector<uint8_t>(size_t{128} << 20)));
  expect_error<ResourceLimitError>([&] { read_idx(path); }, {path, "(2048, 256, 256)", "134217728 bytes", "inflates"});
}

TEST(Idx, RejectsDamagedGzip) {
  TempDir dir;
  write_gzip(dir.file("good.gz"), idx_bytes({100}, counting(100)));
  std::vector<uint8_t> good = read_bytes(dir.file("good.gz"));
  std::vector<uint8_t> truncated(good.begin(), good.end() - 12);
  write_bytes(dir.file("truncated.gz"), truncated);
  expect_error<FormatError>([&] { read_idx(dir.file("truncated.gz")); }, {"truncated.gz", "truncated"});
  std::vector<uint8_t> bad_crc = good;
  bad_crc[bad_crc.size() - 6] ^= 0xff;  // inside the CRC-32 trailer
  write_bytes(dir.file("crc.gz"), bad_crc);
  expect_error<FormatError>([&] { read_idx(dir.file("crc.gz")); }, {"crc.gz", "corrupt gzip"});
  std::vector<uint8_t> garbage = good;
  garbage.push_back(0x42);
  write_bytes(dir.file("garbage.gz"), garbage);
  expect_error<FormatError>([&] { read_idx(dir.file("garbage.gz")); },
                            {"garbage.gz", "trailing bytes after the gzip"});
}

TEST(MnistIdx, LoadsRawFilesFromADirectory) {
  TempDir dir;
  write_bytes(dir.file("train-images-idx3-ubyte"), idx_bytes({3, 2, 2}, counting(12)));
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_bytes({3}, {4, 5, 6}));
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), idx_bytes({1, 2, 2}, {9, 8, 7, 6}));
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({1}, {1}));
  auto [train, test] = load_mnist_idx(dir.path());
  EXPECT_EQ(train.x.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(train.x.to_vector<uint8_t>(), counting(12));
  EXPECT_EQ(train.y.to_vector<uint8_t>(), (std::vector<uint8_t>{4, 5, 6}));
  EXPECT_EQ(test.x.to_vector<uint8_t>(), (std::vector<uint8_t>{9, 8, 7, 6}));
  EXPECT_EQ(test.y.to_vector<uint8_t>(), (std::vector<uint8_t>{1}));
}

TEST(MnistIdx, ReportsMissingFilesAndMismatchedCounts) {
  TempDir dir;
  expect_error<IOError>([&] { load_mnist_idx(dir.path()); }, {"train-images-idx3-ubyte", dir.path()});
  write_bytes(dir.file("train-images-idx3-ubyte"), idx_bytes({3, 2, 2}, counting(12)));
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_bytes({2}, {4, 5}));
  expect_error<ShapeError>([&] { load_mnist_idx(dir.path()); },
                           {"train-images-idx3-ubyte", "(3, 2, 2)", "(2,)"});
}

}  // namespace
}  // namespace cairn
