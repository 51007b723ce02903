#include "cairn/zip.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string_view>

#include "cairn/error.h"
#include "cairn/internal/io/coding.h"
#include "file_util.h"

namespace cairn {

using coding::decode_fixed16;
using coding::decode_fixed32;
using coding::decode_fixed64;
using coding::put_fixed16;
using coding::put_fixed32;

namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kZip64LocatorSize = 20;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflate = 8;
constexpr uint16_t kFlagEncrypted = 1;
constexpr uint16_t kFlagDataDescriptor = 1 << 3;  // CRC and sizes follow the data; the local header may hold 0
constexpr uint16_t kFlagUtf8 = 1 << 11;
constexpr uint32_t kZip64Marker = 0xffffffff;
// Deflate cannot expand data more than about 1032:1; a member claiming more is hostile.
constexpr uint64_t kMaxDeflateRatio = 1032;
// Output is allocated as it arrives, at most this much ahead of it, so a member whose stream ends early
// never costs its whole declared size.
constexpr uint64_t kInflateChunk = uint64_t{16} << 20;
// zlib counts in 32-bit units.
constexpr uint64_t kZlibChunk = uint64_t{1} << 30;

uint64_t saturating_multiply(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

[[noreturn]] void fail_member(const std::string& source, const ZipMember& member, const std::string& what) {
  throw FormatError(source + ": zip member '" + member.name + "': " + what);
}

// The sizes and offset a header holds, before and after Zip64 replaces 0xffffffff fields.
struct HeaderSizes {
  uint64_t uncompressed = 0;
  uint64_t compressed = 0;
  uint64_t offset = 0;  // central headers only
  uint32_t disk = 0;    // central headers only
};

// Validates an archive's headers into ZipMembers; every offset and size is checked against the file
// before it is used.
class Parser {
 public:
  Parser(std::span<const uint8_t> bytes, const std::string& source, const ZipLimits& limits)
      : bytes_(bytes), source_(source), limits_(limits) {}

  std::vector<ZipMember> parse() {
    std::vector<CentralEntry> entries = read_central_directory();
    locate_data(entries);
    std::vector<ZipMember> members;
    members.reserve(entries.size());
    for (CentralEntry& entry : entries) members.push_back(std::move(entry.member));
    check_budget(members);
    return members;
  }

 private:
  struct CentralEntry {
    ZipMember member;
    uint16_t flags = 0;
    uint64_t local_offset = 0;
  };

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(source_ + ": not a valid zip archive: " + what);
  }

  // Bounds-checked view of [offset, offset + size).
  const uint8_t* at(uint64_t offset, uint64_t size, const char* what) const {
    if (offset > bytes_.size() || size > bytes_.size() - offset)
      fail(std::string(what) + " lies beyond the end of the file");
    return bytes_.data() + offset;
  }

  uint64_t find_end_record() const {
    if (bytes_.size() < kEndSize) fail("too short for an end of central directory record");
    // The record is followed by a comment of at most 65535 bytes; take the last candidate whose comment
    // length reaches exactly the end of the file.
    uint64_t lowest = bytes_.size() > kEndSize + 0xffff ? bytes_.size() - kEndSize - 0xffff : 0;
    for (uint64_t pos = bytes_.size() - kEndSize + 1; pos-- > lowest;) {
      const uint8_t* p = bytes_.data() + pos;
      if (decode_fixed32(p) == kEndSignature && pos + kEndSize + decode_fixed16(p + 20) == bytes_.size()) return pos;
    }
    fail("no end of central directory record");
  }

  std::vector<CentralEntry> read_central_directory() {
    uint64_t end_pos = find_end_record();
    const uint8_t* end = bytes_.data() + end_pos;
    uint64_t disk = decode_fixed16(end + 4), directory_disk = decode_fixed16(end + 6);
    uint64_t entries_on_disk = decode_fixed16(end + 8), total_entries = decode_fixed16(end + 10);
    uint64_t directory_size = decode_fixed32(end + 12), directory_offset = decode_fixed32(end + 16);
    uint64_t directory_end = end_pos;

    bool zip64 = entries_on_disk == 0xffff || total_entries == 0xffff || directory_size == kZip64Marker ||
                 directory_offset == kZip64Marker;
    if (zip64) {
      if (end_pos < kZip64LocatorSize) fail("Zip64 end of central directory locator missing");
      const uint8_t* locator = bytes_.data() + end_pos - kZip64LocatorSize;
      if (decode_fixed32(locator) != kZip64LocatorSignature)
        fail("Zip64 end of central directory locator missing");
      uint64_t record_pos = decode_fixed64(locator + 8);
      if (decode_fixed32(locator + 4) != 0 || decode_fixed32(locator + 16) != 1)
        fail("multi-disk archives are not supported");
      if (record_pos > end_pos - kZip64LocatorSize ||
          end_pos - kZip64LocatorSize - record_pos < kZip64EndSize)
        fail("Zip64 end of central directory record out of place");
      const uint8_t* record = bytes_.data() + record_pos;
      if (decode_fixed32(record) != kZip64EndSignature) fail("bad Zip64 end of central directory signature");
      disk = decode_fixed32(record + 16);
      directory_disk = decode_fixed32(record + 20);
      entries_on_disk = decode_fixed64(record + 24);
      total_entries = decode_fixed64(record + 32);
      directory_size = decode_fixed64(record + 40);
      directory_offset = decode_fixed64(record + 48);
      directory_end = record_pos;
    }
    if (disk != 0 || directory_disk != 0 || entries_on_disk != total_entries)
      fail("multi-disk archives are not supported");
    if (directory_offset > directory_end || directory_size != directory_end - directory_offset)
      fail("central directory size and offset disagree with the end record");
    if (total_entries > directory_size / kCentralHeaderSize)
      fail("more entries than the central directory can hold");
    if (total_entries > limits_.max_members)
      throw ResourceLimitError(source_ + ": zip archive of " + std::to_string(total_entries) +
                               " members, more than the " + std::to_string(limits_.max_members) +
                               " cairn reads");

    std::vector<CentralEntry> entries;
    entries.reserve(total_entries);
    std::set<std::string> names;
    uint64_t pos = directory_offset;
    for (uint64_t i = 0; i < total_entries; ++i) {
      const uint8_t* h = at(pos, kCentralHeaderSize, "central directory header");
      if (decode_fixed32(h) != kCentralHeaderSignature) fail("bad central directory header signature");
      CentralEntry entry;
      ZipMember& member = entry.member;
      entry.flags = decode_fixed16(h + 8);
      member.method = decode_fixed16(h + 10);
      member.crc = decode_fixed32(h + 16);
      HeaderSizes sizes{decode_fixed32(h + 24), decode_fixed32(h + 20), decode_fixed32(h + 42), decode_fixed16(h + 34)};
      uint64_t name_length = decode_fixed16(h + 28), extra_length = decode_fixed16(h + 30),
               comment_length = decode_fixed16(h + 32);
      uint64_t header_size = kCentralHeaderSize + name_length + extra_length + comment_length;
      if (header_size > directory_offset + directory_size - pos)
        fail("central directory header overruns the directory");
      const uint8_t* name = h + kCentralHeaderSize;
      member.name.assign(reinterpret_cast<const char*>(name), name_length);
      read_zip64_extra(member.name, sizes, /*central=*/true, name + name_length, extra_length);
      if (sizes.disk != 0) fail("multi-disk archives are not supported");
      member.size = sizes.uncompressed;
      member.compressed_size = sizes.compressed;
      entry.local_offset = sizes.offset;
      if (!names.insert(member.name).second) fail("duplicate member '" + member.name + "'");
      entries.push_back(std::move(entry));
      pos += header_size;
    }
    if (pos != directory_offset + directory_size) fail("central directory has trailing bytes");
    return entries;
  }

  // Sizes and offsets that do not fit 32 bits are 0xffffffff in the header and follow, in this order,
  // in the Zip64 extra field (id 1). Local headers have no offset or disk fields.
  void read_zip64_extra(const std::string& member_name, HeaderSizes& sizes, bool central, const uint8_t* extra,
                        uint64_t length) const {
    bool need_uncompressed = sizes.uncompressed == kZip64Marker, need_compressed = sizes.compressed == kZip64Marker;
    bool need_offset = central && sizes.offset == kZip64Marker, need_disk = central && sizes.disk == 0xffff;
    if (!need_uncompressed && !need_compressed && !need_offset && !need_disk) return;
    uint64_t pos = 0;
    while (pos + 4 <= length) {
      uint16_t id = decode_fixed16(extra + pos), size = decode_fixed16(extra + pos + 2);
      if (size > length - pos - 4) fail("extra field overruns its header for '" + member_name + "'");
      if (id == 1) {
        const uint8_t* field = extra + pos + 4;
        uint64_t needed = 8 * (need_uncompressed + need_compressed + need_offset) + 4 * need_disk;
        if (size < needed) fail("Zip64 extra field too short for '" + member_name + "'");
        if (need_uncompressed) sizes.uncompressed = decode_fixed64(field), field += 8;
        if (need_compressed) sizes.compressed = decode_fixed64(field), field += 8;
        if (need_offset) sizes.offset = decode_fixed64(field), field += 8;
        if (need_disk) sizes.disk = decode_fixed32(field);
        return;
      }
      pos += 4 + size;
    }
    fail("Zip64 extra field missing for '" + member_name + "'");
  }

  // Checks each local header against its central entry and that no two members share bytes (which is
  // how zip bombs multiply their output).
  void locate_data(std::vector<CentralEntry>& entries) {
    std::vector<std::pair<uint64_t, uint64_t>> extents;  // [local header, end of data)
    for (CentralEntry& entry : entries) {
      ZipMember& member = entry.member;
      if (entry.flags & kFlagEncrypted) fail_member(source_, member, "encrypted members are not supported");
      if (member.method != kMethodStored && member.method != kMethodDeflate)
        fail_member(source_, member, "compression method " + std::to_string(member.method) +
                                         " is not supported (only stored and deflate)");
      const uint8_t* h = at(entry.local_offset, kLocalHeaderSize, "local header");
      if (decode_fixed32(h) != kLocalHeaderSignature) fail_member(source_, member, "bad local header signature");
      uint16_t local_flags = decode_fixed16(h + 6);
      if (local_flags & kFlagEncrypted) fail_member(source_, member, "encrypted members are not supported");
      if (decode_fixed16(h + 8) != member.method)
        fail_member(source_, member, "local and central headers disagree on the method");
      uint64_t name_length = decode_fixed16(h + 26), extra_length = decode_fixed16(h + 28);
      const uint8_t* name =
          at(entry.local_offset + kLocalHeaderSize, name_length + extra_length, "local header");
      if (std::string_view(reinterpret_cast<const char*>(name), name_length) != member.name)
        fail_member(source_, member, "local header names a different member");
      check_local_sizes(member, local_flags, h, name + name_length, extra_length);
      member.data_offset = entry.local_offset + kLocalHeaderSize + name_length + extra_length;
      at(member.data_offset, member.compressed_size, "member data");
      if (member.method == kMethodStored && member.compressed_size != member.size)
        fail_member(source_, member, "stored member with different compressed and uncompressed sizes");
      if (member.method == kMethodDeflate && member.size > member.compressed_size * kMaxDeflateRatio + 1024)
        fail_member(source_, member,
                    "claims " + std::to_string(member.size) + " bytes from " +
                        std::to_string(member.compressed_size) + " compressed bytes, more than deflate can produce");
      extents.emplace_back(entry.local_offset, member.data_offset + member.compressed_size);
    }
    std::sort(extents.begin(), extents.end());
    for (size_t i = 1; i < extents.size(); ++i)
      if (extents[i].first < extents[i - 1].second) fail("members overlap");
  }

  // The local header repeats the CRC and sizes, unless a data descriptor after the data holds them
  // (then the local fields may be 0). A reader trusting the other copy would inflate past the sizes
  // it checked.
  void check_local_sizes(const ZipMember& member, uint16_t local_flags, const uint8_t* header,
                         const uint8_t* extra, uint64_t extra_length) const {
    uint32_t crc = decode_fixed32(header + 14);
    HeaderSizes local{decode_fixed32(header + 22), decode_fixed32(header + 18)};
    read_zip64_extra(member.name, local, /*central=*/false, extra, extra_length);
    bool deferred = (local_flags & kFlagDataDescriptor) != 0;
    auto agrees = [&](uint64_t local_value, uint64_t central_value) {
      return local_value == central_value || (deferred && local_value == 0);
    };
    if (!agrees(crc, member.crc)) fail_member(source_, member, "local and central headers disagree on the CRC-32");
    if (!agrees(local.compressed, member.compressed_size) || !agrees(local.uncompressed, member.size))
      fail_member(source_, member,
                  "local and central headers disagree on the sizes (local " + std::to_string(local.compressed) +
                      " -> " + std::to_string(local.uncompressed) + ", central " +
                      std::to_string(member.compressed_size) + " -> " + std::to_string(member.size) + ")");
  }

  // Reading stops at each member's declared size, so bounding the declared sizes bounds the output.
  void check_budget(const std::vector<ZipMember>& members) const {
    uint64_t total = 0;
    const ZipMember* largest = nullptr;
    for (const ZipMember& member : members) {
      total = member.size > UINT64_MAX - total ? UINT64_MAX : total + member.size;
      if (!largest || member.size > largest->size) largest = &member;
    }
    uint64_t by_ratio = std::max(limits_.min_budget, saturating_multiply(limits_.max_ratio, bytes_.size()));
    uint64_t budget = std::min(limits_.max_total_bytes, by_ratio);
    if (total <= budget) return;
    throw ResourceLimitError(
        source_ + ": zip members declare " + std::to_string(total) + " bytes uncompressed (member '" +
        largest->name + "' alone " + std::to_string(largest->size) + ") from an archive of " +
        std::to_string(bytes_.size()) + " bytes, more than cairn inflates: at most " +
        std::to_string(limits_.max_total_bytes) + " bytes and " + std::to_string(limits_.max_ratio) +
        " times the archive's size (a zip bomb?)");
  }

  std::span<const uint8_t> bytes_;
  const std::string& source_;
  const ZipLimits& limits_;
};

// One member's deflate stream, inflated on demand into caller buffers.
class Inflation {
 public:
  Inflation(const uint8_t* data, const ZipMember& member, const std::string& source)
      : member_(member), source_(source), in_left_(member.compressed_size) {
    if (inflateInit2(&stream_, -MAX_WBITS) != Z_OK) throw Error("zlib inflateInit2 failed");
    stream_.next_in = const_cast<Bytef*>(data);
  }
  ~Inflation() { inflateEnd(&stream_); }
  Inflation(const Inflation&) = delete;
  Inflation& operator=(const Inflation&) = delete;

