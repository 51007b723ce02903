#include "tensor_source.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <string_view>
#include <utility>

#include "cairn/checkpoint.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/npy.h"
#include "cairn/safetensors.h"
#include "cairn/tensor_bundle.h"

namespace cairn::cli {

namespace {

// TensorFlow's DataType numbers (types.proto) of the dtypes cairn does not hold, for display.
std::string tf_only_dtype_name(int tf_dtype) {
  switch (tf_dtype) {
    case 5:
      return "int16";
    case 6:
      return "int8";
    case 7:
      return "string";
    case 8:
      return "complex64";
    case 11:
      return "qint8";
    case 12:
      return "quint8";
    case 13:
      return "qint32";
    case 14:
      return "bfloat16";
    case 15:
      return "qint16";
    case 16:
      return "quint16";
    case 17:
      return "uint16";
    case 18:
      return "complex128";
    case 19:
      return "float16";
    case 20:
      return "resource";
    case 21:
      return "variant";
    case 22:
      return "uint32";
    case 23:
      return "uint64";
    case 24:
      return "float8_e5m2";
    case 25:
      return "float8_e4m3fn";
    case 29:
      return "int4";
    case 30:
      return "uint4";
    default:
      return "tf_dtype_" + std::to_string(tf_dtype);
  }
}

class CheckpointSource : public TensorSource {
 public:
  explicit CheckpointSource(const std::string& prefix) : reader_(Env::Default(), prefix) {
    for (const std::string& key : reader_.keys()) {
      const BundleEntryInfo& entry = reader_.info(key);
      TensorInfo info{
          .key = key,
          .dtype = entry.dtype ? std::string(dtype_name(*entry.dtype)) : tf_only_dtype_name(entry.tf_dtype),
          .shape = entry.shape,
          .bytes = entry.size};
      if (entry.partitioned) {
        info.readable = false;
        info.unreadable_reason = "it is a partitioned (sliced) variable, which cairn cannot read";
      } else if (!entry.dtype && entry.tf_dtype != kTfDtypeString) {
        info.readable = false;
        info.unreadable_reason = "cairn cannot read dtype " + info.dtype;
      }
      tensors_.push_back(std::move(info));
    }
  }

  const std::string& path() const override { return reader_.prefix(); }
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }

  TensorValue read(const std::string& key) const override {
    if (reader_.info(key).tf_dtype == kTfDtypeString) return reader_.read_strings(key);
    return reader_.read(key);
  }

 private:
  BundleReader reader_;
  std::vector<TensorInfo> tensors_;
};

// NumPy files are small enough to be read whole when opened, which also verifies them.
class ArraySource : public TensorSource {
 public:
  ArraySource(std::string path, std::vector<NamedTensor> arrays) : path_(std::move(path)) {
    std::sort(arrays.begin(), arrays.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (NamedTensor& array : arrays) {
      tensors_.push_back({.key = array.name,
                          .dtype = std::string(dtype_name(array.tensor.dtype())),
                          .shape = array.tensor.shape(),
                          .bytes = array.tensor.nbytes()});
      values_.push_back(std::move(array.tensor));
    }
  }

  const std::string& path() const override { return path_; }
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }

  TensorValue read(const std::string& key) const override {
    for (size_t i = 0; i < tensors_.size(); ++i)
      if (tensors_[i].key == key) return values_[i];
    throw InvalidArgument(path_ + " has no array '" + key + "'");
  }

 private:
  std::string path_;
  std::vector<TensorInfo> tensors_;
  std::vector<Tensor> values_;
};

// numpy's (ml_dtypes') name of a safetensors dtype, for display.
std::string safetensors_dtype_name(const SafetensorsInfo& info) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"F16", "float16"},
      {"BF16", "bfloat16"},
      {"I8", "int8"},
      {"I16", "int16"},
      {"U16", "uint16"},
      {"U32", "uint32"},
      {"U64", "uint64"},
      {"C64", "complex64"},
      {"F8_E5M2", "float8_e5m2"},
      {"F8_E4M3", "float8_e4m3fn"},
      {"F8_E8M0", "float8_e8m0fnu"},
      {"F8_E4M3FNUZ", "float8_e4m3fnuz"},
      {"F8_E5M2FNUZ", "float8_e5m2fnuz"},
      {"F6_E2M3", "float6_e2m3fn"},
      {"F6_E3M2", "float6_e3m2fn"},
      {"F4", "float4_e2m1fn"},
  };
  for (const auto& [stored, name] : kNames)
    if (info.dtype == stored) return std::string(name);
  return std::string(dtype_name(*info.read_dtype));  // F32, F64, I32, I64, U8, BOOL
}

