// TensorFlow tensor bundles: BundleWriter and BundleReader (formats.md Part A1).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include "cairn/error.h"
#include "cairn/tensor_bundle.h"
#include "cairn/internal/io/coding.h"
#include "cairn/internal/io/crc32c.h"
#include "checkpoint/proto/tensor_bundle.pb.h"
#include "table.h"

namespace cairn {
namespace {

// TensorFlow's kTensorBundleVersion and kTensorBundleMinProducer.
constexpr int kBundleVersion = 1;
constexpr int kBundleMinProducer = 0;
// TensorFlow numbers data files with five digits ("data-00000-of-00001"); a header claiming more
// shards is damaged or hostile.
constexpr int kMaxShards = 99999;

// The running CRC of a DT_STRING tensor covers each length as a little-endian integer of 4 bytes, or
// of 8 bytes when it does not fit in 4 (TensorFlow's rule; not the varint bytes that are stored).
uint32_t extend_with_length(uint32_t crc, uint64_t length) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(length >> (8 * i));
  return crc32c::extend(crc, bytes, length > UINT32_MAX ? 8 : 4);
}

std::string tf_dtype_name(int tf_dtype) {
  std::string name = proto::DataType_Name(tf_dtype);
  return name.empty() ? "unknown" : name;
}

std::string quoted(const std::string& key) { return "'" + key + "'"; }

// The index table: the header entry, then every (key, serialized BundleEntryProto) in bytewise key order.
void write_index_file(Env& env, const std::string& path, int num_shards,
                      const std::map<std::string, std::string>& entries) {
  proto::BundleHeaderProto header;
  header.set_num_shards(num_shards);
  header.set_endianness(proto::BundleHeaderProto::LITTLE);
  header.mutable_version()->set_producer(kBundleVersion);
  auto file = env.new_writable_file(path);
  table::TableBuilder table(*file);
  table.add("", header.SerializeAsString());
  for (const auto& [key, entry] : entries) table.add(key, entry);
  table.finish();
  file->sync();
  file->close();
}

}  // namespace

