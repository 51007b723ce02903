// A small RAII layer over the HDF5 C library, as far as Keras's files need it: groups, string
// attributes (fixed-length and variable-length, as h5py writes either), numeric datasets, and whole
// files held in memory (the core driver), so that reading and writing go through cairn's Env.
//
// HDF5 failures become cairn exceptions naming the file, the object and the library's reason; the
// library's own printing of error stacks is turned off. The library is not reentrant here: callers hold
// h5::lock() around every use.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/shape.h"
#include "cairn/tensor.h"

namespace cairn::h5 {

// Serializes calls into the HDF5 library and turns off its automatic error printing.
std::unique_lock<std::recursive_mutex> lock();

// Owns one HDF5 identifier and closes it with the matching H5*close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return id_; }
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// A group (or a file's root group). `source` names the file in messages; `path` is the group's path.
class Group {
 public:
  Group(Handle handle, std::string source, std::string path)
      : handle_(std::move(handle)), source_(std::move(source)), path_(std::move(path)) {}
  hid_t id() const { return handle_.id(); }
  const std::string& source() const { return source_; }
  const std::string& path() const { return path_; }
  // "file.h5: /model_weights/dense": how messages name this group.
  std::string where() const;
  std::string where(const std::string& child) const;

  // Whether a link exists at a relative path ("dense/kernel:0"); false when a component is missing.
  bool has(const std::string& relative_path) const;
  bool is_group(const std::string& relative_path) const;
  Group open_group(const std::string& relative_path) const;  // FormatError if absent
  Group create_group(const std::string& relative_path);     // with missing intermediate groups
  std::vector<std::string> children() const;                 // link names, in the file's order

  bool has_attribute(const std::string& name) const;
  // A string attribute stored as one string or as an array of one string.
  std::string string_attribute(const std::string& name) const;
  // A list of strings, fixed- or variable-length; an empty numeric array (h5py's np.array([])) is an
  // empty list. Keras's chunked form (name0, name1, ...) is joined. nullopt when absent.
  std::optional<std::vector<std::string>> string_list_attribute(const std::string& name) const;
  // A scalar variable-length UTF-8 string, as h5py writes a str.
  void set_string_attribute(const std::string& name, const std::string& value);
  // Fixed-length NULLPAD ASCII strings, as h5py writes an array of bytes (tf.keras 2.x's layer_names
  // and weight_names); an empty list is an empty float64 array. Lists over HDF5's object header limit
  // are split into name0, name1, ... as Keras does.
  void set_string_list_attribute(const std::string& name, const std::vector<std::string>& values);

  Shape dataset_shape(const std::string& relative_path) const;
  struct DatasetType {
    // numpy's name of the stored type ("float32", "float16", "uint8"; "bool" for h5py's enum of int8),
    // or the HDF5 class of one numpy has no plain name for ("string", "compound"...).
    std::string name;
    size_t item_size = 0;  // bytes per element as stored
  };
  DatasetType dataset_type(const std::string& relative_path) const;
  // The dataset's values converted by HDF5 to `dtype` (FormatError for non-numeric data;
  // ResourceLimitError, before allocating, when its shape needs more bytes than its file could hold).
  Tensor read_dataset(const std::string& relative_path, DType dtype) const;
  // A contiguous dataset of the tensor's dtype (0-d for scalars), creating intermediate groups.
  void write_dataset(const std::string& relative_path, const Tensor& value);

 private:
  Handle handle_;
  std::string source_;
  std::string path_;
};

// An HDF5 file held in memory.
class File {
 public:
  // An empty file to fill and then take as bytes with image().
  static File create(const std::string& source);
  // Opens a file image read-only; FormatError naming `source` when the bytes are not an HDF5 file, and
  // naming the link too when any link leaves the file (external, user-defined or dangling soft links) or
  // reaches a group a second time (a cycle): every link is checked before anything is read.
  // libhdf5 itself loops forever or crashes on some damaged files, out of cairn's reach; so a child
  // process reads the file first, everything cairn could read of it, and a child that crashes or does not
  // finish in time (CAIRN_HDF5_READ_TIMEOUT seconds; by default 10 s and 20 ms per MB) makes open a
  // FormatError naming the file, without this process having read it.
  static File open(std::span<const uint8_t> bytes, const std::string& source);
  Group root() const;
  // The file's bytes, as they would be on disk.
  std::vector<uint8_t> image();

 private:
  File(Handle handle, std::string source) : handle_(std::move(handle)), source_(std::move(source)) {}
  static File open_image(std::span<const uint8_t> bytes, const std::string& source);
  static void rehearse_in_child_process(std::span<const uint8_t> bytes, const std::string& source);
  Handle handle_;
  std::string source_;
};

// True when the bytes start with HDF5's signature.
bool looks_like_hdf5(std::span<const uint8_t> bytes);

}  // namespace cairn::h5
