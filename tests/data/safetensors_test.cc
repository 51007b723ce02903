#include "cairn/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "cairn/random.h"
#include "io/fault_injection_env.h"
#include "data/test_util.h"

namespace cairn {
namespace {

using data_test::expect_error;
using data_test::read_bytes;
using data_test::TempDir;
using data_test::testdata;
using data_test::write_bytes;

const std::string kFixtures = std::string(CAIRN_FIXTURES_DIR) + "/safetensors/";

// A safetensors file: the header's length, the header text as given, then `data` zero bytes.
std::vector<uint8_t> file_bytes(const std::string& header, size_t data = 0) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  out += header;
  out.append(data, '\0');
  return {out.begin(), out.end()};
}

// The tensors tests/data/testdata/make_safetensors.py wrote to small.safetensors, built here independently.
std::vector<NamedTensor> small_tensors() {
  return {
      {"dense/kernel",
       Tensor::from_vector<float>({2, 3}, {0.5f, -1.25f, 3.0f, 1e-3f, std::ldexp(1.0f, -20), 7.0f})},
      {"dense/bias", Tensor::from_vector<float>({3}, {0.0f, -0.0f, 1.5f})},
      {"step", Tensor::from_vector<int64_t>({}, {std::numeric_limits<int64_t>::min()})},
      {"counts", Tensor::from_vector<int32_t>(
                     {4}, {std::numeric_limits<int32_t>::min(), -1, 0, std::numeric_limits<int32_t>::max()})},
      {"pi", Tensor::from_vector<double>({2}, {M_PI, -1e300})},
      {"bytes", Tensor::from_vector<uint8_t>({5}, {0, 1, 127, 128, 255})},
      {"mask", Tensor::from_vector<bool>({2, 2}, {true, false, false, true})},
      {"empty", Tensor({0, 3}, DType::Float32)},
      {"q\"uo\\te\t\xc3\xbc\x01", Tensor::from_vector<double>({1}, {2.5})},
  };
}

const std::map<std::string, std::string> kSmallMetadata = {{"format", "pt"},
                                                           {"note", "tab\t, \"quote\", \xc3\xa9, \x7f"}};

const Tensor* find(const std::vector<NamedTensor>& tensors, const std::string& name) {
  for (const NamedTensor& t : tensors)
    if (t.name == name) return &t.tensor;
  return nullptr;
}

TEST(Safetensors, ReadsTheReferenceSampleOfAnOldWriter) {
  std::string path = kFixtures + "overall.safetensors";
  SafetensorsFile file(path);
  // Header order, which the old writer made alphabetical (its header is not padded: 526 bytes).
  EXPECT_EQ(file.keys(), (std::vector<std::string>{"B", "H", "I", "b", "d", "e", "f", "h", "i"}));
  EXPECT_EQ(file.metadata(), (std::map<std::string, std::string>{{"test", "a"}}));
  EXPECT_EQ(file.data_start(), 8u + 526u);
  const SafetensorsInfo& f = file.info("f");
  EXPECT_EQ(f.dtype, "F32");
  EXPECT_EQ(f.read_dtype, DType::Float32);
  EXPECT_EQ(f.shape, Shape{6});
  EXPECT_EQ(f.begin, 108u);
  EXPECT_EQ(f.end, 132u);

  // The values are -3..2 in every dtype (unsigned ones wrap).
  EXPECT_TRUE(equal_bytes(file.read("B"), Tensor::from_vector<uint8_t>({6}, {253, 254, 255, 0, 1, 2})));
  EXPECT_TRUE(equal_bytes(file.read("i"), Tensor::from_vector<int32_t>({6}, {-3, -2, -1, 0, 1, 2})));
  EXPECT_TRUE(equal_bytes(file.read("f"), Tensor::from_vector<float>({6}, {-3, -2, -1, 0, 1, 2})));
  EXPECT_TRUE(equal_bytes(file.read("d"), Tensor::from_vector<double>({6}, {-3, -2, -1, 0, 1, 2})));
  EXPECT_EQ(file.info("e").dtype, "F16");
  EXPECT_EQ(file.info("e").read_dtype, DType::Float32);
  EXPECT_TRUE(equal_bytes(file.read("e"), Tensor::from_vector<float>({6}, {-3, -2, -1, 0, 1, 2})));

  for (const auto& [key, dtype] : std::vector<std::pair<std::string, std::string>>{
           {"H", "U16"}, {"I", "U32"}, {"b", "I8"}, {"h", "I16"}}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(file.info(key).dtype, dtype);
    EXPECT_FALSE(file.info(key).read_dtype.has_value());
    expect_error<FormatError>([&] { file.read(key); },
                              {path, "tensor '" + key + "'", "dtype " + dtype, "cannot read"});
  }
  // The stored bytes of every dtype are still available: I16 -3..2.
  std::span<const uint8_t> h = file.raw_bytes("h");
  EXPECT_EQ(std::vector<uint8_t>(h.begin(), h.end()),
            (std::vector<uint8_t>{0xfd, 0xff, 0xfe, 0xff, 0xff, 0xff, 0, 0, 1, 0, 2, 0}));

  expect_error<FormatError>([&] { load_safetensors(path); }, {path, "tensor 'H'", "dtype U16"});
  expect_error<InvalidArgument>([&] { file.info("missing"); }, {path, "no tensor 'missing'"});
  EXPECT_FALSE(file.contains("missing"));
  EXPECT_TRUE(file.contains("e"));
}

TEST(Safetensors, ReadsAndRewritesAFileOfTheModernReferenceWriter) {
  std::string path = kFixtures + "jfk-codes.safetensors";
  std::vector<NamedTensor> tensors = load_safetensors(path);
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_EQ(tensors[0].name, "codes");
  const Tensor& codes = tensors[0].tensor;
  ASSERT_EQ(codes.dtype(), DType::Int64);
  EXPECT_EQ(codes.shape(), (Shape{1, 2, 828}));
  // Expected values from python3, reading the raw bytes:
  //   n = struct.unpack('<Q', b[:8])[0]; v = struct.unpack('<1656q', b[8 + n:])
  //   v[:5] = (865, 62, 408, 408, 475); v[827:830] = (658, 200, 518); v[-3:] = (873, 796, 889)
  //   min 0, max 1023, sum 960640
  EXPECT_EQ(codes.get({0, 0, 0}), 865);
  EXPECT_EQ(codes.get({0, 0, 1}), 62);
  EXPECT_EQ(codes.get({0, 0, 4}), 475);
  EXPECT_EQ(codes.get({0, 0, 827}), 658);
  EXPECT_EQ(codes.get({0, 1, 0}), 200);
  EXPECT_EQ(codes.get({0, 1, 1}), 518);
  EXPECT_EQ(codes.get({0, 1, 827}), 889);
  int64_t sum = 0, low = std::numeric_limits<int64_t>::max(), high = std::numeric_limits<int64_t>::min();
  for (int64_t v : codes.span<int64_t>()) sum += v, low = std::min(low, v), high = std::max(high, v);
  EXPECT_EQ(sum, 960640);
  EXPECT_EQ(low, 0);
  EXPECT_EQ(high, 1023);
  EXPECT_EQ(SafetensorsFile(path).data_start(), 80u);  // a 68-byte header padded to 72

  // cairn writes exactly the bytes of the reference writer.
  TempDir dir;
  save_safetensors(dir.file("codes.safetensors"), tensors);
  EXPECT_EQ(read_bytes(dir.file("codes.safetensors")), read_bytes(path));
}

TEST(Safetensors, ReadsAndWritesTheBytesOfTheIndependentPythonWriter) {
  std::vector<NamedTensor> expected = small_tensors();
  std::vector<NamedTensor> loaded = load_safetensors(testdata("small.safetensors"));
  ASSERT_EQ(loaded.size(), expected.size());
  // Header order = offset order = the writer's order: I64, F64, F32, I32, U8, BOOL, then by name.
  std::vector<std::string> names;
  for (const NamedTensor& t : loaded) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"step", "pi", "q\"uo\\te\t\xc3\xbc\x01", "dense/bias",
                                             "dense/kernel", "empty", "counts", "bytes", "mask"}));
  for (const NamedTensor& t : expected) {
    SCOPED_TRACE(t.name);
    const Tensor* got = find(loaded, t.name);
    ASSERT_NE(got, nullptr);
    EXPECT_TRUE(equal_bytes(*got, t.tensor)) << *got << "\nexpected\n" << t.tensor;
  }
  EXPECT_EQ(SafetensorsFile(testdata("small.safetensors")).metadata(), kSmallMetadata);

  TempDir dir;
  save_safetensors(dir.file("small.safetensors"), expected, kSmallMetadata);
  EXPECT_EQ(read_bytes(dir.file("small.safetensors")), read_bytes(testdata("small.safetensors")));
}

