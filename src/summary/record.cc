#include "record.h"

#include "cairn/error.h"
#include "cairn/internal/io/coding.h"
#include "cairn/internal/io/crc32c.h"

namespace cairn::tfrecord {

std::string frame(std::string_view data) {
  std::string record;
  record.reserve(kHeaderSize + data.size() + kFooterSize);
  coding::put_fixed64(record, data.size());
  coding::put_fixed32(record, crc32c::mask(crc32c::value(record)));
  record.append(data);
  coding::put_fixed32(record, crc32c::mask(crc32c::value(data)));
  return record;
}

std::optional<Record> RecordReader::next() {
  if (truncation_) return std::nullopt;
  const uint64_t size = file_.size();
  const uint64_t available = size > offset_ ? size - offset_ : 0;
  if (available == 0) return std::nullopt;
  const std::string where = file_.path() + ": the record at offset " + std::to_string(offset_);
  auto truncated = [&](uint64_t present, const std::string& expected) {
    truncation_ = where + " is truncated: the file ends " + std::to_string(present) + " bytes into it, " +
                  expected + " (it may still be being written)";
    return std::nullopt;
  };
  char header[kHeaderSize];
  const size_t header_bytes = file_.read(offset_, kHeaderSize, header);
  if (header_bytes < kHeaderSize) return truncated(header_bytes, "within its 12-byte header");
  if (crc32c::mask(crc32c::value(header, 8)) != coding::decode_fixed32(header + 8))
    throw FormatError(where + " is damaged: the CRC of its length does not match");
  const uint64_t length = coding::decode_fixed64(header);
  if (length > max_length_)
    throw ResourceLimitError(where + " claims " + std::to_string(length) + " bytes of data, more than the " +
                             std::to_string(max_length_) + " cairn reads in one record");
  const std::string expected = "which holds " + std::to_string(kHeaderSize + length + kFooterSize) + " bytes";
  // Checked before allocating: the length is not trusted beyond what the file holds.
  if (available - kHeaderSize < length + kFooterSize) return truncated(available, expected);
  buffer_.resize(length + kFooterSize);
  const size_t body_bytes = file_.read(offset_ + kHeaderSize, buffer_.size(), buffer_.data());
  if (body_bytes < buffer_.size()) return truncated(kHeaderSize + body_bytes, expected);  // the file shrank
  const std::string_view data(buffer_.data(), length);
  if (crc32c::mask(crc32c::value(data)) != coding::decode_fixed32(buffer_.data() + length))
    throw FormatError(where + " is damaged: the CRC of its " + std::to_string(length) +
                      " bytes of data does not match");
  Record record{offset_, data};
  offset_ += kHeaderSize + length + kFooterSize;
  return record;
}

}  // namespace cairn::tfrecord