  bool ended() const { return ended_; }
  uint64_t input_left() const { return in_left_; }

  // Fills out[0, count) unless the stream ends first; returns how many bytes it wrote.
  uint64_t produce(uint8_t* out, uint64_t count) {
    uint64_t done = 0;
    while (done < count && !ended_) {
      uInt in_chunk = static_cast<uInt>(std::min(in_left_, kZlibChunk));
      uInt out_chunk = static_cast<uInt>(std::min(count - done, kZlibChunk));
      stream_.avail_in = in_chunk;
      stream_.next_out = out + done;
      stream_.avail_out = out_chunk;
      int status = inflate(&stream_, Z_NO_FLUSH);
      in_left_ -= in_chunk - stream_.avail_in;
      done += out_chunk - stream_.avail_out;
      if (status == Z_STREAM_END) {
        ended_ = true;
      } else if (status == Z_BUF_ERROR) {  // no progress with output room left: the input ran out
        fail_member(source_, member_, "deflate stream is truncated");
      } else if (status != Z_OK) {
        fail_member(source_, member_, std::string("corrupt deflate stream") +
                                          (stream_.msg ? std::string(" (") + stream_.msg + ")" : ""));
      }
    }
    return done;
  }

 private:
  const ZipMember& member_;
  const std::string& source_;
  z_stream stream_{};
  uint64_t in_left_;
  bool ended_ = false;
};

}  // namespace

