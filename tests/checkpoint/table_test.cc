#include "checkpoint/table.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <random>

#include "cairn/error.h"
#include "cairn/internal/io/coding.h"
#include "cairn/internal/io/crc32c.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using table::Entry;
using testing::TempDir;

const std::string kFixtureIndex = std::string(CAIRN_FIXTURES_DIR) + "/tf_checkpoint/variables.index";
// TensorFlow 1.x's naming, index in Snappy-compressed blocks (tests/fixtures/tf_checkpoint_snappy/generate.py).
const std::string kSnappyFixtureIndex = std::string(CAIRN_FIXTURES_DIR) + "/tf_checkpoint_snappy/model.ckpt.index";

std::string build_table(const std::vector<Entry>& entries) {
  TempDir dir;
  auto file = Env::Default().new_writable_file(dir / "t");
  table::TableBuilder builder(*file);
  for (const auto& [key, value] : entries) builder.add(key, value);
  builder.finish();
  file->close();
  return Env::Default().read_file(dir / "t");
}

void expect_format_error(std::string_view contents, const std::string& message_part) {
  try {
    table::read_table(contents, "test.index");
    FAIL() << "no error, expected: " << message_part;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.index"), std::string::npos) << e.what();
  }
}

// Recomputes the trailer of the block at [offset, offset + size) after its bytes were edited.
void reseal_block(std::string& file, size_t offset, size_t size, uint8_t type = 0) {
  file[offset + size] = static_cast<char>(type);
  uint32_t crc = crc32c::extend(crc32c::value(file.data() + offset, size), file.data() + offset + size, 1);
  std::string masked;
  coding::put_fixed32(masked, crc32c::mask(crc));
  file.replace(offset + size + 1, 4, masked);
}

TEST(Table, RewritingTheTensorFlowFixtureGivesIdenticalBytes) {
  std::string original = testing::read_bytes(kFixtureIndex);
  std::vector<Entry> entries = table::read_table(original, kFixtureIndex);
  ASSERT_EQ(entries.size(), 29u);
  EXPECT_EQ(entries[0].first, "");
  EXPECT_EQ(entries[1].first, "_CHECKPOINTABLE_OBJECT_GRAPH");
  EXPECT_EQ(entries[28].first, "optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(build_table(entries), original);
}

TEST(Table, BlockSharesPrefixesAndRestartsEverySixteenEntries) {
  table::BlockBuilder block(table::kRestartInterval);
  for (int i = 0; i < 17; ++i) block.add("key" + std::string(1, static_cast<char>('a' + i)), "v");
  std::string bytes = block.finish();
  // Entry 0: shared 0, unshared 4; entries 1..15: shared 3, unshared 1; entry 16 is a restart.
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x00\x04\x01keya" "v", 8));
  EXPECT_EQ(bytes.substr(8, 5), std::string("\x03\x01\x01" "bv", 5));
  size_t restart16 = 8 + 15 * 5;
  EXPECT_EQ(bytes.substr(restart16, 8), std::string("\x00\x04\x01keyq" "v", 8));
  std::string restarts;
  coding::put_fixed32(restarts, 0);
  coding::put_fixed32(restarts, static_cast<uint32_t>(restart16));
  coding::put_fixed32(restarts, 2);
  EXPECT_EQ(bytes.substr(restart16 + 8), restarts);
}

// The keys of a table's index block (one per data block).
std::vector<std::string> index_keys(std::string_view table_bytes) {
  std::string_view footer = table_bytes.substr(table_bytes.size() - table::kFooterSize);
  uint64_t meta_offset = 0, meta_size = 0, index_offset = 0, index_size = 0;
  EXPECT_TRUE(coding::get_varint(footer, meta_offset) && coding::get_varint(footer, meta_size) &&
              coding::get_varint(footer, index_offset) && coding::get_varint(footer, index_size));
  std::string_view block = table_bytes.substr(index_offset, index_size);
  uint32_t count = coding::decode_fixed32(block.data() + block.size() - 4);
  std::string_view in = block.substr(0, block.size() - 4 - 4 * size_t{count});
  std::vector<std::string> keys;
  while (!in.empty()) {
    uint64_t shared = 0, unshared = 0, value_size = 0;
    EXPECT_TRUE(coding::get_varint(in, shared) && coding::get_varint(in, unshared) &&
                coding::get_varint(in, value_size));
    EXPECT_EQ(shared, 0u);  // the index block restarts at every entry
    keys.emplace_back(in.substr(0, unshared));
    in.remove_prefix(unshared + value_size);
  }
  EXPECT_EQ(keys.size(), count);
  return keys;
}

TEST(Table, LargeTableSplitsIntoBlocks) {
  std::vector<Entry> entries;
  for (int i = 0; i < 6000; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "k%06d/name", i);
    entries.emplace_back(key, std::string(100, static_cast<char>('a' + i % 26)));
  }
  std::string bytes = build_table(entries);
  EXPECT_GT(bytes.size(), 2 * table::kBlockSize);
  EXPECT_EQ(table::read_table(bytes, "large"), entries);
  EXPECT_EQ(index_keys(bytes).size(), 3u);  // about 115 bytes per entry, 256 KiB per block
}