int tf_dtype_number(DType dtype) {
  switch (dtype) {
    case DType::Float32: return proto::DT_FLOAT;
    case DType::Float64: return proto::DT_DOUBLE;
    case DType::Int32: return proto::DT_INT32;
    case DType::Int64: return proto::DT_INT64;
    case DType::UInt8: return proto::DT_UINT8;
    case DType::Bool: return proto::DT_BOOL;
  }
  throw InvalidArgument("unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

std::optional<DType> dtype_from_tf_number(int tf_dtype) {
  switch (tf_dtype) {
    case proto::DT_FLOAT: return DType::Float32;
    case proto::DT_DOUBLE: return DType::Float64;
    case proto::DT_INT32: return DType::Int32;
    case proto::DT_INT64: return DType::Int64;
    case proto::DT_UINT8: return DType::UInt8;
    case proto::DT_BOOL: return DType::Bool;
    default: return std::nullopt;
  }
}

std::string bundle_index_path(const std::string& prefix) { return prefix + ".index"; }

std::string bundle_data_path(const std::string& prefix, int shard, int num_shards) {
  char suffix[48];
  std::snprintf(suffix, sizeof suffix, ".data-%05d-of-%05d", shard, num_shards);
  return prefix + suffix;
}

bool bundle_exists(Env& env, const std::string& prefix) { return env.file_exists(bundle_index_path(prefix)); }

void remove_bundle(Env& env, const std::string& prefix) {
  std::string dir = parent_dir(prefix);
  std::string base = prefix.substr(prefix.find_last_of('/') + 1);
  std::string index = bundle_index_path(prefix);
  if (env.file_exists(index)) {
    env.remove_file(index);
    env.sync_dir(dir);
  }
  // Data shards, and temporary files of saves that crashed ("<base>.index.tempstate...").
  bool removed = false;
  for (const std::string& name : env.list_dir(dir)) {
    if (name.starts_with(base + ".data-") || name.starts_with(base + ".index.tempstate")) {
      env.remove_file(join_path(dir, name));
      removed = true;
    }
  }
  if (removed) env.sync_dir(dir);
}

// ---------------------------------------------------------------------------------------------
// BundleWriter

struct BundleWriter::Impl {
  enum class State { Open, Finished, Failed };

  Env& env;
  std::string prefix;
  std::string dir;
  std::string data_path;
  std::string index_path;
  std::string data_temp;
  std::string index_temp;
  std::unique_ptr<WritableFile> data_file;
  int shard = 0;
  int num_shards = 1;
  uint64_t offset = 0;
  std::map<std::string, std::string> entries;  // key -> serialized BundleEntryProto, in bytewise order
  State state = State::Open;
  std::string failure;
  bool data_renamed = false;
  bool index_renamed = false;

  Impl(Env& env_, std::string prefix_, int shard_, int num_shards_)
      : env(env_),
        prefix(std::move(prefix_)),
        dir(parent_dir(prefix)),
        data_path(bundle_data_path(prefix, shard_, num_shards_)),
        index_path(bundle_index_path(prefix)),
        data_temp(temporary_path_for(data_path)),
        index_temp(temporary_path_for(index_path)),
        shard(shard_),
        num_shards(num_shards_) {
    if (num_shards < 1 || num_shards > kMaxShards || shard < 0 || shard >= num_shards)
      throw InvalidArgument("checkpoint " + prefix + ": no data shard " + std::to_string(shard) + " of " +
                            std::to_string(num_shards));
    env.create_dirs(dir);
    data_file = env.new_writable_file(data_temp);
  }

  void check_usable() const {
    if (state == State::Failed)
      throw IOError("checkpoint " + prefix + " cannot be written after an earlier failure: " + failure);
    if (state == State::Finished) throw InvalidArgument("checkpoint " + prefix + " is already finished");
  }

  void check_new_key(const std::string& key) const {
    if (key.empty()) throw InvalidArgument("checkpoint " + prefix + ": the empty key is reserved for the header");
    if (entries.contains(key)) throw InvalidArgument("checkpoint " + prefix + ": duplicate key " + quoted(key));
  }

  // Runs a step that touches files; on any failure removes everything this writer created.
  template <class Fn>
  void guarded(Fn&& step) {
    try {
      step();
    } catch (const std::exception& e) {
      failure = e.what();
      abandon();
      throw;
    }
  }

  void abandon() noexcept {
    state = State::Failed;
    data_file.reset();
    std::vector<std::string> created = {data_temp, index_temp};
    if (data_renamed) created.push_back(data_path);
    if (index_renamed) created.push_back(index_path);
    for (const std::string& path : created) {
      try {
        if (env.file_exists(path)) env.remove_file(path);
      } catch (const std::exception&) {  // cleanup is best effort; the original error matters
      }
    }
  }

  void add_entry(const std::string& key, int tf_dtype, const Shape& shape, uint64_t size, uint32_t crc) {
    proto::BundleEntryProto entry;
    entry.set_dtype(static_cast<proto::DataType>(tf_dtype));
    auto* shape_proto = entry.mutable_shape();  // present even for scalars, as TensorFlow writes it
    for (int64_t d : shape) shape_proto->add_dim()->set_size(d);
    entry.set_shard_id(shard);
    entry.set_offset(static_cast<int64_t>(offset));
    entry.set_size(static_cast<int64_t>(size));
    entry.set_crc32c(crc32c::mask(crc));
    entries.emplace(key, entry.SerializeAsString());
    offset += size;
  }

  void write_index() { write_index_file(env, index_temp, 1, entries); }
};

BundleWriter::BundleWriter(Env& env, std::string prefix) : BundleWriter(env, std::move(prefix), 0, 1) {}

BundleWriter::BundleWriter(Env& env, std::string prefix, int shard, int num_shards)
    : impl_(std::make_unique<Impl>(env, std::move(prefix), shard, num_shards)) {}

BundleWriter::~BundleWriter() {
  if (impl_->state == Impl::State::Open) impl_->abandon();
}

const std::string& BundleWriter::prefix() const { return impl_->prefix; }

void BundleWriter::add(const std::string& key, const Tensor& tensor) {
  Impl& w = *impl_;
  w.check_usable();
  w.check_new_key(key);
  if (!tensor.defined()) throw InvalidArgument("checkpoint " + w.prefix + ": tensor " + quoted(key) + " is undefined");
  std::string_view bytes(static_cast<const char*>(tensor.raw_data()), tensor.nbytes());
  // Checksummed and written piece by piece, so that each piece is still in the cache when the kernel
  // copies it: one pass over the tensor's memory instead of two.
  constexpr size_t kPiece = 256 << 10;
  uint32_t crc = 0;
  w.guarded([&] {
    for (size_t at = 0; at < bytes.size(); at += kPiece) {
      std::string_view piece = bytes.substr(at, kPiece);
      crc = crc32c::extend(crc, piece);
      w.data_file->append(piece);
    }
  });
  w.add_entry(key, tf_dtype_number(tensor.dtype()), tensor.shape(), bytes.size(), crc);
}

void BundleWriter::add_strings(const std::string& key, const Shape& shape, const std::vector<std::string>& values) {
  Impl& w = *impl_;
  w.check_usable();
  w.check_new_key(key);
  if (num_elements(shape) != static_cast<int64_t>(values.size()))
    throw ShapeError("checkpoint " + w.prefix + ": string tensor " + quoted(key) + " has " +
                     std::to_string(values.size()) + " values for shape " + shape_str(shape));
  // [varint64 lengths][fixed32 masked CRC of the lengths][the strings' bytes]
  std::string head;
  uint32_t crc = 0;
  for (const std::string& s : values) {
    coding::put_varint64(head, s.size());
    crc = extend_with_length(crc, s.size());
  }
  std::string length_checksum;
  coding::put_fixed32(length_checksum, crc32c::mask(crc));
  crc = crc32c::extend(crc, length_checksum);
  head += length_checksum;
  uint64_t size = head.size();
  w.guarded([&] {
    w.data_file->append(head);
    for (const std::string& s : values) w.data_file->append(s);
  });
  for (const std::string& s : values) {
    crc = crc32c::extend(crc, s);
    size += s.size();
  }
  w.add_entry(key, kTfDtypeString, shape, size, crc);
}

void BundleWriter::finish() {
  Impl& w = *impl_;
  w.check_usable();
  if (w.num_shards != 1)
    throw InvalidArgument("checkpoint " + w.prefix + ": a writer of one of several data shards ends with finish_shard()");
  w.guarded([&] {
    w.data_file->sync();
    w.data_file->close();
    w.data_file.reset();
    w.write_index();
    // Replacing a checkpoint at the same prefix: its index goes first (durably), so that no moment
    // shows the old index beside the new data file.
    if (w.env.file_exists(w.index_path)) {
      w.env.remove_file(w.index_path);
      w.env.sync_dir(w.dir);
    }
    w.env.rename_file(w.data_temp, w.data_path);
    w.data_renamed = true;
    w.env.rename_file(w.index_temp, w.index_path);
    w.index_renamed = true;
    w.env.sync_dir(w.dir);
  });
  w.state = Impl::State::Finished;
}

std::vector<std::pair<std::string, std::string>> BundleWriter::finish_shard() {
  Impl& w = *impl_;
  w.check_usable();
  w.guarded([&] {
    w.data_file->sync();
    w.data_file->close();
    w.data_file.reset();
    w.env.rename_file(w.data_temp, w.data_path);
    w.data_renamed = true;
    w.env.sync_dir(w.dir);
  });
  w.state = Impl::State::Finished;
  return {w.entries.begin(), w.entries.end()};
}

void write_bundle_index(Env& env, const std::string& prefix, int num_shards,
                        std::vector<std::pair<std::string, std::string>> entries) {
  if (num_shards < 1 || num_shards > kMaxShards)
    throw InvalidArgument("checkpoint " + prefix + ": bad shard count " + std::to_string(num_shards));
  std::map<std::string, std::string> sorted;
  for (auto& [key, entry] : entries) {
    proto::BundleEntryProto parsed;
    if (key.empty() || !parsed.ParseFromString(entry) || parsed.shard_id() < 0 || parsed.shard_id() >= num_shards)
      throw InvalidArgument("checkpoint " + prefix + ": the entry for key " + quoted(key) + " is not one of data shard 0 to " +
                            std::to_string(num_shards - 1));
    if (sorted.contains(key)) throw InvalidArgument("checkpoint " + prefix + ": duplicate key " + quoted(key));
    sorted.emplace(std::move(key), std::move(entry));
  }
  const std::string index = bundle_index_path(prefix);
  const std::string temp = temporary_path_for(index);
  try {
    write_index_file(env, temp, num_shards, sorted);
    env.rename_file(temp, index);
    env.sync_dir(parent_dir(prefix));
  } catch (...) {
    try {
      if (env.file_exists(temp)) env.remove_file(temp);
    } catch (const std::exception&) {  // best effort; the original error matters
    }
    throw;
  }
}

// ---------------------------------------------------------------------------------------------
// BundleReader

struct BundleReader::Impl {
  Env& env;
  std::string prefix;
  std::string index_path;
  int num_shards = 1;
  std::map<std::string, BundleEntryInfo, std::less<>> entries;
  std::vector<std::string> keys;
  mutable std::mutex mutex;
  // Opened on first use, by shard id: nothing is allocated for the shards the header only counts.
  mutable std::map<int, std::unique_ptr<RandomAccessFile>> shards;

  Impl(Env& env_, std::string prefix_) : env(env_), prefix(std::move(prefix_)), index_path(bundle_index_path(prefix)) {
    std::string contents = env.read_file(index_path);
    std::vector<table::Entry> table = table::read_table(contents, index_path);
    if (table.empty() || !table.front().first.empty()) fail_index("the header entry (empty key) is missing");
    parse_header(table.front().second);
    for (size_t i = 1; i < table.size(); ++i) {
      entries.emplace(table[i].first, parse_entry(table[i].first, table[i].second));
      keys.push_back(table[i].first);
    }
  }

  [[noreturn]] void fail_index(const std::string& what) const {
    throw FormatError("checkpoint index " + index_path + ": " + what);
  }

  void parse_header(const std::string& bytes) {
    proto::BundleHeaderProto header;
    if (!header.ParseFromString(bytes)) fail_index("unparsable header");
    const auto& version = header.version();
    bool bad_consumer = false;
    for (int v : version.bad_consumers()) bad_consumer |= v == kBundleVersion;
    if (version.producer() < kBundleMinProducer || version.min_consumer() > kBundleVersion || bad_consumer)
      fail_index("bundle version (producer " + std::to_string(version.producer()) + ", min consumer " +
                 std::to_string(version.min_consumer()) + ") cannot be read by version " +
                 std::to_string(kBundleVersion));
    if (header.endianness() != proto::BundleHeaderProto::LITTLE) fail_index("big-endian checkpoints are not supported");
    if (header.num_shards() < 1 || header.num_shards() > kMaxShards)
      fail_index("bad shard count " + std::to_string(header.num_shards()) + " (cairn reads 1 to " +
                 std::to_string(kMaxShards) + " data shards)");
    num_shards = header.num_shards();
  }

  BundleEntryInfo parse_entry(const std::string& key, const std::string& bytes) const {
    proto::BundleEntryProto entry;
    if (!entry.ParseFromString(bytes)) fail_index("unparsable entry for key " + quoted(key));
    BundleEntryInfo info;
    info.tf_dtype = entry.dtype();
    info.dtype = dtype_from_tf_number(info.tf_dtype);
    if (entry.shape().unknown_rank()) fail_index("key " + quoted(key) + " has a shape of unknown rank");
    int64_t numel = 1;
    for (const auto& dim : entry.shape().dim()) {
      if (dim.size() < 0 || __builtin_mul_overflow(numel, dim.size(), &numel))
        fail_index("key " + quoted(key) + " has an invalid shape");
      info.shape.push_back(dim.size());
    }
    info.partitioned = entry.slices_size() > 0;
    if (!info.partitioned) {
      if (entry.shard_id() < 0 || entry.shard_id() >= num_shards)
        fail_index("key " + quoted(key) + " refers to data shard " + std::to_string(entry.shard_id()) + " of " +
                   std::to_string(num_shards));
      if (entry.offset() < 0 || entry.size() < 0)
        fail_index("key " + quoted(key) + " has a negative offset or size");
    }
    info.shard_id = entry.shard_id();
    info.offset = static_cast<uint64_t>(entry.offset());
    info.size = static_cast<uint64_t>(entry.size());
    info.masked_crc32c = entry.crc32c();
    return info;
  }

  const BundleEntryInfo& lookup(const std::string& key) const {
    auto it = entries.find(key);
    if (it == entries.end()) throw InvalidArgument("checkpoint " + prefix + " has no key " + quoted(key));
    if (it->second.partitioned)
      throw FormatError("checkpoint " + prefix + ": key " + quoted(key) +
                        " is a partitioned (sliced) variable, which cairn does not support");
    return it->second;
  }

  // The entry's data shard, after checking that it holds the entry's bytes: this check comes before
  // any allocation of info.size bytes, so a hostile size cannot exhaust memory.
  const RandomAccessFile& checked_shard(const std::string& key, const BundleEntryInfo& info) const {
    const RandomAccessFile& file = shard(info.shard_id);
    if (info.offset > file.size() || info.size > file.size() - info.offset)
      throw FormatError("data file " + file.path() + " is truncated: key " + quoted(key) + " needs bytes [" +
                        std::to_string(info.offset) + ", " + std::to_string(info.offset + info.size) +
                        ") but the file has " + std::to_string(file.size()));
    return file;
  }

  void read_bytes(const std::string& key, const BundleEntryInfo& info, char* dst) const {
    const RandomAccessFile& file = checked_shard(key, info);
    if (file.read(info.offset, info.size, dst) != info.size)
      throw FormatError("data file " + file.path() + " ended early while reading key " + quoted(key));
  }

  const RandomAccessFile& shard(int id) const {
    std::lock_guard lock(mutex);
    auto& file = shards[id];
    if (!file) file = env.new_random_access_file(bundle_data_path(prefix, id, num_shards));
    return *file;
  }

  [[noreturn]] void fail_data(const std::string& key, const BundleEntryInfo& info, const std::string& what) const {
    throw FormatError("data file " + bundle_data_path(prefix, info.shard_id, num_shards) + ", key " + quoted(key) +
                      ": " + what);
  }

  // A tensor entry's dtype is one cairn has and its size is exactly that of its shape.
  void check_tensor_entry(const std::string& key, const BundleEntryInfo& info) const {
    if (!info.dtype)
      throw FormatError("checkpoint " + prefix + ": key " + quoted(key) + " has TensorFlow dtype " +
                        std::to_string(info.tf_dtype) + " (" + tf_dtype_name(info.tf_dtype) +
                        "), which cairn cannot load as a tensor");
    uint64_t expected;
    if (__builtin_mul_overflow(static_cast<uint64_t>(num_elements(info.shape)), dtype_size(*info.dtype), &expected) ||
        info.size != expected)
      fail_data(key, info, "holds " + std::to_string(info.size) + " bytes, which is not the size of shape " +
                               shape_str(info.shape) + " of " + std::string(dtype_name(*info.dtype)));
  }

  // The entry's info.size bytes into dst, verified against the checksum (and, for bools, the values).
  // Read in pieces, each checksummed while it is still in the cache.
  static constexpr uint64_t kPieceBytes = 256 << 10;

  // The entry's info.size bytes into dst, verified against the checksum (and, for bools, the values).
  // With reuse_piece, every piece goes to dst, which holds min(info.size, kPieceBytes) bytes: the bytes
  // are only verified (BundleReader::verify).
  void read_tensor_bytes(const std::string& key, const BundleEntryInfo& info, char* dst, bool reuse_piece = false) const {
    const RandomAccessFile& file = checked_shard(key, info);
    uint32_t crc = 0;
    bool bad_bool = false;
    for (uint64_t done = 0; done < info.size;) {
      const auto n = static_cast<size_t>(std::min(kPieceBytes, info.size - done));
      char* piece = reuse_piece ? dst : dst + done;
      if (file.read(info.offset + done, n, piece) != n)
        throw FormatError("data file " + file.path() + " ended early while reading key " + quoted(key));
      crc = crc32c::extend(crc, piece, n);
      if (*info.dtype == DType::Bool)
        for (size_t i = 0; i < n; ++i) bad_bool |= static_cast<uint8_t>(piece[i]) > 1;
      done += n;
    }
    if (crc32c::mask(crc) != info.masked_crc32c) fail_data(key, info, "checksum mismatch");
    if (bad_bool) fail_data(key, info, "bool element is neither 0 nor 1");
  }
};

namespace {
// An allocation that fails while reading a checkpoint is reported with the file, not as a bare
// std::bad_alloc.
template <class Fn>
auto naming_out_of_memory(const std::string& what, Fn&& read) {
  try {
    return read();
  } catch (const std::bad_alloc&) {
    throw ResourceLimitError(what + ": out of memory while reading it");
  }
}
}  // namespace

BundleReader::BundleReader(Env& env, std::string prefix)
    : impl_(naming_out_of_memory("checkpoint index " + bundle_index_path(prefix),
                                 [&] { return std::make_unique<Impl>(env, std::move(prefix)); })) {}
BundleReader::~BundleReader() = default;

const std::string& BundleReader::prefix() const { return impl_->prefix; }
const std::vector<std::string>& BundleReader::keys() const { return impl_->keys; }
bool BundleReader::contains(const std::string& key) const { return impl_->entries.contains(key); }

const BundleEntryInfo& BundleReader::info(const std::string& key) const {
  auto it = impl_->entries.find(key);
  if (it == impl_->entries.end()) throw InvalidArgument("checkpoint " + impl_->prefix + " has no key " + quoted(key));
  return it->second;
}

Tensor BundleReader::read(const std::string& key) const {
  const Impl& r = *impl_;
  const BundleEntryInfo& info = r.lookup(key);
  r.check_tensor_entry(key, info);
  r.checked_shard(key, info);  // before allocating: the size was checked against the shape, not the file
  return naming_out_of_memory("checkpoint " + r.prefix + ", key " + quoted(key), [&] {
    Tensor tensor(info.shape, *info.dtype);
    r.read_tensor_bytes(key, info, static_cast<char*>(tensor.raw_data()));
    return tensor;
  });
}

void BundleReader::read_into(const std::string& key, void* dst, size_t size) const {
  const Impl& r = *impl_;
  const BundleEntryInfo& info = r.lookup(key);
  r.check_tensor_entry(key, info);
  if (size != info.size)
    throw InvalidArgument("checkpoint " + r.prefix + ": key " + quoted(key) + " holds " + std::to_string(info.size) +
                          " bytes, but " + std::to_string(size) + " were asked for");
  r.read_tensor_bytes(key, info, static_cast<char*>(dst));
}

void BundleReader::verify(const std::string& key) const {
  const Impl& r = *impl_;
  const BundleEntryInfo& info = r.lookup(key);
  r.check_tensor_entry(key, info);
  r.checked_shard(key, info);
  auto piece = std::make_unique_for_overwrite<char[]>(std::min(Impl::kPieceBytes, info.size));
  r.read_tensor_bytes(key, info, piece.get(), /*reuse_piece=*/true);
}

std::vector<std::string> BundleReader::read_strings(const std::string& key) const {
  const Impl& r = *impl_;
  const BundleEntryInfo& info = r.lookup(key);
  if (info.tf_dtype != kTfDtypeString)
    throw FormatError("checkpoint " + r.prefix + ": key " + quoted(key) + " has TensorFlow dtype " +
                      std::to_string(info.tf_dtype) + ", not DT_STRING (7)");
  auto count = static_cast<uint64_t>(num_elements(info.shape));
  // Each element takes at least one length byte, and the lengths' checksum takes four.
  if (info.size < 4 || count > info.size - 4)
    r.fail_data(key, info, std::to_string(info.size) + " bytes cannot hold " + std::to_string(count) + " strings");
  // Every string costs about 40 bytes of bookkeeping beyond its characters, so a file of empty strings
  // could ask for 40 times its size; checkpoints hold a few strings (the object graph, vocabularies).
  constexpr uint64_t kMaxStrings = uint64_t{1} << 22;
  if (count > kMaxStrings)
    throw ResourceLimitError("checkpoint " + r.prefix + ": key " + quoted(key) + " holds " + std::to_string(count) +
                             " strings, more than the " + std::to_string(kMaxStrings) + " cairn reads");
  r.checked_shard(key, info);
  std::string bytes(info.size, '\0');
  r.read_bytes(key, info, bytes.data());

  std::string_view in = bytes;
  std::vector<uint64_t> lengths(count);
  uint32_t crc = 0;
  for (uint64_t& length : lengths) {
    if (!coding::get_varint(in, length)) r.fail_data(key, info, "bad string length");
    crc = extend_with_length(crc, length);
  }
  if (in.size() < 4) r.fail_data(key, info, "string lengths run past the entry");
  if (crc32c::mask(crc) != coding::decode_fixed32(in.data())) r.fail_data(key, info, "checksum mismatch in string lengths");
  crc = crc32c::extend(crc, in.data(), 4);
  in.remove_prefix(4);
  std::vector<std::string> values;
  values.reserve(count);
  for (uint64_t length : lengths) {
    if (length > in.size()) r.fail_data(key, info, "strings run past the entry");
    values.emplace_back(in.substr(0, length));
    crc = crc32c::extend(crc, in.data(), length);
    in.remove_prefix(length);
  }
  if (!in.empty()) r.fail_data(key, info, std::to_string(in.size()) + " unexpected bytes after the strings");
  if (crc32c::mask(crc) != info.masked_crc32c) r.fail_data(key, info, "checksum mismatch");
  return values;
}

std::string BundleReader::read_string(const std::string& key) const {
  std::vector<std::string> values = read_strings(key);
  if (values.size() != 1)
    throw ShapeError("checkpoint " + impl_->prefix + ": key " + quoted(key) + " holds " +
                     std::to_string(values.size()) + " strings, expected one");
  return std::move(values.front());
}

}  // namespace cairn
