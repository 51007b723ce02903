#include "cairn/npy.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "cairn/random.h"
#include "cairn/zip.h"
#include "data/test_util.h"

namespace cairn {
namespace {

using data_test::expect_error;
using data_test::read_bytes;
using data_test::TempDir;
using data_test::testdata;

// The arrays tests/data/testdata/make_testdata.py saved with numpy, built independently here.
std::vector<std::pair<std::string, Tensor>> expected_arrays() {
  return {
      {"f4", Tensor::from_vector<float>({2, 3}, {0.5f, -1.25f, 3.0f, 1e-3f, std::ldexp(1.0f, -20), 7.0f})},
      {"f8", Tensor::from_vector<double>({4}, {std::numbers::pi, -std::numbers::e, 1e300, -0.0})},
      {"i4", Tensor::from_vector<int32_t>({2, 3}, {std::numeric_limits<int32_t>::min(), -1, 0, 1,
                                                   std::numeric_limits<int32_t>::max(), 42})},
      {"i8",
       Tensor::from_vector<int64_t>({5}, {std::numeric_limits<int64_t>::min(), -1, 0, (int64_t{1} << 40) + 7,
                                          std::numeric_limits<int64_t>::max()})},
      {"u1", Tensor::from_vector<uint8_t>({2, 3}, {0, 51, 102, 153, 204, 255})},
      {"b1", Tensor::from_vector<bool>({3, 2}, {true, false, false, true, true, true})},
      {"scalar_f8", Tensor::from_vector<double>({}, {2.5})},
      {"empty_f4", Tensor({0, 3}, DType::Float32)},
  };
}

std::vector<uint8_t> as_bytes(const std::string& s) { return {s.begin(), s.end()}; }

// An .npy file with the given header text (padded like numpy's) and data bytes.
std::vector<uint8_t> make_npy(const std::string& dict, const std::vector<uint8_t>& data, int major = 1) {
  size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::vector<uint8_t> out = as_bytes(std::string("\x93NUMPY", 6));
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  for (size_t i = 0; i < prefix - 8; ++i) out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<uint8_t> float_bytes(std::initializer_list<float> values) {
  std::vector<uint8_t> out(values.size() * 4);
  std::memcpy(out.data(), std::data(values), out.size());
  return out;
}

Tensor decode(const std::vector<uint8_t>& bytes) { return decode_npy(bytes, "test.npy"); }

TEST(Npy, ReadsEveryDtypeWrittenByNumpy) {
  for (const auto& [name, expected] : expected_arrays()) {
    SCOPED_TRACE(name);
    Tensor loaded = load_npy(testdata(name + ".npy"));
    EXPECT_TRUE(equal_bytes(loaded, expected)) << loaded << "\nexpected\n" << expected;
  }
}

TEST(Npy, WritesTheBytesNumpyWrites) {
  TempDir dir;
  for (const auto& [name, tensor] : expected_arrays()) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> numpy_bytes = read_bytes(testdata(name + ".npy"));
    EXPECT_EQ(encode_npy(tensor), numpy_bytes);
    save_npy(dir.file(name + ".npy"), tensor);
    EXPECT_EQ(read_bytes(dir.file(name + ".npy")), numpy_bytes);
  }
}

TEST(Npy, RoundTripsEveryDtypeThroughAFile) {
  TempDir dir;
  Generator generator(7);
  for (DType dtype :
       {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::UInt8, DType::Bool}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    Tensor tensor({3, 4, 5}, dtype);
    auto* bytes = static_cast<uint8_t*>(tensor.raw_data());
    for (size_t i = 0; i < tensor.nbytes(); ++i)
      bytes[i] = dtype == DType::Bool ? generator.next_u32() & 1 : static_cast<uint8_t>(generator.next_u32());
    save_npy(dir.file("t.npy"), tensor);
    Tensor loaded = load_npy(dir.file("t.npy"));
    EXPECT_TRUE(equal_bytes(loaded, tensor));
  }
}

TEST(Npy, SwapsBigEndianData) {
  Tensor f4 = load_npy(testdata("be_f4.npy"));
  EXPECT_TRUE(equal_bytes(f4, Tensor::from_vector<float>({3}, {1.5f, -2.0f, 1e-7f})));
  Tensor i8 = load_npy(testdata("be_i8.npy"));
  EXPECT_TRUE(
      equal_bytes(i8, Tensor::from_vector<int64_t>({2, 2}, {1, -2, int64_t{1} << 40, -(int64_t{1} << 40)})));
}

TEST(Npy, RefusesFortranOrderComplexAndPickledObjects) {
  expect_error<FormatError>([] { load_npy(testdata("fortran_f4.npy")); }, {"fortran_f4.npy", "Fortran"});
  expect_error<FormatError>([] { load_npy(testdata("complex64.npy")); },
                            {"complex64.npy", "'<c8' is not supported"});
  expect_error<FormatError>([] { load_npy(testdata("object.npy")); }, {"object.npy", "'|O'", "pickle"});
}

TEST(Npy, ReadsVersions2And3) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  for (int major : {2, 3}) {
    Tensor t = decode(make_npy(dict, float_bytes({1.f, 2.f}), major));
    EXPECT_TRUE(equal_bytes(t, Tensor::from_vector<float>({2}, {1.f, 2.f})));
  }
  expect_error<FormatError>(
      [&] {
        decode(make_npy(dict, float_bytes({1.f, 2.f}), 4));
      },
      {"test.npy", "version 4.0"});
}

TEST(Npy, AcceptsTheLiteralVariantsPythonAllows) {
  // Key order, double quotes, no trailing comma, Python 2 long dimensions.
  Tensor t = decode(
      make_npy("{\"shape\": (1L, 2L), 'fortran_order': False, 'descr': '<f4'}", float_bytes({3.f, 4.f})));
  EXPECT_EQ(t.shape(), (Shape{1, 2}));
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{3.f, 4.f}));
  // A zero dimension makes any other dimension describe no data.
  Tensor empty =
      decode(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 99999999999), }", {}));
  EXPECT_EQ(empty.shape(), (Shape{0, 99999999999}));
}

