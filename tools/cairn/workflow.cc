#include "workflow.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "cairn/checkpoint.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/tensor_bundle.h"

namespace cairn::cli {

namespace {

constexpr int64_t kMaxColumns = int64_t{1} << 30;
constexpr const char* kDatasetHelp = "fashion_mnist[:DIR], mnist:DIR, iris, moons or imdb:FILE.npz";

// Numbers read from text: int64 when every one is integral (class ids), else float32 (regression targets).
Tensor labels_from_numbers(const Tensor& numbers) {
  Tensor wide = numbers.to(DType::Float64);
  for (double value : wide.span<double>())
    if (value != std::floor(value) || std::fabs(value) > 9.0e15) return wide.to(DType::Float32);
  return wide.to(DType::Int64);
}

Tensor load_labels(const std::string& path, bool csv_header) {
  if (path.ends_with(".npy")) return load_npy(path);
  if (path.ends_with(".csv")) {
    Tensor columns = read_csv(path, {.header = csv_header}).x;
    if (columns.rank() == 2 && columns.dim(1) == 1) columns = columns.reshape({columns.dim(0)});
    return labels_from_numbers(columns);
  }
  return read_idx(path);
}

LabeledData named_dataset(const std::string& spec, Split split) {
  size_t colon = spec.find(':');
  std::string name = spec.substr(0, colon);
  std::optional<std::string> argument;
  if (colon != std::string::npos) argument = spec.substr(colon + 1);
  auto no_argument = [&] {
    if (argument)
      throw UsageError("dataset '" + name + "' takes no ':' argument (expected " + kDatasetHelp + ")");
  };
  auto needs_argument = [&](const std::string& what) -> const std::string& {
    if (!argument || argument->empty())
      throw UsageError("dataset '" + name + "' needs its " + what + ": --data " + name + ":" + what);
    return *argument;
  };
  TrainTestData data;
  if (name == "fashion_mnist") {
    data = load_fashion_mnist(argument ? *argument : kFashionMnistDir);
  } else if (name == "mnist") {
    data = load_mnist_idx(needs_argument("DIR"));
  } else if (name == "iris") {
    no_argument();
    data = load_iris_tutorial();
  } else if (name == "moons") {
    no_argument();
    // Fixed seeds, independent of --seed, so that train and evaluate see the same two sets.
    data = {make_moons(1000, 0.2, 0), make_moons(300, 0.2, 1)};
  } else if (name == "imdb") {
    data = load_imdb_npz(needs_argument("FILE"), 5000, 500);  // the vocabulary and length of imdb_lstm
  } else {
    throw UsageError("unknown dataset '" + spec + "': expected " + kDatasetHelp);
  }
  return split == Split::Train ? data.train : data.test;
}

}  // namespace

int64_t int_option(const Args& args, const std::string& name, int64_t fallback, int64_t minimum,
                   int64_t maximum) {
  std::optional<std::string> text = args.value(name);
  if (!text) return fallback;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size())
    throw UsageError("--" + name + " needs an integer, not '" + *text + "'");
  if (value < minimum || value > maximum)
    throw UsageError("--" + name + " must be " +
                     (maximum == std::numeric_limits<int64_t>::max()
                          ? "at least " + std::to_string(minimum)
                          : "between " + std::to_string(minimum) + " and " + std::to_string(maximum)) +
                     ", not " + *text);
  return value;
}

std::optional<double> number_option(const Args& args, const std::string& name) {
  std::optional<std::string> text = args.value(name);
  if (!text) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(value))
    throw UsageError("--" + name + " needs a number, not '" + *text + "'");
  return value;
}

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> items;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = std::min(text.find(',', begin), text.size());
    if (end > begin) items.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return items;
}

std::vector<OptionSpec> labeled_data_options() {
  return {
      {"data", "NAME",
       std::string("a dataset: ") + kDatasetHelp +
           "\n(train takes its training part, evaluate its test part)"},
      {"x", "FILE", "inputs: an .npy, a .csv or an IDX file (gzipped or not)"},
      {"y", "FILE",
       "labels: an .npy, a .csv or an IDX file (not needed for a .csv --x with a label\ncolumn)"},
      {"label-column", "N",
       "the label column of a .csv --x without --y (default -1, the last;\nnegative counts from the end)"},
      {"header", "", "the .csv files start with a header line"},
  };
}

DataOptions data_options(const Args& args) {
  return {.data = args.value("data"),
          .x = args.value("x"),
          .y = args.value("y"),
          .label_column = args.value("label-column"),
          .header = args.flag("header")};
}

Json data_options_to_json(const DataOptions& options) {
  Json json = Json::object();
  auto put = [&](const char* key, const std::optional<std::string>& value) {
    if (value) json[key] = *value;
  };
  put("data", options.data);
  put("x", options.x);
  put("y", options.y);
  put("label-column", options.label_column);
  if (options.header) json["header"] = true;
  return json;
}