// A safetensors file is mapped, not read, when opened (which validates its header and sizes); each
// read copies one tensor out. F16 and BF16 tensors are listed as stored and read widened to float32.
class SafetensorsSource : public TensorSource {
 public:
  explicit SafetensorsSource(const std::string& path) : file_(path) {
    for (const std::string& key : file_.keys()) {
      const SafetensorsInfo& entry = file_.info(key);
      TensorInfo info{.key = key,
                      .dtype = safetensors_dtype_name(entry),
                      .shape = entry.shape,
                      .bytes = entry.end - entry.begin};
      if (!entry.read_dtype) {
        info.readable = false;
        info.unreadable_reason = "cairn cannot read dtype " + entry.dtype;
      }
      tensors_.push_back(std::move(info));
    }
    std::sort(tensors_.begin(), tensors_.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  }

  const std::string& path() const override { return file_.path(); }
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }
  TensorValue read(const std::string& key) const override { return file_.read(key); }

 private:
  SafetensorsFile file_;
  std::vector<TensorInfo> tensors_;
};

// A Keras file is opened once, which checks its structure; each read reads one dataset. Keys are the
// datasets' HDF5 paths.
class KerasSource : public TensorSource {
 public:
  explicit KerasSource(const std::string& path) : file_(path) {
    for (const KerasDataset& dataset : file_.datasets()) {
      TensorInfo info{.key = dataset.path, .dtype = dataset.dtype, .shape = dataset.shape, .bytes = dataset.bytes};
      if (!dataset.read_dtype) {
        info.readable = false;
        info.unreadable_reason = "cairn cannot read dtype " + dataset.dtype;
      }
      tensors_.push_back(std::move(info));
    }
  }

  const std::string& path() const override { return file_.path(); }
  const std::vector<TensorInfo>& tensors() const override { return tensors_; }
  TensorValue read(const std::string& key) const override { return file_.read(key); }

 private:
  KerasFileDatasets file_;
  std::vector<TensorInfo> tensors_;
};

// The checkpoint a directory stands for: the one its `checkpoint` state file names (TensorFlow's
// latest_checkpoint), or, in a directory without one such as a SavedModel's variables/, its only one.
std::string checkpoint_in_directory(const std::string& dir) {
  Env& env = Env::Default();
  // The library's reader of state files, which every command shares: it refuses what TensorFlow's
  // would (a file cut short, an unterminated string, an unknown field, a file too large to be one).
  if (std::optional<CheckpointState> state = read_checkpoint_state(env, dir)) {
    const std::string& prefix = state->model_checkpoint_path;
    if (!bundle_exists(env, prefix))
      throw IOError(join_path(dir, "checkpoint") + " names checkpoint " + prefix + ", but " +
                    bundle_index_path(prefix) + " does not exist");
    return prefix;
  }
  std::vector<std::string> prefixes;
  for (const std::string& name : env.list_dir(dir))
    if (name.ends_with(".index")) prefixes.push_back(join_path(dir, name.substr(0, name.size() - 6)));
  if (prefixes.size() == 1) return prefixes.front();
  if (prefixes.empty())
    throw IOError(dir + " is a directory without a checkpoint (no `checkpoint` file, no *.index)");
  std::sort(prefixes.begin(), prefixes.end());
  std::string list;
  for (const std::string& prefix : prefixes) list += "\n  " + prefix;
  throw InvalidArgument(dir + " has no `checkpoint` state file and several checkpoints; name one:" + list);
}

}  // namespace

std::unique_ptr<TensorSource> TensorSource::open(const std::string& path) {
  Env& env = Env::Default();
  if (bundle_exists(env, path)) return std::make_unique<CheckpointSource>(path);
  if (env.is_directory(path)) return std::make_unique<CheckpointSource>(checkpoint_in_directory(path));
  if (!env.file_exists(path))
    throw IOError(path + ": no such file, directory or checkpoint (" + bundle_index_path(path) +
                  " does not exist)");

  if (path.ends_with(".index")) return std::make_unique<CheckpointSource>(path.substr(0, path.size() - 6));
  static const std::regex kDataFile(R"((.*)\.data-\d{5}-of-\d{5})");
  std::smatch match;
  if (std::regex_match(path, match, kDataFile)) return std::make_unique<CheckpointSource>(match[1].str());
  if (path.ends_with(".npy")) {
    std::vector<NamedTensor> arrays;
    arrays.push_back({"arr_0", load_npy(path)});
    return std::make_unique<ArraySource>(path, std::move(arrays));
  }
  if (path.ends_with(".npz")) return std::make_unique<ArraySource>(path, load_npz(path));
  if (path.ends_with(".safetensors")) return std::make_unique<SafetensorsSource>(path);
  if (path.ends_with(".h5") || path.ends_with(".hdf5") || path.ends_with(".keras"))
    return std::make_unique<KerasSource>(path);
  throw InvalidArgument(
      path +
      " is neither a checkpoint (prefix, directory, .index or .data file) nor an .npy, .npz, "
      ".safetensors, .h5, .hdf5 or .keras file");
}

}  // namespace cairn::cli