ZipArchive::ZipArchive(std::span<const uint8_t> bytes, std::string source, const ZipLimits& limits)
    : bytes_(bytes), source_(std::move(source)), members_(Parser(bytes_, source_, limits).parse()) {}

const ZipMember* ZipArchive::find(std::string_view name) const {
  for (const ZipMember& member : members_)
    if (member.name == name) return &member;
  return nullptr;
}

namespace {

// Inflates until `wanted` bytes are out or the stream ends, allocating only as output arrives.
std::vector<uint8_t> inflate_up_to(Inflation& inflation, uint64_t wanted) {
  std::vector<uint8_t> out;
  while (out.size() < wanted && !inflation.ended()) {
    const uint64_t start = out.size();
    out.resize(start + std::min(wanted - start, kInflateChunk));
    out.resize(start + inflation.produce(out.data() + start, out.size() - start));
  }
  return out;
}

}  // namespace

std::vector<uint8_t> ZipArchive::read_prefix(const ZipMember& member, uint64_t count) const {
  const uint8_t* data = bytes_.data() + member.data_offset;
  const uint64_t wanted = std::min(count, member.size);
  if (member.method == kMethodStored) return std::vector<uint8_t>(data, data + wanted);
  Inflation inflation(data, member, source_);
  std::vector<uint8_t> out = inflate_up_to(inflation, wanted);
  if (out.size() < wanted) fail_member(source_, member, "deflate stream is shorter than the declared size");
  return out;
}

