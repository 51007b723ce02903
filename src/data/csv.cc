#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "cairn/data.h"
#include "cairn/env.h"
#include "file_util.h"

#if !defined(CAIRN_DATA_DIR) || !defined(CAIRN_INSTALLED_DATA_DIR)
#error "the build defines CAIRN_DATA_DIR (the repository's data/) and CAIRN_INSTALLED_DATA_DIR (share/cairn)"
#endif

namespace cairn {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Calls fn(line_number, line) for each line that is not blank.
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  int64_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (!trim(line).empty()) fn(number, line);
  }
}

// Whether `value` is representable in the integer or bool dtype (floating dtypes take anything).
bool fits_dtype(double value, DType dtype) {
  if (is_floating(dtype)) return true;
  if (value != std::floor(value)) return false;
  switch (dtype) {
    case DType::Int32:
      return value >= -2147483648.0 && value <= 2147483647.0;
    case DType::Int64:
      return value >= -9223372036854775808.0 && value < 9223372036854775808.0;
    case DType::UInt8:
      return value >= 0 && value <= 255;
    case DType::Bool:
      return value == 0 || value == 1;
    default:
      return true;
  }
}

// The first line of the sklearn / TensorFlow-tutorial iris files: "<rows>,<features>,<class names...>".
struct CountsHeader {
  int64_t rows = 0;
  int64_t features = 0;
  int64_t classes = 0;
};

CountsHeader read_counts_header(const std::string& path) {
  std::vector<uint8_t> bytes = data_internal::read_file_bytes(path);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string_view line = trim(text.substr(0, text.find('\n')));
  CountsHeader header;
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    size_t comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  auto parse_count = [&](std::string_view field, int64_t& out) {
    auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), out);
    return error == std::errc() && end == field.data() + field.size() && out >= 0;
  };
  if (fields.size() < 3 || !parse_count(fields[0], header.rows) || !parse_count(fields[1], header.features))
    throw FormatError(path + ": the first line must be \"<rows>,<features>,<class names...>\", found " +
                      excerpt(line));
  header.classes = static_cast<int64_t>(fields.size()) - 2;
  return header;
}

LabeledData load_counted_iris_csv(const std::string& path) {
  CountsHeader header = read_counts_header(path);
  CsvOptions options;
  options.header = true;
  options.label_column = -1;
  LabeledData data = read_csv(path, options);
  if (data.x.dim(0) != header.rows || data.x.dim(1) != header.features)
    throw FormatError(path + ": the header announces " + std::to_string(header.rows) + " rows of " +
                      std::to_string(header.features) + " features, the file has shape " +
                      shape_str(data.x.shape()));
  for (int64_t label : data.y.span<int64_t>())
    if (label < 0 || label >= header.classes)
      throw FormatError(path + ": label " + std::to_string(label) + " is not one of the " +
                        std::to_string(header.classes) + " classes of the header");
  return data;
}

}  // namespace

LabeledData read_csv(const std::string& path, const CsvOptions& options) {
  std::vector<uint8_t> bytes = data_internal::read_file_bytes(path);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());

  std::vector<float> features;
  std::vector<double> labels;
  int64_t columns = -1, label_index = -1, rows = 0;
  bool skip_header = options.header;
  for_each_line(text, [&](int64_t line_number, std::string_view line) {
    if (skip_header) {
      skip_header = false;
      return;
    }
    auto where = [&](int64_t column) {
      return path + ":" + std::to_string(line_number) + ": column " + std::to_string(column + 1) + ": ";
    };
    int64_t column = 0;
    for (size_t start = 0;; ++column) {
      size_t end = line.find(options.delimiter, start);
      std::string_view field = trim(line.substr(start, end == std::string_view::npos ? end : end - start));
      if (field.size() >= 2 && field.front() == '"' && field.back() == '"')
        field = field.substr(1, field.size() - 2);
      if (!field.empty() && field.front() == '+') field.remove_prefix(1);  // from_chars takes no '+'
      double value;
      auto [parsed_end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (field.empty() || error != std::errc() || parsed_end != field.data() + field.size())
        throw FormatError(where(column) + excerpt(field) + " is not a number");
      if (columns < 0 && options.label_column) {
        // The label column is known once the first row's width is: count it here, check it below.
        size_t width = std::count(line.begin(), line.end(), options.delimiter) + 1;
        int label = *options.label_column;
        int64_t normalized = label < 0 ? label + static_cast<int64_t>(width) : label;
        if (normalized < 0 || normalized >= static_cast<int64_t>(width))
          throw InvalidArgument("read_csv " + path + ": label_column " + std::to_string(label) +
                                " out of range for " + std::to_string(width) + " columns");
        label_index = normalized;
        columns = static_cast<int64_t>(width);
      }
      if (column == label_index) {
        if (!fits_dtype(value, options.label_dtype))
          throw FormatError(where(column) + "label " + excerpt(field) + " is not a valid " +
                            std::string(dtype_name(options.label_dtype)));
        labels.push_back(value);
      } else {
        features.push_back(static_cast<float>(value));
      }
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    if (columns < 0) columns = column + 1;
    if (column + 1 != columns)
      throw FormatError(path + ":" + std::to_string(line_number) + ": " + std::to_string(column + 1) +
                        " fields where the first row has " + std::to_string(columns));
    ++rows;
  });

  int64_t feature_columns = columns < 0 ? 0 : columns - (label_index >= 0 ? 1 : 0);
  LabeledData data;
  data.x = Tensor::from_vector<float>({rows, feature_columns}, features);
  if (options.label_column) {
    data.y = Tensor({rows}, options.label_dtype);
    for (int64_t i = 0; i < rows; ++i)
      visit_dtype(options.label_dtype,
                  [&](auto tag) { data.y.data<decltype(tag)>()[i] = static_cast<decltype(tag)>(labels[i]); });
  }
  return data;
}

std::string data_dir() {
  const char* from_environment = std::getenv("CAIRN_DATA_DIR");
  if (from_environment && *from_environment) return from_environment;
  // The checkout cairn was built from, while it exists; an installed or packaged cairn has its own copy.
  return Env::Default().is_directory(CAIRN_DATA_DIR) ? CAIRN_DATA_DIR : CAIRN_INSTALLED_DATA_DIR;
}

LabeledData load_iris(const std::string& path) { return load_counted_iris_csv(path); }

TrainTestData load_iris_tutorial(const std::string& dir) {
  return {load_counted_iris_csv(dir + "/iris_training.csv"), load_counted_iris_csv(dir + "/iris_test.csv")};
}

}  // namespace cairn