TEST(Table, HugeEntryGetsABlockOfItsOwnAndIndexKeysAreShortened) {
  std::vector<Entry> entries = {{"abc1", "1"}, {"abz", std::string(2 * table::kBlockSize, 'x')}, {"b\xff", "3"}};
  std::string bytes = build_table(entries);
  EXPECT_EQ(table::read_table(bytes, "huge"), entries);
  // Separator of "abc1" and "abz": "abd". Of "abz" and "b\xff": unchanged, as 'a' + 1 is not below 'b'.
  // Successor of the last key "b\xff": "c".
  EXPECT_EQ(index_keys(bytes), (std::vector<std::string>{"abd", "abz", "c"}));
}

TEST(Table, BuilderRejectsKeysOutOfOrder) {
  TempDir dir;
  auto file = Env::Default().new_writable_file(dir / "t");
  table::TableBuilder builder(*file);
  builder.add("b", "1");
  EXPECT_THROW(builder.add("b", "2"), InvalidArgument);
  EXPECT_THROW(builder.add("a", "2"), InvalidArgument);
}

TEST(Table, RejectsShortFilesAndBadMagic) {
  std::string good = build_table({{"", "header"}, {"key", "value"}});
  expect_format_error(good.substr(0, 47), "too short");
  std::string bad_magic = good;
  bad_magic.back() ^= 1;
  expect_format_error(bad_magic, "bad magic number");
  std::string padding = good;
  padding[good.size() - 9] = 1;
  expect_format_error(padding, "footer padding");
}

TEST(Table, RejectsUnknownCompressionAndPlainBytesMarkedSnappy) {
  std::string file = build_table({{"", "header"}, {"key", "value"}});
  // The data block starts at 0; its size is what the index says. Find it from the footer.
  std::string_view footer = std::string_view(file).substr(file.size() - table::kFooterSize);
  uint64_t meta_offset;
  ASSERT_TRUE(coding::get_varint(footer, meta_offset));
  size_t data_size = meta_offset - table::kBlockTrailerSize;
  std::string snappy = file;
  reseal_block(snappy, 0, data_size, 1);
  expect_format_error(snappy, "data block at offset 0: snappy data is damaged");
  std::string zstd = file;
  reseal_block(zstd, 0, data_size, 2);
  expect_format_error(zstd, "unknown block compression type 2");
}

TEST(Table, ReadsTheSnappyCompressedTensorFlowIndex) {
  std::string file = testing::read_bytes(kSnappyFixtureIndex);
  // The fixture's five data blocks and its index block are compressed but for the short last data
  // block; the first one, at offset 0, is compressed.
  size_t data_size = 0;
  ASSERT_TRUE(snappy::GetUncompressedLength(file.data(), file.size(), &data_size));
  EXPECT_GT(data_size, 1500u);
  std::vector<Entry> entries = table::read_table(file, kSnappyFixtureIndex);
  ASSERT_EQ(entries.size(), 292u);  // the header, 48 layers x 2 variables x 3 (value and Adam's slots), 3 more
  EXPECT_EQ(entries[0].first, "");
  EXPECT_EQ(entries[1].first, "beta1_power");
  EXPECT_EQ(entries[3].first, "global_step");
  EXPECT_EQ(entries[4].first, "layer_00/bias");
  EXPECT_EQ(entries.back().first, "layer_47/kernel/Adam_1");
  for (size_t i = 1; i < entries.size(); ++i) ASSERT_LT(entries[i - 1].first, entries[i].first);
  // Written again by cairn, uncompressed, the same entries.
  EXPECT_EQ(table::read_table(build_table(entries), "rewritten"), entries);
}

std::string sealed(std::string_view stored, uint8_t type) {
  std::string out(stored);
  out.push_back(static_cast<char>(type));
  coding::put_fixed32(out, crc32c::mask(crc32c::value(out.data(), out.size())));
  return out;
}

std::string block_handle(uint64_t offset, uint64_t size) {
  std::string out;
  coding::put_varint64(out, offset);
  coding::put_varint64(out, size);
  return out;
}