std::vector<uint8_t> ZipArchive::read(const ZipMember& member) const {
  const uint8_t* data = bytes_.data() + member.data_offset;
  std::vector<uint8_t> out;
  if (member.method == kMethodStored) {
    out.assign(data, data + member.size);
  } else {
    Inflation inflation(data, member, source_);
    out = inflate_up_to(inflation, member.size);
    if (out.size() < member.size)
      fail_member(source_, member, "deflate stream is shorter than the declared size");
    uint8_t probe;  // one byte past the declared size is enough to know the stream lies
    if (inflation.produce(&probe, 1) != 0)
      fail_member(source_, member, "deflate stream is longer than the declared size");
    if (inflation.input_left() != 0)
      fail_member(source_, member, "deflate stream ends before its declared compressed size");
  }
  uint32_t crc = 0;
  for (uint64_t done = 0; done < out.size();) {  // crc32 takes 32-bit lengths
    uInt chunk = static_cast<uInt>(std::min<uint64_t>(out.size() - done, kZlibChunk));
    crc = static_cast<uint32_t>(crc32(crc, out.data() + done, chunk));
    done += chunk;
  }
  if (crc != member.crc) fail_member(source_, member, "CRC-32 mismatch (the data is damaged)");
  return out;
}

std::vector<ZipEntry> parse_zip(std::span<const uint8_t> bytes, const std::string& source, const ZipLimits& limits) {
  ZipArchive archive(bytes, source, limits);
  std::vector<ZipEntry> result;
  result.reserve(archive.members().size());
  for (const ZipMember& member : archive.members()) result.push_back({member.name, archive.read(member)});
  return result;
}

