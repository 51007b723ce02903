// Zip archives, as far as .npz and .keras files need them: read stored or deflated members, write
// stored members.
//
// Reading is bounded whatever the headers claim: a ZipArchive validates every header first, then lets
// members be inflated one at a time, each in bounded chunks that stop at its declared size, and the
// declared sizes of all members together must fit ZipLimits. A zip bomb is refused before anything is
// inflated.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/env.h"

namespace cairn {

struct ZipEntry {
  std::string name;
  std::vector<uint8_t> data;  // uncompressed bytes
};

// What one archive may make cairn spend. Honest deflate of tensors, JSON and HDF5 stays far below the
// ratio; zip bombs reach about 1000:1 per layer.
struct ZipLimits {
  uint64_t max_members = uint64_t{1} << 20;
  // The declared uncompressed sizes of all members together: at most max_total_bytes, and at most
  // max_ratio times the archive's own size (but min_budget is always allowed, for tiny archives).
  uint64_t max_total_bytes = uint64_t{4} << 30;
  uint64_t max_ratio = 100;
  uint64_t min_budget = uint64_t{1} << 20;
};

// One member as the central directory declares it (and its local header confirms).
struct ZipMember {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;  // uncompressed; reading stops with a FormatError if the data inflates further
  uint64_t data_offset = 0;
};

// A zip archive held in memory (the bytes must outlive it). The constructor validates the
// end-of-central-directory record (Zip64 included), each central and local header (they must agree on
// method, CRC and sizes), that members lie inside the file and do not overlap, and the limits. It refuses
// encrypted members, compression methods other than stored (0) and deflate (8), duplicate names and
// multi-disk archives. Errors are FormatError (ResourceLimitError for the limits) naming `source` and
// the member.
class ZipArchive {
 public:
  ZipArchive(std::span<const uint8_t> bytes, std::string source, const ZipLimits& limits = {});

  const std::string& source() const { return source_; }
  const std::vector<ZipMember>& members() const { return members_; }  // in central-directory order
  const ZipMember* find(std::string_view name) const;                 // nullptr when absent

  // The member's bytes, CRC-checked.
  std::vector<uint8_t> read(const ZipMember& member) const;
  // The member's first min(count, member.size) bytes, inflating no further (so unchecked by the CRC).
  std::vector<uint8_t> read_prefix(const ZipMember& member, uint64_t count) const;

 private:
  std::span<const uint8_t> bytes_;
  std::string source_;
  std::vector<ZipMember> members_;
};

// Every member of the archive, in central-directory order, validated as by ZipArchive.
std::vector<ZipEntry> parse_zip(std::span<const uint8_t> bytes, const std::string& source,
                                const ZipLimits& limits = {});
std::vector<ZipEntry> read_zip(const std::string& path);  // IOError if unreadable, else as parse_zip

// A zip of stored (uncompressed) members, readable by Python's zipfile and numpy.load. Throws
// InvalidArgument for duplicate or empty names and for archives that would need Zip64 (4 GiB or more).
std::vector<uint8_t> encode_zip(const std::vector<ZipEntry>& entries);
// Replaces the file atomically through env (write_file_atomically).
void write_zip(const std::string& path, const std::vector<ZipEntry>& entries, Env& env = Env::Default());

}  // namespace cairn