TEST(Npy, NormalizesBoolBytes) {
  Tensor t = decode(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", {0, 2, 255}));
  EXPECT_EQ(t.to_vector<bool>(), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(static_cast<const uint8_t*>(t.raw_data())[1], 1);
}

TEST(Npy, RejectsMalformedHeaders) {
  std::vector<uint8_t> one = float_bytes({1.f});
  auto header_error = [&](const std::string& dict, const std::string& part) {
    SCOPED_TRACE(dict);
    expect_error<FormatError>([&] { decode(make_npy(dict, one)); }, {"test.npy", part});
  };
  header_error("{'descr': '<f4', 'shape': (1,), }", "are all required");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }",
               "unexpected key 'extra'");
  header_error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "appears twice");
  header_error("{'descr': '<f4', 'fortran_order': false, 'shape': (1,), }", "True or False");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1), }", "trailing comma");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "expected a dimension");
  header_error("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured");
  header_error("{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }", "'<i2' is not supported");
  header_error("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", "no byte order");
  header_error("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }", "bad .npy header");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", "after the dictionary");
  header_error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), ", "ends early");
  header_error("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "Fortran");
}

TEST(Npy, RejectsShapesTheDataDoesNotHave) {
  auto error = [&](const std::string& shape, const std::vector<uint8_t>& data, const std::string& part) {
    SCOPED_TRACE(shape);
    expect_error<FormatError>(
        [&] { decode(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", data)); },
        {"test.npy", part});
  };
  error("(1000000000000000,)", {}, "needs more data");
  error("(4611686018427387904, 4611686018427387904)", {}, "too large");
  error("(99999999999999999999999,)", {}, "dimension too large");
  error("(2,)", float_bytes({1.f}), "needs more data than the file's 4 bytes");
  error("(1,)", float_bytes({1.f, 2.f}), "needs 4 bytes of data, the file has 8");
}

TEST(Npy, EveryTruncationIsAFormatError) {
  std::vector<uint8_t> bytes = read_bytes(testdata("f4.npy"));
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    EXPECT_THROW(decode(prefix), FormatError) << "length " << length;
  }
}

TEST(Npy, RandomCorruptionGivesFormatErrorOrAValidTensor) {
  std::vector<uint8_t> original = read_bytes(testdata("i4.npy"));
  Generator generator(11);
  int rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = original;
    int flips = 1 + static_cast<int>(generator.uniform_int(3));
    for (int i = 0; i < flips; ++i)
      bytes[generator.uniform_int(128)] = static_cast<uint8_t>(generator.next_u32());  // magic and header
    try {
      Tensor t = decode(bytes);
      EXPECT_EQ(t.nbytes(), original.size() - 128);  // accepted only if the data still fits exactly
    } catch (const FormatError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 2000);
}

TEST(Npy, MissingFileIsAnIOError) {
  expect_error<IOError>([] { load_npy("/nonexistent/dir/x.npy"); }, {"/nonexistent/dir/x.npy"});
}

// ---- .npz

TEST(Npz, ReadsStoredArchivesWrittenByNumpy) {
  std::vector<NamedTensor> arrays = load_npz(testdata("stored.npz"));
  ASSERT_EQ(arrays.size(), 3u);
  EXPECT_EQ(arrays[0].name, "a");
  EXPECT_EQ(arrays[1].name, "b");
  EXPECT_EQ(arrays[2].name, "flags");
  EXPECT_TRUE(equal_bytes(arrays[0].tensor, load_npy(testdata("f4.npy"))));
  EXPECT_TRUE(equal_bytes(arrays[1].tensor, load_npy(testdata("i8.npy"))));
  EXPECT_TRUE(equal_bytes(arrays[2].tensor, load_npy(testdata("b1.npy"))));
}

TEST(Npz, ReadsDeflatedArchivesWrittenByNumpy) {
  std::vector<NamedTensor> arrays = load_npz(testdata("deflated.npz"));
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].name, "a");
  EXPECT_TRUE(equal_bytes(arrays[0].tensor, load_npy(testdata("f4.npy"))));
  EXPECT_EQ(arrays[1].name, "zeros");
  EXPECT_TRUE(equal_bytes(arrays[1].tensor, Tensor({50, 40}, DType::Float64)));
}