std::vector<ZipEntry> read_zip(const std::string& path) {
  std::vector<uint8_t> bytes = data_internal::read_file_bytes(path);
  return parse_zip(bytes, path);
}

std::vector<uint8_t> encode_zip(const std::vector<ZipEntry>& entries) {
  std::set<std::string> names;
  uint64_t total = kEndSize;
  for (const ZipEntry& entry : entries) {
    if (entry.name.empty()) throw InvalidArgument("zip member with an empty name");
    if (entry.name.size() > 0xffff) throw InvalidArgument("zip member name longer than 65535 bytes");
    if (!names.insert(entry.name).second) throw InvalidArgument("duplicate zip member '" + entry.name + "'");
    total += kLocalHeaderSize + kCentralHeaderSize + 2 * entry.name.size() + entry.data.size();
  }
  // Without Zip64 every size and offset must fit 32 bits and the count 16 bits.
  if (total >= 0xffffffffu || entries.size() >= 0xffff)
    throw InvalidArgument("zip archive of " + std::to_string(total) + " bytes and " +
                          std::to_string(entries.size()) +
                          " members needs Zip64, which the writer does not produce");

  std::vector<uint8_t> out;
  out.reserve(total);
  std::vector<uint8_t> directory;
  constexpr uint16_t kVersion = 20;      // 2.0: the version that introduced deflate and directories
  constexpr uint16_t kDosDate = 0x0021;  // 1980-01-01, time 00:00: fixed so archives are reproducible
  for (const ZipEntry& entry : entries) {
    uint32_t crc = static_cast<uint32_t>(crc32(0, entry.data.data(), static_cast<uInt>(entry.data.size())));
    uint16_t flags =
        std::any_of(entry.name.begin(), entry.name.end(), [](char c) { return c & 0x80; }) ? kFlagUtf8 : 0;
    uint32_t offset = static_cast<uint32_t>(out.size());
    auto common = [&](std::vector<uint8_t>& v) {  // the fields local and central headers share
      put_fixed16(v, kVersion);
      put_fixed16(v, flags);
      put_fixed16(v, kMethodStored);
      put_fixed16(v, 0);
      put_fixed16(v, kDosDate);
      put_fixed32(v, crc);
      put_fixed32(v, static_cast<uint32_t>(entry.data.size()));
      put_fixed32(v, static_cast<uint32_t>(entry.data.size()));
      put_fixed16(v, static_cast<uint16_t>(entry.name.size()));
      put_fixed16(v, 0);  // extra length
    };
    put_fixed32(out, kLocalHeaderSignature);
    common(out);
    out.insert(out.end(), entry.name.begin(), entry.name.end());
    out.insert(out.end(), entry.data.begin(), entry.data.end());

    put_fixed32(directory, kCentralHeaderSignature);
    put_fixed16(directory, (3 << 8) | kVersion);  // made by: Unix
    common(directory);
    put_fixed16(directory, 0);               // comment length
    put_fixed16(directory, 0);               // start disk
    put_fixed16(directory, 0);               // internal attributes
    put_fixed32(directory, 0100644u << 16);  // external attributes: a regular file, rw-r--r--
    put_fixed32(directory, offset);
    directory.insert(directory.end(), entry.name.begin(), entry.name.end());
  }
  uint32_t directory_offset = static_cast<uint32_t>(out.size());
  out.insert(out.end(), directory.begin(), directory.end());
  put_fixed32(out, kEndSignature);
  put_fixed16(out, 0);
  put_fixed16(out, 0);
  put_fixed16(out, static_cast<uint16_t>(entries.size()));
  put_fixed16(out, static_cast<uint16_t>(entries.size()));
  put_fixed32(out, static_cast<uint32_t>(directory.size()));
  put_fixed32(out, directory_offset);
  put_fixed16(out, 0);  // comment length
  return out;
}

void write_zip(const std::string& path, const std::vector<ZipEntry>& entries, Env& env) {
  data_internal::write_file_bytes(path, encode_zip(entries), env);
}

}  // namespace cairn
