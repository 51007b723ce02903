// TensorFlow checkpoints ("V2" tensor bundles) at the level of named tensors.
//
// A checkpoint with prefix P is the files P.index (a sorted table of key -> tensor metadata) and
// P.data-00000-of-00001 (the tensors' bytes), exactly as TensorFlow writes and reads them; see
// docs/formats.md. BundleWriter makes a checkpoint appear atomically: complete, or not at all.
// BundleReader verifies every checksum and bound, so damaged files give FormatError, never wrong data.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/dtype.h"
#include "cairn/env.h"
#include "cairn/shape.h"
#include "cairn/tensor.h"

namespace cairn {

// TensorFlow's DataType number of an engine dtype (DT_FLOAT = 1, DT_INT64 = 9, DT_BOOL = 10...).
int tf_dtype_number(DType dtype);
// The engine dtype of a TensorFlow DataType number, if cairn has one.
std::optional<DType> dtype_from_tf_number(int tf_dtype);
inline constexpr int kTfDtypeString = 7;  // DT_STRING

std::string bundle_index_path(const std::string& prefix);  // prefix + ".index"
// prefix + ".data-SSSSS-of-NNNNN"
std::string bundle_data_path(const std::string& prefix, int shard = 0, int num_shards = 1);
// A checkpoint is visible exactly when its .index file exists.
bool bundle_exists(Env& env, const std::string& prefix);
// Deletes a checkpoint: its index first (so it disappears at once), then its data shards and any
// temporary files a crashed save left; syncs the directory after each step. Missing files are fine.
void remove_bundle(Env& env, const std::string& prefix);

// Writes one checkpoint. Tensors are streamed to a temporary data file as they are added; finish()
// writes the index and renames both files into place (data first, then index) with the fsyncs that
// make the checkpoint survive a crash. If finish() is never reached or anything fails, the temporary
// files are removed and no checkpoint exists at prefix. A checkpoint already at prefix is replaced:
// finish() first deletes its index, so a failure at that stage leaves no checkpoint at prefix.
// Checkpoints at other prefixes are never touched.
class BundleWriter {
 public:
  BundleWriter(Env& env, std::string prefix);  // creates the directory if needed
  // Data shard `shard` of a checkpoint that `num_shards` writers make together (TensorFlow's multi-shard
  // layout, prefix.data-SSSSS-of-NNNNN): add() as usual, then finish_shard() instead of finish().
  BundleWriter(Env& env, std::string prefix, int shard, int num_shards);
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  // Keys are non-empty and unique (InvalidArgument otherwise). After an IOError the writer is dead:
  // its files are already removed and every further call throws IOError.
  void add(const std::string& key, const Tensor& tensor);
  // A DT_STRING tensor (TensorFlow's layout, used for "_CHECKPOINTABLE_OBJECT_GRAPH").
  void add_strings(const std::string& key, const Shape& shape, const std::vector<std::string>& values);
  void add_string(const std::string& key, std::string_view value) { add_strings(key, {}, {std::string(value)}); }
  void finish();
  // The end of a shard writer: makes its data file durable under its final name (synced, renamed, the
  // directory synced) and returns the index entries of its tensors for write_bundle_index. Nothing is
  // visible as a checkpoint until that index exists; remove_bundle removes a shard left without one.
  std::vector<std::pair<std::string, std::string>> finish_shard();

  const std::string& prefix() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes the index of a multi-shard checkpoint from its shards' finish_shard() entries (in any order),
// atomically: a temporary file, synced, renamed into place, the directory synced, so that the checkpoint
// appears whole at once. An index already at prefix is replaced. InvalidArgument for a key given twice or
// an entry that names another shard count.
void write_bundle_index(Env& env, const std::string& prefix, int num_shards,
                        std::vector<std::pair<std::string, std::string>> entries);

// What the index says about one tensor.
struct BundleEntryInfo {
  int tf_dtype = 0;            // TensorFlow DataType number
  std::optional<DType> dtype;  // the engine dtype, when cairn supports tf_dtype
  Shape shape;
  int shard_id = 0;
  uint64_t offset = 0;  // in the data shard
  uint64_t size = 0;    // bytes
  uint32_t masked_crc32c = 0;
  bool partitioned = false;  // a TF partitioned variable (slices), which cairn cannot read
};

// Reads a checkpoint. The constructor reads and verifies the whole index and its header; data shards
// are opened on first use.
class BundleReader {
 public:
  BundleReader(Env& env, std::string prefix);
  ~BundleReader();
  BundleReader(const BundleReader&) = delete;
  BundleReader& operator=(const BundleReader&) = delete;

  // All tensor keys in bytewise order (the header entry "" is not a tensor and is not listed).
  const std::vector<std::string>& keys() const;
  bool contains(const std::string& key) const;
  const BundleEntryInfo& info(const std::string& key) const;  // InvalidArgument if absent

  // The tensor under key, with its checksum verified. FormatError (naming the file and the key) for a
  // dtype cairn does not have, a size that does not match the shape, a checksum mismatch or a
  // truncated data file; IOError when the data shard cannot be opened.
  Tensor read(const std::string& key) const;
  // The bytes of the tensor under key, verified as by read(), into dst, which holds size bytes: exactly
  // info(key).size (InvalidArgument otherwise). For callers that place many values in memory of their own
  // (Checkpoint::restore stages a whole restore in one block).
  void read_into(const std::string& key, void* dst, size_t size) const;
  // Checks the tensor under key as read() does (dtype, size, checksum, bool values) without keeping it:
  // its bytes pass through a buffer of at most 256 KB. Checkpoint::restore verifies every value this
  // way before it reads the variables' values straight into them.
  void verify(const std::string& key) const;
  // A DT_STRING tensor's elements in row-major order, verified like read().
  std::vector<std::string> read_strings(const std::string& key) const;
  std::string read_string(const std::string& key) const;  // a DT_STRING tensor of one element

  const std::string& prefix() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn
