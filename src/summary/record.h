// TFRecord framing, the container of TensorBoard event files: per record a uint64 length, the masked
// CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data (all little-endian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/env.h"

namespace cairn::tfrecord {

inline constexpr size_t kHeaderSize = 12;  // length and its CRC
inline constexpr size_t kFooterSize = 4;   // the data's CRC
// The largest record the reader holds in memory. TensorBoard's largest summaries (graphs, images) are
// far smaller; a length above this is damage or a hostile file, not something to allocate.
inline constexpr uint64_t kMaxRecordLength = uint64_t{256} << 20;

// The bytes of one record holding data.
std::string frame(std::string_view data);

struct Record {
  uint64_t offset;  // where the record starts in the file
  std::string_view data;
};

// Reads the records of a file in order, one at a time (memory: the largest record, never the file),
// checking both CRCs of each.
class RecordReader {
 public:
  // `file` must outlive the reader.
  explicit RecordReader(const RandomAccessFile& file, uint64_t max_length = kMaxRecordLength)
      : file_(file), max_length_(max_length) {}

  // The next record, valid until the next call, or nullopt at the end of the file. FormatError naming
  // the file and the record's offset when a CRC does not match; ResourceLimitError when its length
  // exceeds max_length. When the file ends inside the record, nullopt, and truncation() says so.
  std::optional<Record> next();

  // Set once the file ended inside its last record, as it does while a writer is still writing it
  // (TensorBoard reads the records before it): a message naming the file and the record's offset.
  const std::optional<std::string>& truncation() const { return truncation_; }

 private:
  const RandomAccessFile& file_;
  uint64_t max_length_;
  uint64_t offset_ = 0;
  std::string buffer_;  // the current record's data and CRC
  std::optional<std::string> truncation_;
};

}  // namespace cairn::tfrecord