TEST(Safetensors, WidensHalfPrecisionToFloat32) {
  SafetensorsFile file(testdata("half.safetensors"));
  Tensor f16 = file.read("f16");
  ASSERT_EQ(f16.dtype(), DType::Float32);
  std::vector<float> values = f16.to_vector<float>();
  std::vector<float> expected = {0.0f,
                                 -0.0f,
                                 1.0f,
                                 -2.5f,
                                 65504.0f,
                                 std::ldexp(1.0f, -24),
                                 std::ldexp(1.5f, -14),
                                 std::numeric_limits<float>::infinity()};
  ASSERT_EQ(values.size(), expected.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(values[i], expected[i]) << i;
    EXPECT_EQ(std::signbit(values[i]), std::signbit(expected[i])) << i;
  }
  EXPECT_TRUE(std::isnan(file.read("f16_nan").item()));
  Tensor bf16 = file.read("bf16");
  EXPECT_EQ(bf16.shape(), (Shape{2, 3}));
  EXPECT_EQ(bf16.to_vector<float>(),
            (std::vector<float>{1.0f, -std::ldexp(1.0f, 127), std::ldexp(1.0f, -133), 0.15625f,
                                -std::numeric_limits<float>::infinity(), 1.5f}));
}

TEST(Safetensors, RoundTripsEveryDtypeScalarsAndEmptyTensors) {
  TempDir dir;
  Generator generator(11);
  std::vector<NamedTensor> tensors;
  const DType dtypes[] = {DType::Float32, DType::Float64, DType::Int32,
                          DType::Int64,   DType::UInt8,   DType::Bool};
  for (DType dtype : dtypes) {
    std::string name(dtype_name(dtype));
    for (const Shape& shape : {Shape{3, 5, 7}, Shape{}, Shape{0}, Shape{4, 0, 2}}) {
      Tensor tensor(shape, dtype);
      auto* bytes = static_cast<uint8_t*>(tensor.raw_data());
      for (size_t i = 0; i < tensor.nbytes(); ++i)
        bytes[i] =
            dtype == DType::Bool ? generator.next_u32() & 1 : static_cast<uint8_t>(generator.next_u32());
      tensors.push_back({name + "/" + shape_str(shape), tensor});
    }
  }
  // Larger than the file's write buffer, so that it is streamed.
  Tensor big({300, 1000}, DType::Float32);
  for (float& v : big.span<float>()) v = static_cast<float>(generator.next_u32()) / 7.0f;
  tensors.push_back({"big", big});

  std::map<std::string, std::string> metadata = {{"epoch", "3"}, {"", ""}, {"unicode", "\xe2\x88\x87"}};
  std::string path = dir.file("all.safetensors");
  save_safetensors(path, tensors, metadata);
  SafetensorsFile file(path);
  EXPECT_EQ(file.metadata(), metadata);
  ASSERT_EQ(file.keys().size(), tensors.size());
  EXPECT_EQ(file.data_start() % 8, 0u);
  for (const NamedTensor& t : tensors) {
    SCOPED_TRACE(t.name);
    Tensor loaded = file.read(t.name);
    EXPECT_TRUE(equal_bytes(loaded, t.tensor));
    // The writer's dtype order puts every tensor at a multiple of its element size.
    EXPECT_EQ((file.data_start() + file.info(t.name).begin) % dtype_size(t.tensor.dtype()), 0u);
  }
  std::vector<NamedTensor> all = load_safetensors(path);
  ASSERT_EQ(all.size(), tensors.size());
  EXPECT_EQ(all.front().name, "int64/()");  // I64 first and BOOL last, each sorted by name
  EXPECT_EQ(all.back().name, "bool/(4, 0, 2)");
}