TEST(Npz, RoundTripsInOrder) {
  TempDir dir;
  std::vector<NamedTensor> arrays;
  for (const auto& [name, tensor] : expected_arrays()) arrays.push_back({name, tensor});
  save_npz(dir.file("all.npz"), arrays);
  std::vector<NamedTensor> loaded = load_npz(dir.file("all.npz"));
  ASSERT_EQ(loaded.size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    EXPECT_EQ(loaded[i].name, arrays[i].name);
    EXPECT_TRUE(equal_bytes(loaded[i].tensor, arrays[i].tensor)) << arrays[i].name;
  }
  // Members are exactly numpy.save's bytes, so numpy reads them as it reads its own.
  std::vector<ZipEntry> entries = read_zip(dir.file("all.npz"));
  EXPECT_EQ(entries[0].name, "f4.npy");
  EXPECT_EQ(entries[0].data, read_bytes(testdata("f4.npy")));
}

TEST(Npz, RefusesPickledObjectArraysNamingTheMember) {
  expect_error<FormatError>([] { load_npz(testdata("imdb_object.npz")); },
                            {"imdb_object.npz", "x_train.npy", "pickle"});
}

TEST(Npz, RefusesMembersThatAreNotArrays) {
  TempDir dir;
  write_zip(dir.file("mixed.npz"), {{"a.npy", encode_npy(Tensor::scalar(1.0))}, {"notes.txt", {'h', 'i'}}});
  expect_error<FormatError>([&] { load_npz(dir.file("mixed.npz")); },
                            {"mixed.npz", "'notes.txt' is not an .npy array"});
}

