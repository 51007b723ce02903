#include "table.h"

#include <algorithm>
#include <iterator>

#include <snappy.h>

#include "cairn/error.h"
#include "cairn/internal/io/coding.h"
#include "cairn/internal/io/crc32c.h"

namespace cairn::table {
namespace {

constexpr uint8_t kNoCompression = 0;
constexpr uint8_t kSnappyCompression = 1;
// Snappy's densest element, a 3-byte copy, yields 64 bytes: no valid stream expands more than 64/3 times.
// A claimed length beyond that is a lie, refused before anything is allocated for it.
constexpr uint64_t kSnappyMaxExpansion = 22;

// The shortest key k with start <= k < limit, when one is easy to find (LevelDB's bytewise rule):
// bump the first differing byte of start and cut after it.
void shorten_to_separator(std::string& start, std::string_view limit) {
  size_t common = 0;
  size_t n = std::min(start.size(), limit.size());
  while (common < n && start[common] == limit[common]) ++common;
  if (common >= n) return;  // one is a prefix of the other
  auto byte = static_cast<uint8_t>(start[common]);
  if (byte < 0xff && byte + 1 < static_cast<uint8_t>(limit[common])) {
    start[common] = static_cast<char>(byte + 1);
    start.resize(common + 1);
  }
}

// A short key >= key: bump the first byte that is not 0xff and cut after it.
void shorten_to_successor(std::string& key) {
  for (size_t i = 0; i < key.size(); ++i) {
    auto byte = static_cast<uint8_t>(key[i]);
    if (byte != 0xff) {
      key[i] = static_cast<char>(byte + 1);
      key.resize(i + 1);
      return;
    }
  }
}

std::string encode_handle(uint64_t offset, uint64_t size) {
  std::string out;
  coding::put_varint64(out, offset);
  coding::put_varint64(out, size);
  return out;
}

struct Handle {
  uint64_t offset = 0;
  uint64_t size = 0;
};

class TableReader {
 public:
  TableReader(std::string_view contents, const std::string& filename) : file_(contents), name_(filename) {}

  std::vector<Entry> read() {
    if (file_.size() < kFooterSize) fail("file is too short to be a table (" + std::to_string(file_.size()) + " bytes)");
    std::string_view footer = file_.substr(file_.size() - kFooterSize);
    uint64_t magic = coding::decode_fixed32(footer.data() + 40) |
                     (static_cast<uint64_t>(coding::decode_fixed32(footer.data() + 44)) << 32);
    if (magic != kMagic) fail("not a table (bad magic number)");
    std::string_view handles = footer.substr(0, 40);
    Handle meta = decode_handle(handles, "footer");
    Handle index = decode_handle(handles, "footer");
    if (handles.find_first_not_of('\0') != std::string_view::npos) fail("footer padding is not zero");

    // The writer emits data blocks, metaindex, index and footer back to back; anything else is damage.
    uint64_t footer_offset = file_.size() - kFooterSize;
    if (index.offset > footer_offset || index.size + kBlockTrailerSize != footer_offset - index.offset)
      fail("index block handle does not end at the footer");
    if (meta.offset > index.offset || meta.size + kBlockTrailerSize != index.offset - meta.offset)
      fail("metaindex block handle does not end at the index block");
    if (!parse_block(read_block(meta, "metaindex"), "metaindex").empty())
      fail("unexpected metaindex entries (filter blocks are not part of checkpoint indexes)");

    std::vector<Entry> index_entries = parse_block(read_block(index, "index"), "index");
    std::vector<Entry> entries;
    uint64_t expected_offset = 0;
    for (size_t b = 0; b < index_entries.size(); ++b) {
      const auto& [separator, handle_bytes] = index_entries[b];
      std::string_view in = handle_bytes;
      Handle handle = decode_handle(in, "index entry");
      if (!in.empty()) fail("index entry has trailing bytes after its block handle");
      if (handle.offset != expected_offset) fail("data blocks do not follow each other");
      std::vector<Entry> block = parse_block(read_block(handle, "data"), "data");
      if (block.empty()) fail("empty data block");
      if (!entries.empty() && !(entries.back().first < block.front().first))
        fail("keys are not in increasing order across blocks");
      // The index key separates this block from the next one.
      if (separator < block.back().first) fail("index key is smaller than the last key of its block");
      if (b > 0 && !(index_entries[b - 1].first < block.front().first))
        fail("index key is not smaller than the first key of the next block");
      std::move(block.begin(), block.end(), std::back_inserter(entries));
      expected_offset = handle.offset + handle.size + kBlockTrailerSize;
    }
    if (expected_offset != meta.offset) fail("data blocks do not end at the metaindex block");
    return entries;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError("corrupt checkpoint index " + name_ + ": " + what);
  }

  Handle decode_handle(std::string_view& in, const char* where) const {
    // Writers encode varints minimally; accepting padded ones would let a damaged footer read as valid.
    Handle h;
    size_t before = in.size();
    if (!coding::get_varint(in, h.offset) || !coding::get_varint(in, h.size) ||
        before - in.size() != coding::varint_length(h.offset) + coding::varint_length(h.size))
      fail(std::string("bad block handle in ") + where);
    return h;
  }

  // The block's contents, uncompressed. A decompressed block lives in uncompressed_, so the view is
  // valid until the next call.
  std::string_view read_block(const Handle& h, const char* what) {
    if (h.offset > file_.size() || h.size > file_.size() - h.offset ||
        kBlockTrailerSize > file_.size() - h.offset - h.size)
      fail(std::string(what) + " block extends past the end of the file");
    std::string_view contents = file_.substr(h.offset, h.size);
    const char* trailer = file_.data() + h.offset + h.size;
    // As in LevelDB, the checksum covers the bytes as stored (compressed or not) and the type byte.
    uint32_t actual = crc32c::extend(crc32c::value(contents), trailer, 1);
    uint32_t expected = crc32c::unmask(coding::decode_fixed32(trailer + 1));
    if (actual != expected) fail(std::string(what) + " block checksum mismatch");
    auto type = static_cast<uint8_t>(trailer[0]);
    if (type == kSnappyCompression) return uncompress_snappy(contents, h, what);
    if (type != kNoCompression) fail("unknown block compression type " + std::to_string(type));
    return contents;
  }

  std::string_view uncompress_snappy(std::string_view compressed, const Handle& h, const char* what) {
    std::string block = std::string(what) + " block at offset " + std::to_string(h.offset);
    size_t length = 0;
    if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &length))
      fail(block + ": snappy data has no valid length");
    if (length > kSnappyMaxExpansion * compressed.size())
      fail(block + ": snappy data claims " + std::to_string(length) + " bytes from " +
           std::to_string(compressed.size()) + " compressed bytes, more than snappy can expand");
    uncompressed_.resize(length);
    if (!snappy::RawUncompress(compressed.data(), compressed.size(), uncompressed_.data()))
      fail(block + ": snappy data is damaged");
    return uncompressed_;
  }

  std::vector<Entry> parse_block(std::string_view block, const char* what) const {
    std::string where = std::string(" in ") + what + " block";
    if (block.size() < 4) fail("block too short" + where);
    uint32_t num_restarts = coding::decode_fixed32(block.data() + block.size() - 4);
    if (num_restarts == 0 || num_restarts > (block.size() - 4) / 4) fail("bad restart count" + where);
    size_t restarts_offset = block.size() - 4 - 4 * size_t{num_restarts};
    std::vector<uint32_t> restarts(num_restarts);
    for (uint32_t i = 0; i < num_restarts; ++i)
      restarts[i] = coding::decode_fixed32(block.data() + restarts_offset + 4 * i);

    std::vector<Entry> entries;
    std::string_view in = block.substr(0, restarts_offset);
    std::string key;
    size_t next_restart = 0;
    while (!in.empty()) {
      size_t entry_offset = restarts_offset - in.size();
      uint64_t shared, unshared, value_size;
      if (!coding::get_varint(in, shared, 32) || !coding::get_varint(in, unshared, 32) ||
          !coding::get_varint(in, value_size, 32))
        fail("bad entry header" + where);
      if (shared > key.size() || unshared > in.size() || value_size > in.size() - unshared)
        fail("entry lengths exceed the block" + where);
      bool is_restart = next_restart < restarts.size() && restarts[next_restart] == entry_offset;
      if (is_restart) {
        if (shared != 0) fail("restart entry shares a prefix" + where);
        ++next_restart;
      }
      if (entries.empty() && !is_restart) fail("first entry is not a restart point" + where);
      key.resize(shared);
      key.append(in.substr(0, unshared));
      if (!entries.empty() && !(entries.back().first < key)) fail("keys are not in increasing order" + where);
      entries.emplace_back(key, std::string(in.substr(unshared, value_size)));
      in.remove_prefix(unshared + value_size);
    }
    // Every restart offset must have matched an entry; an empty block has exactly the restart [0].
    bool empty_block_ok = entries.empty() && num_restarts == 1 && restarts[0] == 0;
    if (next_restart != restarts.size() && !empty_block_ok) fail("bad restart array" + where);
    return entries;
  }