TEST(Safetensors, WritesAnEmptyFile) {
  TempDir dir;
  save_safetensors(dir.file("none.safetensors"), {});
  std::vector<uint8_t> expected = file_bytes("{}      ");
  EXPECT_EQ(read_bytes(dir.file("none.safetensors")), expected);
  EXPECT_TRUE(load_safetensors(dir.file("none.safetensors")).empty());
}

TEST(Safetensors, RefusesInvalidArgumentsBeforeWritingAnything) {
  TempDir dir;
  std::string path = dir.file("t.safetensors");
  Tensor one = Tensor::scalar(1);
  auto refused = [&](const std::vector<NamedTensor>& tensors,
                     const std::map<std::string, std::string>& metadata, const std::string& part) {
    SCOPED_TRACE(part);
    expect_error<InvalidArgument>([&] { save_safetensors(path, tensors, metadata); }, {path, part});
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  };
  refused({{"a", one}, {"a", one}}, {}, "'a' is given twice");
  refused({{"__metadata__", one}}, {}, "reserved");
  refused({{"a", Tensor()}}, {}, "'a' is undefined");
  refused({{"bad\xff", one}}, {}, "not valid UTF-8");
  refused({{"a", one}}, {{"k", "\xc0\xaf"}}, "metadata entry 'k' is not valid UTF-8");
}

TEST(Safetensors, AcceptsWhatTheReferenceReaderAccepts) {
  TempDir dir;
  std::string path = dir.file("t.safetensors");
  auto open = [&](const std::string& header, size_t data) {
    write_bytes(path, file_bytes(header, data));
    return SafetensorsFile(path);
  };
  // Surrounding whitespace, unknown fields of any JSON value, field order, null metadata, escapes.
  SafetensorsFile a = open(
      " \n{\"__metadata__\":null, \"x\\u00e9\\ud83d\\ude00\\/\" : "
      "{\"data_offsets\":[0,4],\"extra\":{\"x\":[1,"
      "{\"y\":null},true,false,-1.5e+3,0,\"s\"]},\"shape\":[1],\"dtype\":\"I32\"}}\t\r\n ",
      4);
  EXPECT_EQ(a.keys(), std::vector<std::string>{"x\xc3\xa9\xf0\x9f\x98\x80/"});
  EXPECT_TRUE(a.metadata().empty());
  EXPECT_EQ(a.read(a.keys()[0]).item(), 0);
  // Zero-size tensors share an offset with the next; offsets need not follow the header's order.
  SafetensorsFile b = open(
      "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[2,2]},"
      "\"c\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[0,0]},"
      "\"big\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,0],\"data_offsets\":[2,2]}}",
      2);
  EXPECT_EQ(b.keys(), (std::vector<std::string>{"b", "a", "c", "big"}));
  EXPECT_EQ(b.read("a").shape(), (Shape{0, 5}));
  EXPECT_EQ(b.read("big").numel(), 0);
  // Sub-byte dtypes are validated and listed; reading them is refused.
  SafetensorsFile c = open("{\"q\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]}}", 2);
  EXPECT_EQ(c.info("q").dtype, "F4");
  expect_error<FormatError>([&] { c.read("q"); }, {"tensor 'q'", "dtype F4"});
}

struct HostileHeader {
  std::string header;
  size_t data;
  std::vector<std::string> parts;  // besides the file's path
};

TEST(Safetensors, RefusesEveryHostileHeader) {
  const std::string f32 = "\"dtype\":\"F32\",";
  const std::vector<HostileHeader> cases = {
      {"", 0, {"not a JSON object"}},
      {"[1,2]", 0, {"not a JSON object", "found '['"}},
      {"{\"a\":", 0, {"tensor 'a' is not a JSON object", "found the end of the header"}},
      {"{} x", 0, {"characters after the header's JSON object"}},
      {std::string("{}\0", 3), 0, {"characters after", "found '\\x00'"}},
      {"{\"\xff\":1}", 0, {"not valid UTF-8", "header byte 2"}},
      {"{\"\xc0\xaf\":1}", 0, {"not valid UTF-8"}},
      {"{\"\xed\xa0\x80\":1}", 0, {"not valid UTF-8"}},
      {"{\"a\":1}", 0, {"tensor 'a' is not a JSON object"}},
      {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, {"tensor 'a' has no \"dtype\""}},
      {"{\"a\":{" + f32 + "\"data_offsets\":[0,4]}}", 4, {"tensor 'a' has no \"shape\""}},
      {"{\"a\":{" + f32 + "\"shape\":[1]}}", 4, {"tensor 'a' has no \"data_offsets\""}},
      {"{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}",
       4,
       {"tensor 'a'", "unknown dtype 'F33'"}},
      {"{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, {"unknown dtype 'f32'"}},
      {"{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, {"the dtype of tensor 'a'"}},
      {"{\"a\":{" + f32 + "\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, {"shape of tensor 'a' is negative"}},
      {"{\"a\":{" + f32 + "\"shape\":[1.0],\"data_offsets\":[0,4]}}",
       4,
       {"shape of tensor 'a' is not an integer"}},
      {"{\"a\":{" + f32 + "\"shape\":[1e0],\"data_offsets\":[0,4]}}", 4, {"is not an integer"}},
      {"{\"a\":{" + f32 + "\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, {"not a non-negative integer"}},
      {"{\"a\":{" + f32 + "\"shape\":[01],\"data_offsets\":[0,4]}}", 4, {"leading zero"}},
      {"{\"a\":{" + f32 + "\"shape\":1,\"data_offsets\":[0,4]}}",
       4,
       {"shape of tensor 'a' is not a JSON array"}},
      {"{\"a\":{" + f32 + "\"shape\":[18446744073709551616],\"data_offsets\":[0,4]}}", 4, {"64 bits"}},
      {"{\"a\":{" + f32 + "\"shape\":[9223372036854775808,0],\"data_offsets\":[0,0]}}",
       0,
       {"tensor 'a'", "2^63"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4,8]}}",
       4,
       {"tensor 'a'", "3 elements instead of 2"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[4]}}", 4, {"1 elements instead of 2"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[4,8]}}", 8, {"tensor 'a'", "[4, 8)", "a gap"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{" + f32 +
           "\"shape\":[1],\"data_offsets\":[8,12]}}",
       12,
       {"tensor 'b'", "a gap"}},
      {"{\"a\":{" + f32 + "\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{" + f32 +
           "\"shape\":[1],\"data_offsets\":[4,8]}}",
       8,
       {"tensor 'b'", "overlap"}},
      {"{\"a\":{" + f32 + "\"shape\":[0],\"data_offsets\":[8,4]}}",
       8,
       {"tensor 'a'", "end before they begin"}},
      {"{\"a\":{" + f32 + "\"shape\":[2],\"data_offsets\":[0,4]}}",
       4,
       {"tensor 'a'", "needs 8 bytes", "hold 4"}},
      {"{\"a\":{\"dtype\":\"BOOL\",\"shape\":[2,3],\"data_offsets\":[0,7]}}",
       7,
       {"tensor 'a'", "needs 6 bytes"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4]}}",
       5,
       {"tensor 'a'", "1 bytes after the end"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4]}}", 3, {"tensor 'a'", "truncated"}},
      {"{}", 3, {"3 bytes after the end"}},
      {"{\"a\":{" + f32 + "\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{" + f32 +
           "\"shape\":[0],\"data_offsets\":[0,0]}}",
       0,
       {"tensor 'a' appears twice"}},
      {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, {"\"__metadata__\" appears twice"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,4]}}",
       4,
       {"tensor 'a' has field \"shape\" twice"}},
      {"{\"__metadata__\":{\"k\":1}}", 0, {"\"__metadata__\" value of 'k' is not a string"}},
      {"{\"__metadata__\":{\"k\":null}}", 0, {"value of 'k' is not a string"}},
      {"{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0, {"value of 'k' is not a string"}},
      {"{\"__metadata__\":\"x\"}", 0, {"\"__metadata__\" is not a JSON object"}},
      {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, {"\"__metadata__\" key 'k' appears twice"}},
      {"{\"a\":{" + f32 + "\"shape\":[4294967296,4294967296,0],\"data_offsets\":[0,0]}}",
       0,
       {"tensor 'a'", "number of elements overflows"}},
      {"{\"a\":{\"dtype\":\"F64\",\"shape\":[1152921504606846976],\"data_offsets\":[0,0]}}",
       0,
       {"tensor 'a'", "size overflows"}},
      {"{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}",
       2,
       {"tensor 'a'", "not a whole number of bytes"}},
      // A claim of 4 TiB in a tiny file fails on the sizes, before anything is allocated.
      {"{\"a\":{" + f32 + "\"shape\":[1048576,1048576],\"data_offsets\":[0,4398046511104]}}",
       16,
       {"tensor 'a'", "need 4398046511104 bytes", "truncated"}},
      {"{\"\\ud800\":1}", 0, {"lone high surrogate"}},
      {"{\"\\udc00\":1}", 0, {"lone low surrogate"}},
      {"{\"\\ud800\\u0041\":1}", 0, {"not followed by a low one"}},
      {"{\"\\u12g4\":1}", 0, {"invalid \\u escape"}},
      {"{\"a\x01\":1}", 0, {"control character"}},
      {"{\"a\\x\":1}", 0, {"invalid escape"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4],\"x\":" + std::string(200, '[') +
           std::string(200, ']') + "}}",
       4,
       {"nested deeper than 128"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4],\"x\":01}}", 4, {"expected '}' or ','"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4],\"x\":tru}}", 4, {"invalid JSON value"}},
      {"{\"a\":{" + f32 + "\"shape\":[1],\"data_offsets\":[0,4]},}", 4, {"expected a tensor key"}},
      {"{\"a\" {}}", 0, {"expected ':' after key 'a'"}},
  };
  TempDir dir;
  std::string path = dir.file("hostile.safetensors");
  for (const HostileHeader& c : cases) {
    SCOPED_TRACE(c.header.substr(0, 120));
    write_bytes(path, file_bytes(c.header, c.data));
    std::vector<std::string> parts = c.parts;
    parts.push_back(path + ": not a valid safetensors file: ");
    expect_error<FormatError>([&] { SafetensorsFile file(path); }, parts);
    expect_error<FormatError>([&] { load_safetensors(path); }, parts);
  }
}