DataOptions data_options_from_json(const Json& json, const std::string& source) {
  if (!json.is_object()) throw FormatError(source + ": the data options are not a JSON object");
  DataOptions options;
  for (const auto& [key, value] : json.items()) {
    if (key == "header" && value.is_boolean()) {
      options.header = value.get<bool>();
      continue;
    }
    std::optional<std::string>* field = key == "data" ? &options.data
                                        : key == "x"  ? &options.x
                                        : key == "y"  ? &options.y
                                        : key == "label-column" ? &options.label_column
                                                                : nullptr;
    if (field == nullptr || !value.is_string())
      throw FormatError(source + ": unexpected data option '" + excerpt(key) + "'");
    *field = value.get<std::string>();
  }
  return options;
}

std::optional<DataOptions> recorded_data_options(const std::string& run_or_weights) {
  Env& env = Env::Default();
  const std::string dir = env.is_directory(run_or_weights) ? run_or_weights : parent_dir(run_or_weights);
  const std::string path = join_path(dir, kRunFile);
  if (!env.file_exists(path)) return std::nullopt;
  Json run = parse_json(env.read_file(path), path);
  if (!run.is_object() || !run.contains("setup") || !run["setup"].is_object() || !run["setup"].contains("data"))
    throw FormatError(path + ": no setup.data (the data options of the run)");
  return data_options_from_json(run["setup"]["data"], path);
}

LabeledData load_labeled_data(const Args& args, Split split) { return load_labeled_data(data_options(args), split); }

LabeledData load_labeled_data(const DataOptions& options, Split split) {
  const std::optional<std::string>& data = options.data;
  const std::optional<std::string>& x = options.x;
  const std::optional<std::string>& y = options.y;
  const bool header = options.header;
  if (data && (x || y)) throw UsageError("give either --data or --x/--y, not both");
  const bool csv_with_labels = x && !y && x->ends_with(".csv");
  if (options.label_column && !csv_with_labels) throw UsageError("--label-column is for a .csv --x without --y");
  if (data) return named_dataset(*data, split);
  if (!x) throw UsageError("no data: give --data NAME, or --x FILE and --y FILE");
  if (csv_with_labels) {
    int64_t column = -1;
    if (options.label_column) {
      auto [end, error] = std::from_chars(options.label_column->data(),
                                          options.label_column->data() + options.label_column->size(), column);
      if (error != std::errc() || end != options.label_column->data() + options.label_column->size() ||
          column < -kMaxColumns || column >= kMaxColumns)
        throw UsageError("--label-column needs an integer between " + std::to_string(-kMaxColumns) + " and " +
                         std::to_string(kMaxColumns - 1) + ", not '" + *options.label_column + "'");
    }
    LabeledData table = read_csv(
        *x, {.header = header, .label_column = static_cast<int>(column), .label_dtype = DType::Float64});
    return {table.x, labels_from_numbers(table.y)};
  }
  if (!y) throw UsageError("--x " + *x + " needs --y FILE with the labels (only a .csv --x can hold them)");
  return {load_inputs(*x, header), load_labels(*y, header)};
}

Tensor load_inputs(const std::string& path, bool csv_header) {
  if (path.ends_with(".npy")) return load_npy(path);
  if (path.ends_with(".csv")) return read_csv(path, {.header = csv_header}).x;
  return read_idx(path);
}

Tensor prepare_inputs(const Tensor& x, const Model& model) {
  Tensor out = x;
  if (x.dtype() == DType::UInt8) {
    out = x.to(DType::Float32);
    for (float& value : out.span<float>()) value /= 255.0f;
  } else if (x.dtype() == DType::Float64) {
    out = x.to(DType::Float32);
  }
  if (!model.built() || out.rank() < 1) return out;
  const Shape& expected = model.built_input_shape();  // the batch dimension first
  Shape sample(expected.begin() + 1, expected.end());
  Shape given(out.shape().begin() + 1, out.shape().end());
  const bool known = std::all_of(sample.begin(), sample.end(), [](int64_t d) { return d > 0; });
  if (known && sample != given && num_elements(sample) == num_elements(given)) {
    sample.insert(sample.begin(), out.dim(0));
    out = out.reshape(sample);
  }
  return out;
}

Tensor prepare_labels(const Tensor& y) {
  if (y.dtype() == DType::UInt8 || y.dtype() == DType::Int32) return y.to(DType::Int64);
  return y;
}

bool is_keras_file(const std::string& path) {
  return path.ends_with(".h5") || path.ends_with(".hdf5") || path.ends_with(".keras");
}

