// Hugging Face safetensors files: u64 header length N | N bytes of JSON header | the tensors' bytes.
//
// Reading maps the file read-only and applies every check of the reference reader (safetensors'
// read_metadata and Metadata::validate): header at most 100 MB, valid UTF-8, a JSON object whose
// entries have exactly the dtype / shape / data_offsets schema (other fields of an entry are ignored, as
// serde ignores them), `__metadata__` a string-to-string map, offsets contiguous from 0 without gaps or
// overlaps, each entry's size equal to its shape's elements times its dtype's bits / 8, and the file
// ending exactly at the last offset. cairn also refuses duplicate keys (which the format disallows) and
// bool bytes other than 0 and 1. Every violation is a FormatError naming the file and, where there is
// one, the tensor key; it is found before anything the size of the claimed data is allocated.
//
// Dtypes: F32, F64, I32, I64, U8 and BOOL are read as float32, float64, int32, int64, uint8 and bool.
// F16 and BF16 are widened to float32, which holds each of their values exactly. Every other dtype of
// the format (I8, I16, U16, U32, U64, C64, the F8/F6/F4 kinds) is validated and listed, but reading it is
// a FormatError naming the key and the dtype.
//
// Writing produces the modern layout of the reference writer: tensors sorted by descending dtype
// (I64, F64, F32, I32, U8, BOOL, the reference's alignment order, so that every tensor starts at a
// multiple of its element size) and then by name, packed from offset 0; a compact header with
// `__metadata__` first (its keys sorted) and then the tensors in offset order; padded with spaces to a
// multiple of 8 bytes: byte for byte what the reference writer produces for the same tensors (the
// reference orders several metadata keys by their hash; cairn sorts them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/dtype.h"
#include "cairn/env.h"
#include "cairn/npy.h"  // NamedTensor
#include "cairn/shape.h"
#include "cairn/tensor.h"

namespace cairn {

// Every tensor of the file, in the order of the file's header (for files written by the reference
// writer or by cairn that is also the order of their offsets). Throws FormatError for a damaged file or
// a tensor of a dtype cairn cannot read, IOError when the file cannot be opened.
std::vector<NamedTensor> load_safetensors(const std::string& path);

// Writes tensors (names unique, valid UTF-8, not "__metadata__"; tensors defined) and metadata (valid
// UTF-8; omitted from the header when empty) to path atomically: streamed to a temporary file in the
// same directory, fsynced, renamed over path, and the directory fsynced. On any failure the temporary
// file is removed and a file already at path is unchanged. Invalid arguments throw InvalidArgument
// before anything is written, file system failures IOError.
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
void save_safetensors(Env& env, const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// What the header says about one tensor.
struct SafetensorsInfo {
  std::string dtype;                // as the file names it: "F32", "BF16", "I8"...
  std::optional<DType> read_dtype;  // the dtype read() returns; nullopt when cairn cannot read this one
  Shape shape;
  // data_offsets: the tensor's bytes are [begin, end) counted from the start of the byte buffer, which
  // is at SafetensorsFile::data_start() in the file.
  uint64_t begin = 0;
  uint64_t end = 0;
};

// An open safetensors file, memory-mapped read-only (Env::map_file). The constructor validates the whole header and
// the file's size; tensors are copied out of the mapping on read() (cairn's tensors live in 64-byte
// aligned buffers, the file's data is not aligned). The file must not be truncated while it is open
// (as for every memory map, reading a page that no longer exists raises SIGBUS). Reading is thread-safe.
class SafetensorsFile {
 public:
  // Throws IOError when path cannot be opened or is not a regular file, FormatError when it is not a
  // valid safetensors file.
  explicit SafetensorsFile(const std::string& path, Env& env = Env::Default());
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;

  const std::string& path() const;
  // The tensor keys in the order of the header.
  const std::vector<std::string>& keys() const;
  bool contains(const std::string& key) const;
  // Throws InvalidArgument naming the file and the key when there is no such tensor.
  const SafetensorsInfo& info(const std::string& key) const;
  // A copy of the tensor (F16/BF16 widened to float32). Throws FormatError naming the file, the key and
  // the dtype for a dtype cairn cannot read, or for a bool byte other than 0 or 1.
  Tensor read(const std::string& key) const;
  // The tensor's bytes as stored (little-endian, row-major), inside the mapping: valid while this
  // object lives. For any dtype, including those read() refuses.
  std::span<const uint8_t> raw_bytes(const std::string& key) const;
  // The `__metadata__` map (empty when the header has none).
  const std::map<std::string, std::string>& metadata() const;
  // The file offset of the byte buffer: 8 + the header's length.
  uint64_t data_start() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn
