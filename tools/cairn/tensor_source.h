// The named tensors of a file the user points a command at: a TensorFlow checkpoint (by prefix, by one
// of its files, or by a directory holding a `checkpoint` state file), a NumPy .npy or .npz file, a
// safetensors file, or a Keras .h5/.hdf5/.keras file (its HDF5 datasets, keyed by path).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cairn/shape.h"
#include "cairn/tensor.h"

namespace cairn::cli {

// The help text of a PATH argument that TensorSource::open resolves (for commands reading Keras files
// their own way, without them).
inline constexpr std::string_view kPathHelp =
    "a checkpoint prefix (PATH.index exists) or one of its files, a directory with a\n"
    "`checkpoint` state file (its latest checkpoint), or an .npy, .npz or .safetensors file";
// The same with the Keras files, whose HDF5 datasets TensorSource lists.
inline constexpr std::string_view kPathOrKerasHelp =
    "a checkpoint prefix (PATH.index exists) or one of its files, a directory with a\n"
    "`checkpoint` state file (its latest checkpoint), an .npy, .npz or .safetensors file, or a\n"
    "Keras .h5, .hdf5 or .keras file";

struct TensorInfo {
  std::string key;
  // numpy's name for dtypes cairn holds ("float32"), "string" for TensorFlow strings, and a lower-case
  // TensorFlow name for the rest ("bfloat16", "resource"; "tf_dtype_N" when TensorFlow has none). For
  // safetensors and Keras files, numpy's (ml_dtypes') name of the stored dtype ("float16", "uint16").
  std::string dtype;
  Shape shape;
  uint64_t bytes = 0;    // as stored: the entry's bytes in a checkpoint's data or safetensors file, the
                         // array's in NumPy
  bool readable = true;  // false when cairn cannot read the values (unsupported dtype, partitioned)
  std::string unreadable_reason;
};

// A tensor of a dtype cairn holds, or the elements of a string tensor in row-major order.
using TensorValue = std::variant<Tensor, std::vector<std::string>>;

class TensorSource {
 public:
  // Resolves PATH in this order: a checkpoint prefix (PATH.index exists); a directory (the checkpoint its
  // `checkpoint` state file names, else its only checkpoint); a checkpoint's .index or .data-* file; an
  // .npy file (one tensor, keyed "arr_0" as numpy.savez names an unnamed array); an .npz file; a
  // .safetensors file; a Keras .h5, .hdf5 or .keras file (keys are HDF5 paths, "/model_weights/d/d/kernel:0").
  // Throws cairn::Error naming PATH when it is none of these or cannot be read.
  static std::unique_ptr<TensorSource> open(const std::string& path);

  virtual ~TensorSource() = default;
  // The checkpoint prefix or the file that was opened.
  virtual const std::string& path() const = 0;
  // Sorted bytewise by key.
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  // The values under key, verified as the format allows (a checkpoint's checksums and sizes). Throws
  // cairn::Error naming the file and the key.
  virtual TensorValue read(const std::string& key) const = 0;
};

}  // namespace cairn::cli