TEST(Safetensors, RefusesBadHeaderLengths) {
  TempDir dir;
  std::string path = dir.file("t.safetensors");
  for (size_t size = 0; size < 8; ++size) {
    write_bytes(path, std::vector<uint8_t>(size, 0));
    expect_error<FormatError>([&] { SafetensorsFile file(path); }, {path, "fewer than the 8"});
  }
  auto with_length = [](uint64_t length, size_t size) {
    std::vector<uint8_t> bytes(size, ' ');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(length >> (8 * i));
    return bytes;
  };
  write_bytes(path, with_length(100'000'001, 64));
  expect_error<FormatError>([&] { SafetensorsFile file(path); }, {path, "exceeds the limit of 100000000"});
  write_bytes(path, with_length(99'999'999, 64));
  expect_error<FormatError>([&] { SafetensorsFile file(path); }, {path, "header length 99999999 overruns"});
  write_bytes(path, with_length(~uint64_t{0}, 64));
  expect_error<FormatError>([&] { SafetensorsFile file(path); }, {path, "exceeds the limit"});
}

TEST(Safetensors, RefusesEveryTruncationAndAnExtraByte) {
  std::vector<uint8_t> whole = read_bytes(testdata("small.safetensors"));
  TempDir dir;
  std::string path = dir.file("cut.safetensors");
  for (size_t size = 0; size < whole.size(); ++size) {
    SCOPED_TRACE(size);
    write_bytes(path, std::vector<uint8_t>(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(size)));
    expect_error<FormatError>([&] { load_safetensors(path); }, {path + ": not a valid safetensors file: "});
  }
  std::vector<uint8_t> longer = whole;
  longer.push_back(0);
  write_bytes(path, longer);
  expect_error<FormatError>([&] { load_safetensors(path); },
                            {path, "tensor 'mask'", "1 bytes after the end"});
}

