// cairn inspect PATH: the tensors of a checkpoint, .npy, .npz, .safetensors or Keras file.
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "command.h"
#include "format.h"
#include "tensor_source.h"

namespace cairn::cli {
namespace {

constexpr int64_t kMaxElementsShown = 20;

// The values of a tensor small enough to show, or "" for a larger one.
std::string small_values(const TensorSource& source, const TensorInfo& info, Notation notation) {
  if (!info.readable || num_elements(info.shape) > kMaxElementsShown) return "";
  TensorValue value = source.read(info.key);
  if (const auto* strings = std::get_if<std::vector<std::string>>(&value))
    return format_string_lengths(info.shape, *strings, notation);
  return format_values(std::get<Tensor>(value), notation);
}

void print_json(const TensorSource& source, bool with_values) {
  const std::vector<TensorInfo>& tensors = source.tensors();
  std::cout << "[";
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& info = tensors[i];
    std::cout << (i > 0 ? ",\n " : "\n ") << "{\"key\": " << json_string(info.key)
              << ", \"dtype\": " << json_string(info.dtype) << ", \"shape\": " << json_shape(info.shape)
              << ", \"bytes\": " << info.bytes;
    if (with_values) {
      std::string values = small_values(source, info, Notation::Json);
      if (!values.empty())
        std::cout << (info.dtype == "string" ? ", \"string_lengths\": " : ", \"values\": ") << values;
    }
    std::cout << "}";
  }
  std::cout << (tensors.empty() ? "]\n" : "\n]\n");
}

void print_table(const TensorSource& source, bool with_values) {
  const std::vector<TensorInfo>& tensors = source.tensors();
  std::vector<std::string> shapes;
  size_t key_width = 3, dtype_width = 5, shape_width = 5, bytes_width = 5;
  uint64_t total_bytes = 0;
  for (const TensorInfo& info : tensors) {
    shapes.push_back(shape_str(info.shape));
    key_width = std::max(key_width, info.key.size());
    dtype_width = std::max(dtype_width, info.dtype.size());
    shape_width = std::max(shape_width, shapes.back().size());
    bytes_width = std::max(bytes_width, std::to_string(info.bytes).size());
    total_bytes += info.bytes;
  }
  auto pad = [](const std::string& text, size_t width) { return text + std::string(width - text.size(), ' '); };
  auto right = [](const std::string& text, size_t width) {
    return std::string(width - text.size(), ' ') + text;
  };
  std::cout << pad("key", key_width) << "  " << pad("dtype", dtype_width) << "  " << pad("shape", shape_width)
            << "  " << right("bytes", bytes_width) << "\n";
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& info = tensors[i];
    std::cout << pad(info.key, key_width) << "  " << pad(info.dtype, dtype_width) << "  "
              << pad(shapes[i], shape_width) << "  " << right(std::to_string(info.bytes), bytes_width) << "\n";
    if (with_values) {
      std::string values = small_values(source, info, Notation::Text);
      if (!values.empty()) std::cout << "    = " << values << "\n";
    }
  }
  std::cout << "total: " << tensors.size() << (tensors.size() == 1 ? " tensor, " : " tensors, ") << total_bytes
            << " bytes in " << source.path() << "\n";
}

int run_inspect(const Args& args) {
  std::unique_ptr<TensorSource> source = TensorSource::open(args.positional("PATH"));
  if (args.flag("json"))
    print_json(*source, args.flag("values"));
  else
    print_table(*source, args.flag("values"));
  return 0;
}

const RegisterCommand kRegistration({
    .name = "inspect",
    .summary = "list the tensors of a checkpoint, .npy, .npz, .safetensors or Keras .h5/.keras file",
    .description =
        "Prints one line per tensor, sorted by key: key, dtype, shape and the bytes it takes in the file,\n"
        "then the total. Tensors of TensorFlow dtypes cairn does not hold are listed with TensorFlow's\n"
        "name for the dtype (\"string\" for the object graph), those of a safetensors file with numpy's\n"
        "(\"float16\", \"uint16\"; float16 and bfloat16 values are read as float32). Of a Keras .h5 or\n"
        ".hdf5 file, and of the model.weights.h5 in a .keras zip, every HDF5 dataset (weights, optimizer\n"
        "variables) is listed by its HDF5 path (\"/model_weights/dense/dense/kernel:0\") with numpy's dtype.",
    .options = {{"json", "", "print a JSON array of {\"key\", \"dtype\", \"shape\", \"bytes\"} objects"},
                {"values", "",
                 "also print the values of tensors of at most 20 elements (of strings: their lengths)"}},
    .positionals = {{"PATH", std::string(kPathOrKerasHelp)}},
    .run = run_inspect,
});

}  // namespace
}  // namespace cairn::cli
