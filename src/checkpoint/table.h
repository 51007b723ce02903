// The LevelDB-style sorted table ("SSTable") that is a TensorFlow checkpoint's .index file.
//
// The writer produces the same bytes as TensorFlow's table::TableBuilder with the options
// BundleWriter uses (256 KiB blocks, a restart point every 16 entries, no compression, empty
// metaindex). The reader takes the whole file and verifies all of it: every block checksum, every
// length and handle against the file's bounds, that the blocks tile the file, and that keys increase.
// It also reads Snappy-compressed blocks, which TensorFlow 1.x wrote (TensorFlow still reads them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/env.h"

namespace cairn::table {

inline constexpr size_t kBlockSize = 262144;
inline constexpr int kRestartInterval = 16;
inline constexpr size_t kFooterSize = 48;
inline constexpr size_t kBlockTrailerSize = 5;  // compression type byte + masked CRC
inline constexpr uint64_t kMagic = 0xdb4775248b80fb57ull;

// Entries in a block: shared-prefix compressed keys with a restart array (see formats.md).
class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval);
  void add(std::string_view key, std::string_view value);
  size_t size_estimate() const;  // of the finished block, as LevelDB estimates it
  bool empty() const { return buffer_.empty(); }
  std::string finish();  // returns the block contents and resets the builder

 private:
  int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_{0};
  int since_restart_ = 0;
  std::string last_key_;
};

// Writes a table to file. Keys must be added in strictly increasing bytewise order.
// finish() writes the remaining blocks and the footer; syncing and closing are the caller's.
class TableBuilder {
 public:
  explicit TableBuilder(WritableFile& file);
  void add(std::string_view key, std::string_view value);
  void finish();

 private:
  void flush_data_block();
  // Writes a block with its trailer and returns its BlockHandle encoding.
  std::string write_block(BlockBuilder& block);

  WritableFile& file_;
  uint64_t offset_ = 0;
  BlockBuilder data_block_{kRestartInterval};
  BlockBuilder index_block_{1};
  std::string last_key_;
  bool has_entries_ = false;
  std::string pending_handle_;  // handle of the last data block until its index key is known
  bool finished_ = false;
};

using Entry = std::pair<std::string, std::string>;

// Parses and verifies a whole table; returns its entries in order. Throws FormatError naming
// `filename` for anything malformed.
std::vector<Entry> read_table(std::string_view contents, const std::string& filename);

}  // namespace cairn::table
