#include "cairn/tensor_bundle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "cairn/internal/io/coding.h"
#include "cairn/internal/io/crc32c.h"
#include "checkpoint/proto/tensor_bundle.pb.h"
#include "checkpoint/proto/trackable_object_graph.pb.h"
#include "checkpoint/table.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

const std::string kFixture = std::string(CAIRN_FIXTURES_DIR) + "/tf_checkpoint/variables";

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i < hex.size();) {
    if (hex[i] == ' ' || hex[i] == '\n') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Reads every tensor of a checkpoint, strings included.
void read_everything(const std::string& prefix) {
  BundleReader reader(Env::Default(), prefix);
  for (const std::string& key : reader.keys()) {
    if (reader.info(key).tf_dtype == kTfDtypeString) {
      reader.read_strings(key);
    } else {
      reader.read(key);
    }
  }
}

TEST(Bundle, WorkedExampleOfTheFormatsDocumentIsReproducedByteForByte) {
  TempDir dir;
  std::string prefix = dir / "variables";
  BundleWriter writer(Env::Default(), prefix);
  writer.add("b", Tensor::from_vector<float>({1}, {0.0f}));
  Tensor w({1}, DType::Float32);
  std::memcpy(w.raw_data(), "\xdc\x9c\x5b\xbf", 4);
  writer.add("w", w);
  writer.finish();

  std::string expected_index = from_hex(
      "000006 08011a020801"
      "00010f 62 0801120412020801 2804 35a67b113a"
      "000111 77 0801120412020801 2004 2804 357505531b"
      "00000000 01000000"
      "00 c007b33c"
      "00000000 01000000 00 c0f2a1b0"
      "000102 78 0039 00000000 01000000"
      "00 53ee0f5d"
      "3e084b0e" + std::string(72, '0') + "57fb808b247547db");
  ASSERT_EQ(expected_index.size(), 142u);
  EXPECT_EQ(read_bytes(prefix + ".index"), expected_index);
  EXPECT_EQ(read_bytes(prefix + ".data-00000-of-00001"), from_hex("00000000 dc9c5bbf"));

  BundleReader reader(Env::Default(), prefix);
  EXPECT_EQ(reader.keys(), (std::vector<std::string>{"b", "w"}));
  EXPECT_EQ(std::memcmp(reader.read("w").raw_data(), "\xdc\x9c\x5b\xbf", 4), 0);
  EXPECT_EQ(reader.info("w").offset, 4u);
  EXPECT_EQ(reader.info("w").masked_crc32c, 0x1b530575u);
}

TEST(Bundle, ReadsTheTensorFlowFixture) {
  BundleReader reader(Env::Default(), kFixture);
  ASSERT_EQ(reader.keys().size(), 28u);  // 29 table entries with the header
  EXPECT_TRUE(std::is_sorted(reader.keys().begin(), reader.keys().end()));
  EXPECT_EQ(reader.keys().front(), "_CHECKPOINTABLE_OBJECT_GRAPH");
  EXPECT_FALSE(reader.contains(""));

  const BundleEntryInfo& kernel0 = reader.info("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(kernel0.tf_dtype, 1);
  EXPECT_EQ(kernel0.dtype, DType::Float32);
  EXPECT_EQ(kernel0.shape, (Shape{5, 5}));
  EXPECT_EQ(kernel0.size, 100u);

  Tensor kernel2 = reader.read("layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(kernel2.shape(), (Shape{5, 1}));
  EXPECT_EQ(kernel2.to_vector<float>(),
            (std::vector<float>{-0.3279283046722412f, 0.3953714370727539f, 0.6755032539367676f,
                                0.04416966065764427f, -0.9291467666625977f}));
  Tensor bias0 = reader.read("layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(bias0.to_vector<float>(), (std::vector<float>{0.000999363837763667f, 0, 0, 0.000999550218693912f, 0}));

  Tensor iter = reader.read("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(iter.dtype(), DType::Int64);
  EXPECT_EQ(iter.rank(), 0);
  EXPECT_EQ(iter.data<int64_t>()[0], 1);
  EXPECT_EQ(reader.info("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE").offset, 264u);  // not 8-aligned
  EXPECT_FLOAT_EQ(static_cast<float>(reader.read("optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE").item()), 0.9f);
  EXPECT_FLOAT_EQ(static_cast<float>(reader.read("optimizer/beta_2/.ATTRIBUTES/VARIABLE_VALUE").item()), 0.999f);
  EXPECT_FLOAT_EQ(static_cast<float>(reader.read("optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE").item()),
                  0.001f);
  EXPECT_EQ(reader.read("optimizer/decay/.ATTRIBUTES/VARIABLE_VALUE").item(), 0.0);

  // Every tensor reads with its checksum verified.
  read_everything(kFixture);
}

// Values of tests/fixtures/tf_checkpoint_snappy (formulas in its generate.py), whose index blocks
// are Snappy-compressed as TensorFlow 1.0 and 1.1 wrote them.
TEST(Bundle, ReadsATensorFlowCheckpointWithASnappyCompressedIndex) {
  BundleReader reader(Env::Default(), std::string(CAIRN_FIXTURES_DIR) + "/tf_checkpoint_snappy/model.ckpt");
  ASSERT_EQ(reader.keys().size(), 291u);
  for (int i = 0; i < 48; ++i) {
    char layer[16];
    std::snprintf(layer, sizeof layer, "layer_%02d/", i);
    std::vector<float> kernel(12), bias(3);
    for (int k = 0; k < 12; ++k) kernel[k] = static_cast<float>(k + 16 * i) / 8 - 3;
    for (int k = 0; k < 3; ++k) bias[k] = -static_cast<float>(k + i) / 4;
    for (auto& [name, values, shape] : {std::tuple{"kernel", kernel, Shape{4, 3}}, std::tuple{"bias", bias, Shape{3}}}) {
      const std::string key = layer + std::string(name);
      for (auto [suffix, scale] : {std::pair{"", 1.0f}, std::pair{"/Adam", 0.5f}, std::pair{"/Adam_1", 0.25f}}) {
        Tensor value = reader.read(key + suffix);
        ASSERT_EQ(value.shape(), shape) << key << suffix;
        std::vector<float> expected = values;
        for (float& x : expected) x *= scale;
        ASSERT_EQ(value.to_vector<float>(), expected) << key << suffix;
      }
    }
  }
  EXPECT_FLOAT_EQ(reader.read("beta1_power").to_vector<float>()[0], 0.9f * 0.9f * 0.9f);
  EXPECT_FLOAT_EQ(reader.read("beta2_power").to_vector<float>()[0], 0.999f * 0.999f * 0.999f);
  Tensor step = reader.read("global_step");
  EXPECT_EQ(step.dtype(), DType::Int64);
  EXPECT_EQ(step.data<int64_t>()[0], 3);
}

TEST(Bundle, FixtureObjectGraphParsesAndNamesTheStoredKeys) {
  BundleReader reader(Env::Default(), kFixture);
  const BundleEntryInfo& info = reader.info("_CHECKPOINTABLE_OBJECT_GRAPH");
  EXPECT_EQ(info.tf_dtype, kTfDtypeString);
  EXPECT_FALSE(info.dtype.has_value());
  EXPECT_TRUE(info.shape.empty());
  std::string serialized = reader.read_string("_CHECKPOINTABLE_OBJECT_GRAPH");
  EXPECT_EQ(serialized.size(), 4647u);

  proto::TrackableObjectGraph graph;
  ASSERT_TRUE(graph.ParseFromString(serialized));
  ASSERT_GT(graph.nodes_size(), 10);
  int attributes = 0;
  for (const auto& node : graph.nodes()) {
    for (const auto& child : node.children()) EXPECT_LT(child.node_id(), graph.nodes_size());
    for (const auto& attribute : node.attributes()) {
      EXPECT_TRUE(reader.contains(attribute.checkpoint_key())) << attribute.checkpoint_key();
      ++attributes;
    }
  }
  EXPECT_EQ(attributes, 27);  // every key but the graph itself
  bool found_layer = false;
  for (const auto& child : graph.nodes(0).children()) found_layer |= child.local_name() == "layer_with_weights-0";
  EXPECT_TRUE(found_layer);

  std::string message = message_of([&] { reader.read("_CHECKPOINTABLE_OBJECT_GRAPH"); });
  EXPECT_NE(message.find("_CHECKPOINTABLE_OBJECT_GRAPH"), std::string::npos) << message;
  EXPECT_NE(message.find("dtype 7"), std::string::npos) << message;
}

TEST(Bundle, RoundTripsEveryDtypeScalarsAndEmptyTensors) {
  TempDir dir;
  std::string prefix = dir / "ckpt-1";
  std::vector<std::pair<std::string, Tensor>> tensors = {
      {"f32", Tensor::from_vector<float>({2, 3}, {1.5f, -2, 0, std::numeric_limits<float>::infinity(), 1e-30f, 7})},
      {"f64", Tensor::from_vector<double>({3}, {M_PI, -1e300, 0.1})},
      {"i32", Tensor::from_vector<int32_t>({2, 2}, {-1, 2147483647, -2147483647 - 1, 0})},
      {"i64", Tensor::from_vector<int64_t>({2}, {std::numeric_limits<int64_t>::min(), 1234567890123LL})},
      {"u8", Tensor::from_vector<uint8_t>({4}, {0, 1, 128, 255})},
      {"bool", Tensor::from_vector<bool>({3}, {true, false, true})},
      {"scalar_f32", Tensor::scalar(3.25)},
      {"scalar_i64", Tensor::scalar(42, DType::Int64)},
      {"scalar_bool", Tensor::scalar(1, DType::Bool)},
      {"empty", Tensor({0}, DType::Float32)},
      {"empty_2x0", Tensor({2, 0}, DType::Int32)},
  };
  {
    BundleWriter writer(Env::Default(), prefix);
    for (const auto& [key, tensor] : tensors) writer.add(key, tensor);
    writer.finish();
  }
  BundleReader reader(Env::Default(), prefix);
  EXPECT_EQ(reader.keys().size(), tensors.size());
  for (const auto& [key, tensor] : tensors) {
    Tensor loaded = reader.read(key);
    EXPECT_TRUE(equal_bytes(loaded, tensor)) << key << ": " << loaded << " vs " << tensor;
    EXPECT_EQ(reader.info(key).tf_dtype, tf_dtype_number(tensor.dtype()));
  }
  EXPECT_EQ(reader.info("empty_2x0").shape, (Shape{2, 0}));
  EXPECT_EQ(reader.info("empty").size, 0u);
}

TEST(Bundle, DtypeNumbersAreTensorFlows) {
  EXPECT_EQ(tf_dtype_number(DType::Float32), 1);
  EXPECT_EQ(tf_dtype_number(DType::Float64), 2);
  EXPECT_EQ(tf_dtype_number(DType::Int32), 3);
  EXPECT_EQ(tf_dtype_number(DType::UInt8), 4);
  EXPECT_EQ(tf_dtype_number(DType::Int64), 9);
  EXPECT_EQ(tf_dtype_number(DType::Bool), 10);
  for (DType d : {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::UInt8, DType::Bool})
    EXPECT_EQ(dtype_from_tf_number(tf_dtype_number(d)), d);
  EXPECT_FALSE(dtype_from_tf_number(14).has_value());  // bfloat16
  EXPECT_FALSE(dtype_from_tf_number(7).has_value());   // string
}

TEST(Bundle, LargeTensorIsStreamedAndReadBack) {
  TempDir dir;
  std::string prefix = dir / "big";
  Tensor big({1000, 1001}, DType::Float32);
  std::mt19937 rng(3);
  for (float& v : big.span<float>()) v = static_cast<float>(rng()) / 1e9f;
  {
    BundleWriter writer(Env::Default(), prefix);
    writer.add("small", Tensor::scalar(1));
    writer.add("big", big);
    writer.add("after", Tensor::scalar(2));
    writer.finish();
  }
  EXPECT_EQ(Env::Default().file_size(bundle_data_path(prefix)), 4u + big.nbytes() + 4u);
  BundleReader reader(Env::Default(), prefix);
  EXPECT_TRUE(equal_bytes(reader.read("big"), big));
  EXPECT_EQ(reader.read("after").item(), 2.0);
  EXPECT_EQ(reader.info("after").offset, 4u + big.nbytes());
}

TEST(Bundle, ReadIntoFillsCallerMemoryWithTheSameChecksAsRead) {
  TempDir dir;
  std::string prefix = dir / "into";
  Tensor values = Tensor::from_values({2, 3}, {1.5, -2, 3, 0.25, 1e6, -7});
  {
    BundleWriter writer(Env::Default(), prefix);
    writer.add("values", values);
    writer.add("flags", Tensor::from_vector<bool>({3}, {true, false, true}));
    writer.add_string("text", "not a tensor");
    writer.finish();
  }
  BundleReader reader(Env::Default(), prefix);
  std::vector<float> floats(6, 99.f);
  reader.read_into("values", floats.data(), floats.size() * sizeof(float));
  EXPECT_EQ(floats, values.to_vector<float>());
  bool flags[3] = {false, true, false};
  reader.read_into("flags", flags, sizeof flags);
  EXPECT_TRUE(flags[0] && !flags[1] && flags[2]);

  std::vector<float> small(5, 99.f);
  EXPECT_NE(message_of([&] { reader.read_into("values", small.data(), small.size() * sizeof(float)); })
                .find("'values' holds 24 bytes, but 20 were asked for"),
            std::string::npos);
  EXPECT_EQ(small, std::vector<float>(5, 99.f));
  EXPECT_THROW(reader.read_into("text", floats.data(), 4), FormatError);
  EXPECT_THROW(reader.read_into("absent", floats.data(), 4), InvalidArgument);

  std::string data = read_bytes(bundle_data_path(prefix));
  data[5] = static_cast<char>(data[5] ^ 0x01);
  write_bytes(bundle_data_path(prefix), data);
  BundleReader damaged(Env::Default(), prefix);
  EXPECT_NE(message_of([&] { damaged.read_into("values", floats.data(), floats.size() * sizeof(float)); })
                .find("checksum mismatch"),
            std::string::npos);
}

TEST(Bundle, VerifyChecksEveryPieceOfALargeTensorAsReadDoes) {
  TempDir dir;
  std::string prefix = dir / "verify";
  Tensor big({1000, 1001}, DType::Float32);  // 4 MB: sixteen pieces of the reader's buffer
  std::mt19937 rng(4);
  for (float& v : big.span<float>()) v = static_cast<float>(rng()) / 1e9f;
  {
    BundleWriter writer(Env::Default(), prefix);
    writer.add("big", big);
    writer.add("empty", Tensor({0}));
    writer.add("flags", Tensor::from_vector<bool>({3}, {true, false, true}));
    writer.add_string("text", "not a tensor");
    writer.finish();
  }
  {
    BundleReader reader(Env::Default(), prefix);
    EXPECT_NO_THROW(reader.verify("big"));
    EXPECT_NO_THROW(reader.verify("empty"));
    EXPECT_NO_THROW(reader.verify("flags"));
    EXPECT_THROW(reader.verify("text"), FormatError);
    EXPECT_THROW(reader.verify("absent"), InvalidArgument);
  }
  const std::string original = read_bytes(bundle_data_path(prefix));
  for (size_t at : {size_t{0}, size_t{3'000'001}, big.nbytes() - 1}) {
    std::string data = original;
    data[at] = static_cast<char>(data[at] ^ 0x20);
    write_bytes(bundle_data_path(prefix), data);
    BundleReader damaged(Env::Default(), prefix);
    EXPECT_NE(message_of([&] { damaged.verify("big"); }).find("checksum mismatch"), std::string::npos) << at;
  }
  write_bytes(bundle_data_path(prefix), original.substr(0, 2'000'000));
  BundleReader truncated(Env::Default(), prefix);
  EXPECT_THROW(truncated.verify("big"), FormatError);
}

// Millions of empty strings cost little on disk but about 40 bytes each in memory: refused before reading.
TEST(Bundle, TooManyStringsAreRefusedBeforeTheyAreRead) {
  TempDir dir;
  std::string prefix = dir / "strings";
  const int64_t count = (int64_t{1} << 22) + 1;
  {
    BundleWriter writer(Env::Default(), prefix);
    writer.add_strings("many", {count}, std::vector<std::string>(static_cast<size_t>(count)));
    writer.finish();
  }
  BundleReader reader(Env::Default(), prefix);
  const std::string message = message_of([&] { reader.read_strings("many"); });
  EXPECT_NE(message.find(prefix), std::string::npos) << message;
  EXPECT_NE(message.find("4194305 strings"), std::string::npos) << message;
  EXPECT_THROW(reader.read_strings("many"), ResourceLimitError);
}

TEST(Bundle, StringTensorsRoundTrip) {
  TempDir dir;
  std::string prefix = dir / "strings";
  std::vector<std::string> values = {"", "abc", std::string("bin\0ary\xff", 8), std::string(300, 'z')};
  {
    BundleWriter writer(Env::Default(), prefix);
    writer.add_strings("list", {2, 2}, values);
    writer.add_string("one", "hello");
    writer.add_strings("none", {0}, {});
    EXPECT_THROW(writer.add_strings("bad", {3}, {"a"}), ShapeError);
    writer.finish();
  }
  BundleReader reader(Env::Default(), prefix);
  EXPECT_EQ(reader.read_strings("list"), values);
  EXPECT_EQ(reader.info("list").shape, (Shape{2, 2}));
  EXPECT_EQ(reader.read_string("one"), "hello");
  EXPECT_TRUE(reader.read_strings("none").empty());
  EXPECT_THROW(reader.read_string("list"), ShapeError);
  // Layout of "one": varint length 5, masked CRC of the length as uint32, the bytes.
  const BundleEntryInfo& one = reader.info("one");
  EXPECT_EQ(one.size, 1u + 4u + 5u);
  std::string data = read_bytes(bundle_data_path(prefix)).substr(one.offset, one.size);
  uint32_t crc = crc32c::value(std::string("\x05\0\0\0", 4));
  std::string checksum;
  coding::put_fixed32(checksum, crc32c::mask(crc));
  EXPECT_EQ(data, "\x05" + checksum + "hello");
  EXPECT_EQ(one.masked_crc32c, crc32c::mask(crc32c::extend(crc32c::extend(crc, checksum), "hello")));
}

TEST(Bundle, KeysAreInBytewiseOrderAndDataInAddOrder) {
  TempDir dir;
  std::string prefix = dir / "order";
  std::vector<std::string> added = {"b", "a", "B", "_CHECKPOINTABLE_OBJECT_GRAPH", "\xff" "high", "a/b", "a.b",
                                    "0", "\x80", "a\x01"};
  {
    BundleWriter writer(Env::Default(), prefix);
    for (size_t i = 0; i < added.size(); ++i) writer.add(added[i], Tensor::scalar(static_cast<double>(i)));
    writer.finish();
  }
  std::vector<std::string> expected = added;
  std::sort(expected.begin(), expected.end(), [](const std::string& x, const std::string& y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                        [](char p, char q) { return static_cast<uint8_t>(p) < static_cast<uint8_t>(q); });
  });
  BundleReader reader(Env::Default(), prefix);
  EXPECT_EQ(reader.keys(), expected);
  EXPECT_EQ(expected.front(), "0");
  EXPECT_EQ(expected.back(), "\xff" "high");
  for (size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ(reader.info(added[i]).offset, 4 * i) << added[i];
    EXPECT_EQ(reader.read(added[i]).item(), static_cast<double>(i));
  }
}

TEST(Bundle, ManyTensorsGiveAMultiBlockIndex) {
  TempDir dir;
  std::string prefix = dir / "many";
  const int n = 5000;
  {
    BundleWriter writer(Env::Default(), prefix);
    for (int i = 0; i < n; ++i)
      writer.add("model/layer_with_weights-" + std::to_string(i) + "/kernel/.ATTRIBUTES/VARIABLE_VALUE",
                 Tensor::from_vector<int32_t>({2}, {i, -i}));
    writer.finish();
  }
  EXPECT_GT(Env::Default().file_size(bundle_index_path(prefix)), table::kBlockSize);
  BundleReader reader(Env::Default(), prefix);
  ASSERT_EQ(reader.keys().size(), static_cast<size_t>(n));
  Tensor t = reader.read("model/layer_with_weights-4321/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(t.to_vector<int32_t>(), (std::vector<int32_t>{4321, -4321}));
}

TEST(Bundle, WriterRejectsBadKeysAndMisuse) {
  TempDir dir;
  BundleWriter writer(Env::Default(), dir / "x");
  writer.add("k", Tensor::scalar(1));
  EXPECT_THROW(writer.add("k", Tensor::scalar(2)), InvalidArgument);
  EXPECT_THROW(writer.add("", Tensor::scalar(2)), InvalidArgument);
  EXPECT_THROW(writer.add("undefined", Tensor()), InvalidArgument);
  writer.finish();
  EXPECT_THROW(writer.add("late", Tensor::scalar(2)), InvalidArgument);
  EXPECT_THROW(writer.finish(), InvalidArgument);
  BundleReader reader(Env::Default(), dir / "x");
  EXPECT_EQ(reader.keys(), (std::vector<std::string>{"k"}));
  EXPECT_EQ(reader.read("k").item(), 1.0);
  EXPECT_THROW(reader.info("absent"), InvalidArgument);
  EXPECT_THROW(reader.read("absent"), InvalidArgument);
}

TEST(Bundle, UnfinishedWriterLeavesOnlyATemporaryFileAndRemovesItWhenDestroyed) {
  TempDir dir;
  {
    BundleWriter writer(Env::Default(), dir / "sub/dir/ckpt");  // creates the directories
    writer.add("a", Tensor::scalar(1));
    auto names = Env::Default().list_dir(dir / "sub/dir");
    ASSERT_EQ(names.size(), 1u);
    EXPECT_TRUE(names[0].starts_with("ckpt.data-00000-of-00001.tempstate")) << names[0];
    EXPECT_FALSE(bundle_exists(Env::Default(), dir / "sub/dir/ckpt"));
  }
  EXPECT_TRUE(Env::Default().list_dir(dir / "sub/dir").empty());
}

TEST(Bundle, FinishReplacesACheckpointAtTheSamePrefix) {
  TempDir dir;
  std::string prefix = dir / "ckpt";
  for (int version = 1; version <= 2; ++version) {
    BundleWriter writer(Env::Default(), prefix);
    writer.add("v", Tensor::scalar(version));
    if (version == 1) writer.add("only_in_first", Tensor::scalar(0));
    writer.finish();
  }
  BundleReader reader(Env::Default(), prefix);
  EXPECT_EQ(reader.keys(), (std::vector<std::string>{"v"}));
  EXPECT_EQ(reader.read("v").item(), 2.0);
  auto names = Env::Default().list_dir(dir.path());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt.data-00000-of-00001", "ckpt.index"}));
}

TEST(Bundle, RemoveBundleDeletesOnlyThatCheckpoint) {
  TempDir dir;
  for (const char* name : {"ckpt-1", "ckpt-10"}) {
    BundleWriter writer(Env::Default(), dir / name);
    writer.add("v", Tensor::scalar(1));
    writer.finish();
  }
  write_bytes(dir / "ckpt-1.index.tempstate123", "left by a crash");
  EXPECT_TRUE(bundle_exists(Env::Default(), dir / "ckpt-1"));
  remove_bundle(Env::Default(), dir / "ckpt-1");
  EXPECT_FALSE(bundle_exists(Env::Default(), dir / "ckpt-1"));
  auto names = Env::Default().list_dir(dir.path());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt-10.data-00000-of-00001", "ckpt-10.index"}));
  remove_bundle(Env::Default(), dir / "ckpt-1");  // nothing left to remove: fine
  read_everything(dir / "ckpt-10");
}

TEST(Bundle, MissingFilesAreNamedInErrors) {
  TempDir dir;
  std::string missing_index = message_of([&] { BundleReader(Env::Default(), dir / "nothing"); });
  EXPECT_NE(missing_index.find(dir / "nothing.index"), std::string::npos) << missing_index;

  std::string prefix = dir / "ckpt";
  {
    BundleWriter writer(Env::Default(), prefix);
    writer.add("v", Tensor::scalar(1));
    writer.finish();
  }
  Env::Default().remove_file(bundle_data_path(prefix));
  BundleReader reader(Env::Default(), prefix);  // the index alone opens
  try {
    reader.read("v");
    FAIL() << "missing data shard not detected";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(bundle_data_path(prefix)), std::string::npos) << e.what();
  }
}

// ---- hand-made indexes (valid checksums, hostile or unsupported content)

struct IndexBuilder {
  proto::BundleHeaderProto header;
  std::map<std::string, proto::BundleEntryProto> entries;

  IndexBuilder() {
    header.set_num_shards(1);
    header.mutable_version()->set_producer(1);
  }
  proto::BundleEntryProto& entry(const std::string& key, int dtype, const Shape& shape, int64_t size) {
    proto::BundleEntryProto e;
    e.set_dtype(static_cast<proto::DataType>(dtype));
    for (int64_t d : shape) e.mutable_shape()->add_dim()->set_size(d);
    e.set_size(size);
    return entries[key] = e;
  }
  void write(const std::string& prefix, std::string_view data) {
    auto file = Env::Default().new_writable_file(bundle_index_path(prefix));
    table::TableBuilder table(*file);
    table.add("", header.SerializeAsString());
    for (const auto& [key, e] : entries) table.add(key, e.SerializeAsString());
    table.finish();
    file->close();
    write_bytes(bundle_data_path(prefix), data);
  }
};

TEST(Bundle, ReadsMergedBundlesWithSeveralShards) {
  TempDir dir;
  std::string prefix = dir / "merged";
  IndexBuilder index;
  index.header.set_num_shards(2);
  index.entry("in_shard_0", 3, {1}, 4).set_crc32c(crc32c::mask(crc32c::value("\x01\0\0\0", 4)));
  auto& second = index.entry("in_shard_1", 3, {1}, 4);
  second.set_shard_id(1);
  second.set_offset(2);
  second.set_crc32c(crc32c::mask(crc32c::value("\x02\0\0\0", 4)));
  index.entry("bad_shard", 3, {1}, 4);
  index.write(prefix, "");
  write_bytes(bundle_data_path(prefix, 0, 2), std::string("\x01\0\0\0", 4));
  write_bytes(bundle_data_path(prefix, 1, 2), std::string("xx\x02\0\0\0", 6));
  EXPECT_EQ(bundle_data_path(prefix, 1, 2), prefix + ".data-00001-of-00002");
  {
    IndexBuilder bad = index;
    bad.entries["bad_shard"].set_shard_id(2);
    bad.write(dir / "bad", "");
    EXPECT_NE(message_of([&] { BundleReader(Env::Default(), dir / "bad"); }).find("data shard 2 of 2"),
              std::string::npos);
  }
  BundleReader reader(Env::Default(), prefix);
  EXPECT_EQ(reader.read("in_shard_0").item(), 1.0);
  EXPECT_EQ(reader.read("in_shard_1").item(), 2.0);
  EXPECT_EQ(reader.info("in_shard_1").shard_id, 1);
}

TEST(Bundle, UnsupportedDtypeNamesTheKeyAndTheTensorFlowNumber) {
  TempDir dir;
  IndexBuilder index;
  index.entry("half", 19, {2}, 4).set_crc32c(crc32c::mask(crc32c::value(std::string(4, '\1'))));
  index.write(dir / "p", std::string(4, '\1'));
  BundleReader reader(Env::Default(), dir / "p");
  EXPECT_EQ(reader.info("half").tf_dtype, 19);
  EXPECT_FALSE(reader.info("half").dtype.has_value());
  std::string message = message_of([&] { reader.read("half"); });
  EXPECT_NE(message.find("'half'"), std::string::npos) << message;
  EXPECT_NE(message.find("dtype 19 (DT_HALF)"), std::string::npos) << message;
  EXPECT_THROW(reader.read("half"), FormatError);
  EXPECT_THROW(reader.read_strings("half"), FormatError);
}

TEST(Bundle, PartitionedVariablesAreRejectedOnRead) {
  TempDir dir;
  IndexBuilder index;
  auto& e = index.entry("part", 1, {4}, 0);
  e.add_slices()->add_extent()->set_length(2);
  index.write(dir / "p", "");
  BundleReader reader(Env::Default(), dir / "p");
  EXPECT_TRUE(reader.info("part").partitioned);
  std::string message = message_of([&] { reader.read("part"); });
  EXPECT_NE(message.find("partitioned"), std::string::npos) << message;
}

TEST(Bundle, BadHeadersAreRejectedOnOpen) {
  TempDir dir;
  auto open_error = [&](IndexBuilder& index) {
    index.write(dir / "p", "");
    return message_of([&] { BundleReader(Env::Default(), dir / "p"); });
  };
  IndexBuilder newer;
  newer.header.mutable_version()->set_min_consumer(2);
  EXPECT_NE(open_error(newer).find("min consumer 2"), std::string::npos);
  IndexBuilder banned;
  banned.header.mutable_version()->add_bad_consumers(1);
  EXPECT_NE(open_error(banned).find("cannot be read"), std::string::npos);
  IndexBuilder big_endian;
  big_endian.header.set_endianness(proto::BundleHeaderProto::BIG);
  EXPECT_NE(open_error(big_endian).find("big-endian"), std::string::npos);
  IndexBuilder no_shards;
  no_shards.header.set_num_shards(0);
  EXPECT_NE(open_error(no_shards).find("shard count"), std::string::npos);

  // A table without the header entry.
  auto file = Env::Default().new_writable_file(bundle_index_path(dir / "q"));
  table::TableBuilder table(*file);
  table.add("key", "");
  table.finish();
  file->close();
  EXPECT_NE(message_of([&] { BundleReader(Env::Default(), dir / "q"); }).find("header entry"), std::string::npos);
}

TEST(Bundle, HostileShardCountIsRefusedOnOpenWithoutAllocatingForIt) {
  // 2^31 - 1 shards in a 100-byte index used to allocate 16 GiB of shard handles before any check.
  TempDir dir;
  IndexBuilder index;
  index.header.set_num_shards(2147483647);
  index.entry("v", 3, {1}, 4);
  index.write(dir / "p", "");
  std::string message = message_of([&] { BundleReader(Env::Default(), dir / "p"); });
  EXPECT_NE(message.find(bundle_index_path(dir / "p")), std::string::npos) << message;
  EXPECT_NE(message.find("shard count 2147483647"), std::string::npos) << message;
  EXPECT_THROW(BundleReader(Env::Default(), dir / "p"), FormatError);

  // The largest count TensorFlow's file names allow opens, and shards are opened only when read.
  IndexBuilder many;
  many.header.set_num_shards(99999);
  auto& last = many.entry("last", 3, {1}, 4);
  last.set_shard_id(99998);
  last.set_crc32c(crc32c::mask(crc32c::value("\x05\0\0\0", 4)));
  many.write(dir / "m", "");
  write_bytes(bundle_data_path(dir / "m", 99998, 99999), std::string("\x05\0\0\0", 4));
  EXPECT_EQ(BundleReader(Env::Default(), dir / "m").read("last").item(), 5.0);
}

TEST(Bundle, HostileSizesAndShapesGiveFormatErrorsWithoutHugeAllocations) {
  TempDir dir;
  IndexBuilder index;
  index.entry("huge_size", 1, {1LL << 60}, 1LL << 62);
  index.entry("size_mismatch", 1, {2}, 4);
  index.entry("strings_too_many", 7, {1LL << 40}, 16);
  index.entry("strings_too_short", 7, {}, 2);
  index.entry("bool_not_01", 10, {1}, 1).set_crc32c(crc32c::mask(crc32c::value("\x02", 1)));
  index.entry("far_offset", 1, {1}, 4).set_offset(1LL << 50);
  index.write(dir / "p", std::string(16, '\2'));
  BundleReader reader(Env::Default(), dir / "p");
  std::string huge = message_of([&] { reader.read("huge_size"); });
  EXPECT_NE(huge.find("truncated"), std::string::npos) << huge;
  EXPECT_NE(huge.find("'huge_size'"), std::string::npos) << huge;
  EXPECT_NE(message_of([&] { reader.read("size_mismatch"); }).find("not the size of shape (2,)"), std::string::npos);
  EXPECT_THROW(reader.read_strings("strings_too_many"), FormatError);
  EXPECT_THROW(reader.read_strings("strings_too_short"), FormatError);
  EXPECT_NE(message_of([&] { reader.read("bool_not_01"); }).find("neither 0 nor 1"), std::string::npos);
  EXPECT_NE(message_of([&] { reader.read("far_offset"); }).find("truncated"), std::string::npos);

  IndexBuilder overflow;
  overflow.entry("overflow", 1, {1LL << 40, 1LL << 40}, 0);
  overflow.write(dir / "o", "");
  EXPECT_THROW(BundleReader(Env::Default(), dir / "o"), FormatError);
  IndexBuilder negative;
  negative.entry("negative", 1, {-1}, 0);
  negative.write(dir / "n", "");
  EXPECT_THROW(BundleReader(Env::Default(), dir / "n"), FormatError);
}

// ---- damage to real files

// A small checkpoint with every kind of entry, written once per test.
std::string write_small_checkpoint(const TempDir& dir) {
  std::string prefix = dir / "small";
  BundleWriter writer(Env::Default(), prefix);
  writer.add("dense/kernel", Tensor::from_vector<float>({2, 2}, {1, -2, 3.5f, 4}));
  writer.add("iter", Tensor::scalar(7, DType::Int64));
  writer.add("flags", Tensor::from_vector<bool>({2}, {true, false}));
  writer.add("bytes", Tensor::from_vector<uint8_t>({3}, {9, 8, 7}));
  writer.add_string("_CHECKPOINTABLE_OBJECT_GRAPH", "graph bytes");
  writer.finish();
  return prefix;
}

void expect_damage_detected(const std::string& prefix, const std::string& what) {
  try {
    read_everything(prefix);
    ADD_FAILURE() << what << " was not detected";
  } catch (const FormatError&) {
  } catch (const IOError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << " gave an unexpected exception: " << e.what();
  }
}

TEST(Bundle, EveryFlippedByteIsDetected) {
  TempDir dir;
  std::string prefix = write_small_checkpoint(dir);
  read_everything(prefix);
  for (const std::string& path : {bundle_index_path(prefix), bundle_data_path(prefix)}) {
    const std::string original = read_bytes(path);
    for (size_t i = 0; i < original.size(); ++i) {
      for (int flip : {0x01, 0x80, 0xff}) {
        std::string damaged = original;
        damaged[i] = static_cast<char>(damaged[i] ^ flip);
        write_bytes(path, damaged);
        expect_damage_detected(prefix, path + " byte " + std::to_string(i) + " xor " + std::to_string(flip));
      }
    }
    write_bytes(path, original);
  }
  read_everything(prefix);
}

TEST(Bundle, EveryTruncationIsDetected) {
  TempDir dir;
  std::string prefix = write_small_checkpoint(dir);
  for (const std::string& path : {bundle_index_path(prefix), bundle_data_path(prefix)}) {
    const std::string original = read_bytes(path);
    for (size_t length = 0; length < original.size(); ++length) {
      write_bytes(path, original.substr(0, length));
      expect_damage_detected(prefix, path + " truncated to " + std::to_string(length));
    }
    write_bytes(path, original);
  }
  read_everything(prefix);
}

TEST(Bundle, DamagedFixtureCopyIsDetected) {
  TempDir dir;
  std::string prefix = dir / "variables";
  write_bytes(bundle_index_path(prefix), read_bytes(bundle_index_path(kFixture)));
  const std::string data = read_bytes(bundle_data_path(kFixture));
  // Every 7th byte of the data file, which covers floats, int64s and the object graph string.
  for (size_t i = 0; i < data.size(); i += 7) {
    std::string damaged = data;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    write_bytes(bundle_data_path(prefix), damaged);
    expect_damage_detected(prefix, "fixture data byte " + std::to_string(i));
  }
}

}  // namespace
}  // namespace cairn