// ---- zip structures

// Offset of the first occurrence of a 4-byte little-endian signature.
size_t find_signature(const std::vector<uint8_t>& bytes, uint32_t signature, size_t from = 0) {
  for (size_t i = from; i + 4 <= bytes.size(); ++i)
    if (bytes[i] == (signature & 0xff) && bytes[i + 1] == ((signature >> 8) & 0xff) &&
        bytes[i + 2] == ((signature >> 16) & 0xff) && bytes[i + 3] == (signature >> 24))
      return i;
  ADD_FAILURE() << "signature not found";
  return 0;
}

void put_le32(std::vector<uint8_t>& bytes, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

constexpr uint32_t kCentral = 0x02014b50;
constexpr uint32_t kLocal = 0x04034b50;

TEST(Zip, EveryTruncationIsAFormatError) {
  for (const char* name : {"stored.npz", "deflated.npz"}) {
    std::vector<uint8_t> bytes = read_bytes(testdata(name));
    for (size_t length = 0; length < bytes.size(); ++length) {
      std::span<const uint8_t> prefix(bytes.data(), length);
      EXPECT_THROW(parse_zip(prefix, name), FormatError) << name << " length " << length;
    }
  }
}

TEST(Zip, DetectsDamagedDataByCrc) {
  std::vector<uint8_t> bytes = read_bytes(testdata("stored.npz"));
  bytes[find_signature(bytes, 0x04034b50) + 30 + 5 + 20 + 140] ^= 0x01;  // a data byte of a.npy
  expect_error<FormatError>([&] { parse_zip(bytes, "stored.npz"); }, {"stored.npz", "'a.npy'", "CRC-32"});
}

TEST(Zip, DamagedDeflateDataIsAFormatError) {
  std::vector<uint8_t> original = read_bytes(testdata("deflated.npz"));
  size_t data_start = find_signature(original, 0x04034b50) + 30 + 5 + 20;
  Generator generator(3);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bytes = original;
    bytes[data_start + generator.uniform_int(60)] ^= static_cast<uint8_t>(1 + generator.uniform_int(255));
    EXPECT_THROW(parse_zip(bytes, "deflated.npz"), FormatError);
  }
}

TEST(Zip, RefusesImplausibleDeflateSizes) {
  std::vector<uint8_t> bytes = read_bytes(testdata("deflated.npz"));
  put_le32(bytes, find_signature(bytes, kCentral) + 24, 0xfffffff0u);  // uncompressed size of a.npy
  put_le32(bytes, find_signature(bytes, kLocal) + 22, 0xfffffff0u);    // in both headers
  expect_error<FormatError>([&] { parse_zip(bytes, "deflated.npz"); },
                            {"'a.npy'", "more than deflate can produce"});
}

TEST(Zip, RefusesOverlappingMembers) {
  std::vector<uint8_t> bytes = encode_zip({{"a", {1, 2, 3}}, {"b", {4, 5, 6}}});
  size_t central = find_signature(bytes, kCentral);
  for (size_t sizes : {central + 20, size_t{18}})  // a's sizes, central and local, now cover b's local header
    put_le32(bytes, sizes, 40), put_le32(bytes, sizes + 4, 40);
  expect_error<FormatError>([&] { parse_zip(bytes, "x.zip"); }, {"x.zip", "overlap"});
}

TEST(Zip, RefusesEncryptedAndUnknownMethods) {
  std::vector<uint8_t> original = encode_zip({{"a", {1, 2, 3}}});
  std::vector<uint8_t> encrypted = original;
  encrypted[find_signature(encrypted, kCentral) + 8] |= 1;
  expect_error<FormatError>([&] { parse_zip(encrypted, "x.zip"); }, {"'a'", "encrypted"});
  std::vector<uint8_t> bzip2 = original;
  bzip2[find_signature(bzip2, kCentral) + 10] = 12;
  expect_error<FormatError>([&] { parse_zip(bzip2, "x.zip"); }, {"'a'", "compression method 12"});
}