namespace {

// The weights file resolved, its directory (where model.json and training_config.json are) kept.
std::string resolve_weights(Env& env, const std::string& run_or_weights, std::string& dir) {
  if (env.is_directory(run_or_weights)) {
    dir = run_or_weights;
    if (std::optional<std::string> latest = latest_checkpoint(dir)) return *latest;
    if (bundle_exists(env, join_path(dir, kFinalWeights))) return join_path(dir, kFinalWeights);
    throw IOError(dir + " holds no weights yet: no `checkpoint` file naming a checkpoint, no " +
                  join_path(dir, kFinalWeights) + " (a run writes its first checkpoint at the end of epoch 1)");
  }
  std::string prefix = run_or_weights.ends_with(".index") ? run_or_weights.substr(0, run_or_weights.size() - 6)
                                                          : run_or_weights;
  if (!bundle_exists(env, prefix))
    throw IOError(run_or_weights + ": no such run directory, checkpoint or Keras file (" +
                  bundle_index_path(prefix) + " does not exist)");
  dir = parent_dir(prefix);
  return prefix;
}

bool has_optimizer_state(Env& env, const std::string& prefix) {
  BundleReader reader(env, prefix);
  const std::vector<std::string>& keys = reader.keys();
  return std::any_of(keys.begin(), keys.end(), [](const std::string& key) { return key.starts_with("optimizer/"); });
}

}  // namespace

std::vector<CheckpointItem> model_items(const std::shared_ptr<Model>& model) {
  std::vector<CheckpointItem> items;
  items.reserve(2);
  items.push_back(CheckpointItem("", std::static_pointer_cast<Layer>(model)));
  if (model->compiled()) items.push_back(CheckpointItem("optimizer", model->optimizer_ptr()));
  return items;
}

TrainedModel load_trained_model(const std::string& run_or_weights, const std::optional<std::string>& model_file,
                                bool with_optimizer) {
  TrainedModel trained;
  // An HDF5 weights file (tf.keras's save_weights, Keras 3's .weights.h5, or a whole model's weights) with
  // the model's JSON config: the architecture from the config, the weights as load_weights reads them.
  if (model_file && is_keras_file(run_or_weights) && !run_or_weights.ends_with(".keras")) {
    Env& env = Env::Default();
    if (!env.file_exists(*model_file)) throw IOError(*model_file + " does not exist");
    try {
      trained.model = model_from_json(env.read_file(*model_file));
    } catch (const FormatError& e) {
      throw FormatError(*model_file + ": " + e.what());
    }
    trained.model->load_weights(run_or_weights);
    trained.weights = run_or_weights;
    return trained;
  }
  if (is_keras_file(run_or_weights)) {
    if (model_file) throw UsageError("--model is not for " + run_or_weights + ", which holds its model");
    trained.model = load_model(run_or_weights);
    trained.weights = run_or_weights;
    if (trained.model->compiled()) trained.training_config = training_config(*trained.model);
    return trained;
  }

  Env& env = Env::Default();
  std::string dir;
  trained.weights = resolve_weights(env, run_or_weights, dir);
  const std::string architecture = model_file ? *model_file : join_path(dir, kModelFile);
  if (!env.file_exists(architecture))
    throw IOError(architecture + " does not exist" +
                  (model_file ? std::string() : ": give the model's JSON config with --model FILE"));
  try {
    trained.model = model_from_json(env.read_file(architecture));
  } catch (const FormatError& e) {
    throw FormatError(architecture + ": " + e.what());
  }
  const std::string config_path = join_path(dir, kTrainingConfigFile);
  if (env.file_exists(config_path)) {
    trained.training_config = parse_json(env.read_file(config_path), config_path);
  }

  // As load_weights, but a file without values for the model's weights (a backup, another model's
  // checkpoint) is an error rather than a model left with its initial weights.
  if (with_optimizer && trained.training_config && has_optimizer_state(env, trained.weights))
    trained.model->compile(compile_options_from_training_config(*trained.training_config));
  Checkpoint(model_items(trained.model)).restore(trained.weights).assert_existing_objects_matched();
  return trained;
}

LossPtr loss_option(const std::string& text) {
  if (!text.starts_with("{")) return loss_from_config(Json(text));
  Json json;
  try {
    json = parse_json(text, "--loss");
  } catch (const FormatError& e) {
    throw UsageError("--loss is neither a loss name nor valid JSON: " + std::string(e.what()));
  }
  return loss_from_config(json);
}

CompileOptions evaluation_compile_options(const TrainedModel& trained, const std::optional<std::string>& loss,
                                          const std::optional<std::string>& metrics) {
  CompileOptions options;
  if (trained.training_config) options = compile_options_from_training_config(*trained.training_config);
  if (loss)
    options.loss = loss_option(*loss);
  else if (!trained.training_config)
    throw UsageError("no " + std::string(kTrainingConfigFile) + " next to the model: give --loss NAME");
  if (metrics) {
    const std::vector<std::string> names = comma_list(*metrics);
    options.metrics.assign(names.begin(), names.end());
  }
  return options;
}

}  // namespace cairn::cli