  std::string_view file_;
  const std::string& name_;
  std::string uncompressed_;
};

}  // namespace

BlockBuilder::BlockBuilder(int restart_interval) : restart_interval_(restart_interval) {}

void BlockBuilder::add(std::string_view key, std::string_view value) {
  size_t shared = 0;
  if (since_restart_ < restart_interval_) {
    size_t n = std::min(last_key_.size(), key.size());
    while (shared < n && last_key_[shared] == key[shared]) ++shared;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    since_restart_ = 0;
  }
  coding::put_varint64(buffer_, shared);
  coding::put_varint64(buffer_, key.size() - shared);
  coding::put_varint64(buffer_, value.size());
  buffer_.append(key.substr(shared));
  buffer_.append(value);
  last_key_.assign(key);
  ++since_restart_;
}

size_t BlockBuilder::size_estimate() const { return buffer_.size() + 4 * restarts_.size() + 4; }

std::string BlockBuilder::finish() {
  std::string block = std::move(buffer_);
  for (uint32_t restart : restarts_) coding::put_fixed32(block, restart);
  coding::put_fixed32(block, static_cast<uint32_t>(restarts_.size()));
  buffer_.clear();
  restarts_.assign(1, 0);
  since_restart_ = 0;
  last_key_.clear();
  return block;
}

TableBuilder::TableBuilder(WritableFile& file) : file_(file) {}

void TableBuilder::add(std::string_view key, std::string_view value) {
  if (finished_) throw InvalidArgument("table " + file_.path() + ": add after finish");
  if (has_entries_) {
    if (!(std::string_view(last_key_) < key))
      throw InvalidArgument("table " + file_.path() + ": keys must be strictly increasing");
    // TensorFlow's addition to LevelDB: a huge entry starts a block of its own.
    if (key.size() + value.size() >= 2 * kBlockSize) flush_data_block();
  }
  if (!pending_handle_.empty()) {
    shorten_to_separator(last_key_, key);
    index_block_.add(last_key_, pending_handle_);
    pending_handle_.clear();
  }
  last_key_.assign(key);
  has_entries_ = true;
  data_block_.add(key, value);
  if (data_block_.size_estimate() >= kBlockSize) flush_data_block();
}

void TableBuilder::flush_data_block() {
  if (data_block_.empty()) return;
  pending_handle_ = write_block(data_block_);
}

std::string TableBuilder::write_block(BlockBuilder& block) {
  std::string contents = block.finish();
  std::string trailer(1, static_cast<char>(kNoCompression));
  uint32_t crc = crc32c::extend(crc32c::value(contents), trailer.data(), 1);
  coding::put_fixed32(trailer, crc32c::mask(crc));
  file_.append(contents);
  file_.append(trailer);
  std::string handle = encode_handle(offset_, contents.size());
  offset_ += contents.size() + trailer.size();
  return handle;
}

void TableBuilder::finish() {
  if (finished_) throw InvalidArgument("table " + file_.path() + ": finish called twice");
  finished_ = true;
  flush_data_block();
  BlockBuilder metaindex(kRestartInterval);
  std::string meta_handle = write_block(metaindex);
  if (!pending_handle_.empty()) {
    shorten_to_successor(last_key_);
    index_block_.add(last_key_, pending_handle_);
    pending_handle_.clear();
  }
  std::string index_handle = write_block(index_block_);
  std::string footer = meta_handle + index_handle;
  footer.resize(kFooterSize - 8, '\0');
  coding::put_fixed32(footer, static_cast<uint32_t>(kMagic));
  coding::put_fixed32(footer, static_cast<uint32_t>(kMagic >> 32));
  file_.append(footer);
  offset_ += footer.size();
}

std::vector<Entry> read_table(std::string_view contents, const std::string& filename) {
  return TableReader(contents, filename).read();
}

}  // namespace cairn::table