TEST(Zip, RefusesDuplicateNamesBothWays) {
  EXPECT_THROW(encode_zip({{"a", {}}, {"a", {}}}), InvalidArgument);
  std::vector<uint8_t> bytes = encode_zip({{"a", {1}}, {"b", {2}}});
  bytes[find_signature(bytes, kCentral, find_signature(bytes, kCentral) + 4) + 46] = 'a';  // 2nd central name
  expect_error<FormatError>([&] { parse_zip(bytes, "x.zip"); }, {"duplicate member 'a'"});
}

TEST(Zip, EmptyArchiveAndEmptyMembersRoundTrip) {
  EXPECT_TRUE(parse_zip(encode_zip({}), "empty.zip").empty());
  std::vector<ZipEntry> entries = parse_zip(encode_zip({{"empty", {}}, {"dir/x", {9}}}), "x.zip");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].data.empty());
  EXPECT_EQ(entries[1].name, "dir/x");
  EXPECT_EQ(entries[1].data, std::vector<uint8_t>{9});
}

// A one-member stored archive in Zip64 form: central sizes and offset, the entry count and the central
// directory's size and offset all live in the Zip64 extra field and records.
std::vector<uint8_t> zip64_archive(const std::string& name, const std::vector<uint8_t>& data, uint32_t crc) {
  std::vector<uint8_t> out;
  auto u16 = [&](uint16_t v) { out.push_back(v & 0xff), out.push_back(v >> 8); };
  auto u32 = [&](uint32_t v) { u16(v & 0xffff), u16(v >> 16); };
  auto u64 = [&](uint64_t v) { u32(static_cast<uint32_t>(v)), u32(static_cast<uint32_t>(v >> 32)); };
  // Local header: version 4.5, no flags, stored, 1980-01-01.
  u32(0x04034b50), u16(45), u16(0), u16(0), u16(0), u16(0x21), u32(crc),
      u32(static_cast<uint32_t>(data.size())), u32(static_cast<uint32_t>(data.size())),
      u16(static_cast<uint16_t>(name.size())), u16(0);
  out.insert(out.end(), name.begin(), name.end());
  out.insert(out.end(), data.begin(), data.end());
  uint64_t central_offset = out.size();
  // Central header with sizes and offset moved to the Zip64 extra field (id 1, 24 bytes).
  u32(kCentral), u16(45), u16(45), u16(0), u16(0), u16(0), u16(0x21), u32(crc), u32(0xffffffff),
      u32(0xffffffff), u16(static_cast<uint16_t>(name.size())), u16(28), u16(0), u16(0), u16(0), u32(0),
      u32(0xffffffff);
  out.insert(out.end(), name.begin(), name.end());
  u16(1), u16(24), u64(data.size()), u64(data.size()), u64(0);
  uint64_t central_size = out.size() - central_offset;
  uint64_t record_offset = out.size();
  // Zip64 end record, its locator, and the classic end record that points to them with 0xff...ff.
  u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(1), u64(1), u64(central_size),
      u64(central_offset);
  u32(0x07064b50), u32(0), u64(record_offset), u32(1);
  u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(0);
  return out;
}

TEST(Zip, ReadsZip64Records) {
  std::vector<uint8_t> data = encode_npy(Tensor::from_vector<float>({2}, {1.f, 2.f}));
  uint32_t crc = static_cast<uint32_t>(crc32(0, data.data(), static_cast<uInt>(data.size())));
  std::vector<ZipEntry> entries = parse_zip(zip64_archive("x.npy", data, crc), "zip64.zip");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "x.npy");
  EXPECT_EQ(entries[0].data, data);
}

}  // namespace
}  // namespace cairn