// A table of one data block stored as `stored` under compression `type`, with the metaindex and
// index blocks (uncompressed) and the footer around it.
std::string table_of_one_block(std::string_view stored, uint8_t type) {
  std::string file = sealed(stored, type);
  std::string meta = table::BlockBuilder(table::kRestartInterval).finish();
  std::string meta_handle = block_handle(file.size(), meta.size());
  file += sealed(meta, 0);
  table::BlockBuilder index_builder(1);
  index_builder.add("\xff", block_handle(0, stored.size()));
  std::string index = index_builder.finish();
  std::string footer = meta_handle + block_handle(file.size(), index.size());
  file += sealed(index, 0);
  footer.resize(table::kFooterSize - 8, '\0');
  coding::put_fixed32(footer, static_cast<uint32_t>(table::kMagic));
  coding::put_fixed32(footer, static_cast<uint32_t>(table::kMagic >> 32));
  return file + footer;
}

TEST(Table, SnappyBlocksReadAndDamagedOnesAreNamed) {
  const std::vector<Entry> entries = {{"", "header"}, {"dense/bias", "b"}, {"dense/kernel", std::string(300, 'k')}};
  table::BlockBuilder builder(table::kRestartInterval);
  for (const auto& [key, value] : entries) builder.add(key, value);
  const std::string block = builder.finish();
  std::string compressed;
  snappy::Compress(block.data(), block.size(), &compressed);
  ASSERT_LT(compressed.size(), block.size() / 4);
  EXPECT_EQ(table::read_table(table_of_one_block(compressed, 1), "snappy.index"), entries);

  // Cut short: the copies and literals run out before the length the preamble claims.
  expect_format_error(table_of_one_block(compressed.substr(0, compressed.size() - 3), 1),
                      "data block at offset 0: snappy data is damaged");
  // A preamble that claims one byte more than the stream holds.
  std::string longer;
  coding::put_varint64(longer, block.size() + 1);
  std::string_view rest = std::string_view(compressed).substr(coding::varint_length(block.size()));
  expect_format_error(table_of_one_block(longer + std::string(rest), 1), "snappy data is damaged");
  // A preamble that is not a varint.
  expect_format_error(table_of_one_block(std::string(6, '\xff') + std::string(rest), 1),
                      "data block at offset 0: snappy data has no valid length");
  // A claim of 1 GiB from a few dozen bytes is refused before anything is allocated for it.
  std::string huge;
  coding::put_varint64(huge, uint64_t{1} << 30);
  expect_format_error(table_of_one_block(huge + std::string(rest), 1),
                      "data block at offset 0: snappy data claims 1073741824 bytes from");
  // Damage that keeps the length: the checksum over the stored bytes catches it before snappy runs.
  std::string file = table_of_one_block(compressed, 1);
  file[compressed.size() / 2] ^= 0x20;
  expect_format_error(file, "data block checksum mismatch");
}

TEST(Table, ResealedHostileBlocksAreRejectedWithoutCrashing) {
  std::string file = build_table({{"", "header"}, {"key", "value"}, {"keys", "v2"}});
  std::string_view footer = std::string_view(file).substr(file.size() - table::kFooterSize);
  uint64_t meta_offset;
  ASSERT_TRUE(coding::get_varint(footer, meta_offset));
  size_t data_size = meta_offset - table::kBlockTrailerSize;
  // Every single-byte edit of the data block, resealed with a valid checksum, must either parse to
  // a well-formed table or give FormatError: never a crash, hang or huge allocation.
  int rejected = 0;
  for (size_t i = 0; i < data_size; ++i) {
    for (int value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string hostile = file;
      hostile[i] = static_cast<char>(value);
      reseal_block(hostile, 0, data_size);
      try {
        auto entries = table::read_table(hostile, "hostile");
        for (size_t e = 1; e < entries.size(); ++e) ASSERT_LT(entries[e - 1].first, entries[e].first);
      } catch (const FormatError&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, static_cast<int>(data_size));
  // A block whose restart count claims more restarts than the block can hold.
  std::string restarts = file;
  restarts[data_size - 4] = '\x7f';
  reseal_block(restarts, 0, data_size);
  expect_format_error(restarts, "bad restart count");
}

TEST(Table, RandomGarbageIsRejected) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    std::string garbage(rng() % 300, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    if (garbage.size() >= 8 && trial % 2 == 0) {  // give half of them the right magic
      std::string magic;
      coding::put_fixed32(magic, static_cast<uint32_t>(table::kMagic));
      coding::put_fixed32(magic, static_cast<uint32_t>(table::kMagic >> 32));
      garbage.replace(garbage.size() - 8, 8, magic);
    }
    EXPECT_THROW(table::read_table(garbage, "garbage"), FormatError);
  }
}

}  // namespace
}  // namespace cairn
