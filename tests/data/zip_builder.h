// Hostile zip archives for tests, built in memory: deflate streams that inflate to gigabytes from a few
// kilobytes, and headers that declare whatever a test wants.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cairn::testing {

// A raw deflate stream built from pieces. Each piece is compressed by its own zlib stream and ends with a
// full flush, so it is byte-aligned and refers to nothing before it: pieces can be repeated, and a piece
// of zeros compressed once stands for any number of them. Tracks the inflated size and CRC-32.
class DeflateStream {
 public:
  DeflateStream& bytes(const std::vector<uint8_t>& data) {
    append_piece(compress(data));
    crc_ = static_cast<uint32_t>(crc32(crc_, data.data(), static_cast<uInt>(data.size())));
    size_ += data.size();
    return *this;
  }

  DeflateStream& text(const std::string& data) { return bytes({data.begin(), data.end()}); }

  DeflateStream& zeros(uint64_t count) {
    constexpr uint64_t kPiece = uint64_t{1} << 20;
    const std::vector<uint8_t> piece(kPiece, 0);
    const std::vector<uint8_t> compressed = compress(piece);
    const uLong piece_crc = crc32(0, piece.data(), static_cast<uInt>(kPiece));
    for (; count >= kPiece; count -= kPiece) {
      append_piece(compressed);
      crc_ = static_cast<uint32_t>(crc32_combine(crc_, piece_crc, static_cast<z_off_t>(kPiece)));
      size_ += kPiece;
    }
    return bytes(std::vector<uint8_t>(count, 0));
  }

  // Bytes that are not deflate data at all.
  DeflateStream& garbage(const std::vector<uint8_t>& data) {
    append_piece(data);
    return *this;
  }

  // The stream, closed by a final empty block.
  std::vector<uint8_t> finish() const {
    std::vector<uint8_t> out = out_;
    out.push_back(0x03);  // a final block with fixed codes holding only the end-of-block code
    out.push_back(0x00);
    return out;
  }
  uint64_t size() const { return size_; }
  uint32_t crc() const { return crc_; }

 private:
  static std::vector<uint8_t> compress(const std::vector<uint8_t>& data) {
    z_stream stream{};
    if (deflateInit2(&stream, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2 failed");
    std::vector<uint8_t> out(deflateBound(&stream, data.size()) + 16);
    stream.next_in = const_cast<Bytef*>(data.data());
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&stream, Z_FULL_FLUSH);
    out.resize(out.size() - stream.avail_out);
    deflateEnd(&stream);
    if (status != Z_OK || stream.avail_in != 0) throw std::runtime_error("deflate failed");
    return out;
  }
  void append_piece(const std::vector<uint8_t>& piece) { out_.insert(out_.end(), piece.begin(), piece.end()); }

  std::vector<uint8_t> out_;
  uint64_t size_ = 0;
  uint32_t crc_ = 0;
};

// One member as a test wants its headers to read.
struct TestMember {
  std::string name;
  std::vector<uint8_t> data;  // as stored in the archive
  uint16_t method = 0;        // 0 stored, 8 deflate
  uint32_t crc = 0;
  uint64_t size = 0;                      // the declared uncompressed size
  std::optional<uint64_t> local_size;     // when the local header should declare another

  static TestMember stored(const std::string& name, const std::vector<uint8_t>& data) {
    return {name, data, 0, static_cast<uint32_t>(crc32(0, data.data(), static_cast<uInt>(data.size()))),
            data.size(), std::nullopt};
  }
  // Declares the stream's true size unless `declared_size` says otherwise.
  static TestMember deflated(const std::string& name, const DeflateStream& stream,
                             std::optional<uint64_t> declared_size = std::nullopt) {
    return {name, stream.finish(), 8, stream.crc(), declared_size.value_or(stream.size()), std::nullopt};
  }
};

// A zip without Zip64 (every size below 4 GiB).
inline std::vector<uint8_t> build_zip(const std::vector<TestMember>& members) {
  std::vector<uint8_t> out, directory;
  auto u16 = [](std::vector<uint8_t>& v, uint64_t x) { v.push_back(x & 0xff), v.push_back((x >> 8) & 0xff); };
  auto u32 = [&](std::vector<uint8_t>& v, uint64_t x) { u16(v, x & 0xffff), u16(v, x >> 16); };
  for (const TestMember& member : members) {
    const uint64_t offset = out.size();
    auto header = [&](std::vector<uint8_t>& v, uint64_t size) {  // the fields both headers share
      u16(v, 20), u16(v, 0), u16(v, member.method), u16(v, 0), u16(v, 0x21), u32(v, member.crc),
          u32(v, member.data.size()), u32(v, size), u16(v, member.name.size()), u16(v, 0);
    };
    u32(out, 0x04034b50);
    header(out, member.local_size.value_or(member.size));
    out.insert(out.end(), member.name.begin(), member.name.end());
    out.insert(out.end(), member.data.begin(), member.data.end());
    u32(directory, 0x02014b50);
    u16(directory, 20);
    header(directory, member.size);
    u16(directory, 0), u16(directory, 0), u16(directory, 0), u32(directory, 0), u32(directory, offset);
    directory.insert(directory.end(), member.name.begin(), member.name.end());
  }
  const uint64_t directory_offset = out.size();
  out.insert(out.end(), directory.begin(), directory.end());
  u32(out, 0x06054b50), u16(out, 0), u16(out, 0), u16(out, members.size()), u16(out, members.size()),
      u32(out, directory.size()), u32(out, directory_offset), u16(out, 0);
  return out;
}

}  // namespace cairn::testing