// Random damage to the header either still describes valid tensors or is a FormatError; it never
// crashes or reads outside the file (the sanitizer build checks the latter).
TEST(Safetensors, RandomHeaderDamageIsRefusedOrHarmless) {
  const std::vector<uint8_t> whole = read_bytes(testdata("small.safetensors"));
  const size_t header_end = 8 + 624;  // the 624-byte header of small.safetensors
  TempDir dir;
  std::string path = dir.file("damaged.safetensors");
  Generator generator(5);
  int refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<uint8_t> bytes = whole;
    for (int flips = 1 + static_cast<int>(generator.next_u32() % 3); flips > 0; --flips)
      bytes[generator.next_u32() % header_end] = static_cast<uint8_t>(generator.next_u32());
    write_bytes(path, bytes);
    try {
      for (const NamedTensor& t : load_safetensors(path)) EXPECT_LE(t.tensor.nbytes(), bytes.size());
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, 200);  // most damage is detected
}

TEST(Safetensors, RefusesBoolBytesOtherThanZeroAndOne) {
  TempDir dir;
  std::string path = dir.file("t.safetensors");
  std::vector<uint8_t> bytes =
      file_bytes("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", 3);
  bytes[bytes.size() - 2] = 2;
  write_bytes(path, bytes);
  SafetensorsFile file(path);  // values are not the header's business
  expect_error<FormatError>([&] { file.read("m"); }, {path, "tensor 'm'", "byte 2", "element 1"});
}

TEST(Safetensors, OpenFailuresAreIOErrors) {
  TempDir dir;
  expect_error<IOError>([&] { SafetensorsFile file(dir.file("missing.safetensors")); },
                        {dir.file("missing.safetensors")});
  expect_error<IOError>([&] { SafetensorsFile file(dir.path()); }, {dir.path(), "not a regular file"});
}

TEST(Safetensors, AFileStaysReadableAfterItsObjectIsMoved) {
  SafetensorsFile moved(testdata("small.safetensors"));
  SafetensorsFile file = std::move(moved);
  EXPECT_EQ(file.read("bytes").to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 127, 128, 255}));
}

// Every failing file operation of a save, and a crash after it, leaves the previous file whole.
TEST(Safetensors, AFailedSaveLeavesThePreviousFileIntact) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  FaultInjectionEnv env(Env::Default());
  std::vector<NamedTensor> old_tensors = {{"w", Tensor::from_vector<float>({2}, {1, 2})}};
  save_safetensors(env, path, old_tensors);
  const std::vector<uint8_t> old_bytes = read_bytes(path);
  std::vector<NamedTensor> new_tensors = small_tensors();
  new_tensors.push_back({"big", Tensor::full({200, 100}, 0.5)});  // appended in more than one write

  int before = env.operation_count();
  save_safetensors(env, dir.file("probe.safetensors"), new_tensors, kSmallMetadata);
  int operations = env.operation_count() - before;
  const std::vector<uint8_t> new_bytes = read_bytes(dir.file("probe.safetensors"));
  std::filesystem::remove(dir.file("probe.safetensors"));
  ASSERT_GE(operations, 6);  // create, appends, sync, close, rename, sync_dir

  auto only_the_file_is_left = [&] {
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      EXPECT_EQ(entry.path().filename().string(), "model.safetensors");
  };
  for (bool short_write : {false, true}) {
    for (int n = 1; n <= operations; ++n) {
      SCOPED_TRACE("operation " + std::to_string(n) + (short_write ? " (short write)" : ""));
      save_safetensors(env, path, old_tensors);
      env.fail_nth(n, std::nullopt, short_write ? ENOSPC : EIO, short_write);
      EXPECT_THROW(save_safetensors(env, path, new_tensors, kSmallMetadata), IOError);
      EXPECT_TRUE(env.fault_fired());
      env.clear_fault();
      // Only the final directory sync comes after the rename, which has then put the new file in place.
      EXPECT_EQ(read_bytes(path), n == operations ? new_bytes : old_bytes);
      only_the_file_is_left();
      // A crash now undoes the rename that no directory sync made durable.
      env.drop_unsynced_data();
      EXPECT_EQ(read_bytes(path), old_bytes);
      only_the_file_is_left();
    }
  }
  // A save that succeeds survives a crash.
  save_safetensors(env, path, new_tensors, kSmallMetadata);
  env.drop_unsynced_data();
  EXPECT_EQ(read_bytes(path), new_bytes);
}

}  // namespace
}  // namespace cairn
