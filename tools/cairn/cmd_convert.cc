// cairn convert SRC DST: the tensors of a checkpoint, .safetensors or .npz file in another of these
// formats, under the same keys, or a model's weights (and on request its optimizer's variables) under
// Keras's layer paths.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/npy.h"
#include "cairn/safetensors.h"
#include "cairn/tensor_bundle.h"
#include "command.h"
#include "tensor_source.h"
#include "workflow.h"

namespace cairn::cli {
namespace {

// safetensors holds numbers only; a checkpoint's string tensors (its object graph) ride in the header's
// __metadata__ under this prefix and the tensor's key, as {"shape": [...], "base64": [...]}.
constexpr std::string_view kStringTensorPrefix = "cairn.string_tensor:";
// The name of the checkpoint written into a directory DST.
constexpr const char* kCheckpointName = "ckpt";

enum class Format { Checkpoint, Safetensors, Npz, Keras };

struct StringTensor {
  std::string key;
  Shape shape;
  std::vector<std::string> values;
};

struct Contents {
  std::vector<NamedTensor> tensors;
  std::vector<StringTensor> strings;
};

constexpr char kBase64Digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j) group = group << 8 | (j < n ? static_cast<uint8_t>(bytes[i + j]) : 0u);
    for (size_t j = 0; j < 4; ++j) out += j <= n ? kBase64Digits[group >> (18 - 6 * j) & 63] : '=';
  }
  return out;
}

std::string base64_decode(std::string_view text, const std::string& source) {
  auto fail = [&] { throw FormatError(source + ": not base64 text"); };
  if (text.size() % 4 != 0) fail();
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t group = 0;
    int padding = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=') {
        if (i + 4 != text.size() || j < 2) fail();
        ++padding;
        group <<= 6;
        continue;
      }
      const char* digit = c == '\0' ? nullptr : std::strchr(kBase64Digits, c);
      if (digit == nullptr || padding > 0) fail();
      group = group << 6 | static_cast<uint32_t>(digit - kBase64Digits);
    }
    out += static_cast<char>(group >> 16);
    if (padding < 2) out += static_cast<char>(group >> 8 & 0xff);
    if (padding < 1) out += static_cast<char>(group & 0xff);
  }
  return out;
}

Format destination_format(const std::string& path) {
  if (path.ends_with(".safetensors")) return Format::Safetensors;
  if (path.ends_with(".npz")) return Format::Npz;
  if (is_keras_file(path)) return Format::Keras;
  if (path.ends_with(".npy")) throw UsageError(path + ": an .npy file holds one array; convert to .npz");
  return Format::Checkpoint;
}

bool is_array_file(const std::string& path) {
  return path.ends_with(".safetensors") || path.ends_with(".npz") || path.ends_with(".npy");
}

// Every tensor of SRC, read (and so verified) before anything is written.
Contents read_source(const std::string& path) {
  std::unique_ptr<TensorSource> source = TensorSource::open(path);
  Contents contents;
  for (const TensorInfo& info : source->tensors()) {
    if (!info.readable)
      throw FormatError(source->path() + ": cannot convert key '" + info.key +
                        "': " + info.unreadable_reason);
    TensorValue value = source->read(info.key);
    if (auto* strings = std::get_if<std::vector<std::string>>(&value))
      contents.strings.push_back({info.key, info.shape, std::move(*strings)});
    else
      contents.tensors.push_back({info.key, std::get<Tensor>(value)});
  }
  if (!path.ends_with(".safetensors")) return contents;
  const SafetensorsFile file(path);
  for (const auto& [name, text] : file.metadata()) {
    if (!name.starts_with(kStringTensorPrefix)) continue;
    const std::string where = path + ": __metadata__ entry '" + name + "'";
    StringTensor strings{.key = name.substr(kStringTensorPrefix.size())};
    try {
      Json entry = parse_json(text, where);
      strings.shape = entry.at("shape").get<Shape>();
      for (const Json& element : entry.at("base64"))
        strings.values.push_back(base64_decode(element.get<std::string>(), where));
    } catch (const Json::exception& e) {
      throw FormatError(where + ": not a string tensor of cairn convert: " + e.what());
    }
    if (static_cast<int64_t>(strings.values.size()) != num_elements(strings.shape))
      throw FormatError(where + ": " + std::to_string(strings.values.size()) + " strings for shape " +
                        shape_str(strings.shape));
    contents.strings.push_back(std::move(strings));
  }
  return contents;
}

// DST itself, or DST/ckpt for a directory.
std::string checkpoint_prefix(const std::string& destination) {
  if (!Env::Default().is_directory(destination) && !destination.ends_with("/")) return destination;
  return join_path(destination, kCheckpointName);
}

// A directory is a checkpoint when its state file names one (as for tf.train.latest_checkpoint).
void name_in_state_file(const std::string& destination, const std::string& prefix) {
  if (prefix != destination)
    write_checkpoint_state(Env::Default(), parent_dir(prefix),
                           {.model_checkpoint_path = prefix, .all_model_checkpoint_paths = {prefix}});
}

void write_checkpoint(const std::string& destination, const Contents& contents) {
  const std::string prefix = checkpoint_prefix(destination);
  BundleWriter writer(Env::Default(), prefix);
  for (const NamedTensor& tensor : contents.tensors) writer.add(tensor.name, tensor.tensor);
  for (const StringTensor& strings : contents.strings)
    writer.add_strings(strings.key, strings.shape, strings.values);
  writer.finish();
  name_in_state_file(destination, prefix);
}

void write_safetensors(const std::string& destination, const Contents& contents) {
  std::map<std::string, std::string> metadata;
  for (const StringTensor& strings : contents.strings) {
    Json encoded = Json::array();
    for (const std::string& value : strings.values) encoded.push_back(base64_encode(value));
    metadata[std::string(kStringTensorPrefix) + strings.key] =
        Json{{"shape", strings.shape}, {"base64", encoded}}.dump();
  }
  save_safetensors(destination, contents.tensors, metadata);
}

// ---- layer-path names

// Which tensors a .safetensors or .npz DST gets, and under which keys.
enum class Keys {
  Checkpoint,           // every tensor of SRC under its own key (a checkpoint's object-graph keys)
  LayerPaths,           // the model's weights as "dense/kernel"
  LayerPathsOptimizer,  // and the optimizer's variables as "optimizer/adam/dense/kernel/m"
};

Keys requested_keys(const Args& args, Format format, const std::string& source, const std::string& destination) {
  const bool weights_only = args.flag("weights-only");
  const bool with_optimizer = args.flag("with-optimizer");
  const std::optional<std::string> keys = args.value("keys");
  if (keys && *keys != "checkpoint" && *keys != "layers")
    throw UsageError("--keys takes checkpoint or layers, not " + excerpt(*keys));
  if (weights_only && with_optimizer) throw UsageError("give --weights-only or --with-optimizer, not both");
  const bool layer_paths_asked = weights_only || with_optimizer || keys == "layers";
  if (keys == "checkpoint" && layer_paths_asked)
    throw UsageError("--keys checkpoint keeps every tensor under its key: it does not go with " +
                     std::string(with_optimizer ? "--with-optimizer" : "--weights-only"));
  if (!layer_paths_asked) {
    const bool default_to_layer_paths = !keys && format == Format::Safetensors && !is_array_file(source);
    return default_to_layer_paths ? Keys::LayerPaths : Keys::Checkpoint;
  }
  if (format != Format::Safetensors && format != Format::Npz)
    throw UsageError("layer-path names (--weights-only, --with-optimizer, --keys layers) are for .safetensors "
                     "and .npz destinations, not " + destination);
  if (is_array_file(source))
    throw UsageError(source + " holds named arrays, not a model: its keys are kept (layer-path names need a " +
                     "run directory, a checkpoint with its model.json, or a Keras file)");
  return with_optimizer ? Keys::LayerPathsOptimizer : Keys::LayerPaths;
}

// Keras's path of each weight of `layer` (a nested model's: of all of its layers), in Keras's order:
// "dense/kernel"; a recurrent layer's belong to its cell, "lstm/lstm_cell/kernel", as in Keras (the
// layer's tf.keras 2 weight names, Layer::keras_weight_paths).
void collect_layer_paths(const Layer& layer, std::set<const Variable*>& seen,
                         std::vector<std::pair<std::string, VariablePtr>>& out) {
  if (const auto* model = dynamic_cast<const Model*>(&layer)) {
    for (const LayerPtr& child : model->layers()) collect_layer_paths(*child, seen, out);
    return;
  }
  const std::vector<Layer::KerasWeightPath> paths = layer.keras_weight_paths();
  const auto& weights = layer.own_weights();
  for (size_t i = 0; i < weights.size(); ++i)
    if (seen.insert(weights[i].second.get()).second) out.emplace_back(layer.name() + "/" + paths.at(i).keras2, weights[i].second);
}

// The directory whose model.json describes the checkpoint or run directory `source`.
std::string model_directory(const std::string& source) {
  if (Env::Default().is_directory(source)) return source;
  return parent_dir(source.ends_with(".index") ? source.substr(0, source.size() - 6) : source);
}

// The weights of the model in `source` (a run directory, a checkpoint with model.json beside it or
// model_file, or a Keras file) under their layer paths, and with_optimizer the optimizer's variables:
// "optimizer/<class in lower case>/" followed by "iter", a hyperparameter's name ("learning_rate") or a
// weight's path and a slot name ("dense/kernel/m").
Contents layer_path_contents(const std::string& source, const std::optional<std::string>& model_file,
                             bool with_optimizer) {
  TrainedModel trained;
  try {
    trained = load_trained_model(source, model_file, with_optimizer);
  } catch (const IOError& e) {
    // Weights that exist but lack the model.json that names their layers: say what else would do.
    Env& env = Env::Default();
    const std::string directory = model_directory(source);
    const bool weights_without_model = !model_file && !is_keras_file(source) &&
                                       (env.is_directory(source) || env.file_exists(source + ".index") ||
                                        env.file_exists(source)) &&
                                       !env.file_exists(join_path(directory, kModelFile));
    if (!weights_without_model) throw;
    throw IOError(source + ": layer-path names need the model: " + e.what() +
                  ", or keep the checkpoint's keys with --keys checkpoint");
  }
  std::set<const Variable*> seen;
  std::vector<std::pair<std::string, VariablePtr>> weights;
  collect_layer_paths(*trained.model, seen, weights);

  Contents contents;
  std::set<std::string> keys;
  auto add = [&](const std::string& key, const Tensor& value) {
    if (!keys.insert(key).second)
      throw FormatError(source + ": two tensors would be named '" + key + "' (layers of the same name)");
    contents.tensors.push_back({key, value});
  };
  for (const auto& [path, variable] : weights) add(path, variable->value());
  if (!with_optimizer) return contents;

  if (!trained.model->compiled())
    throw UsageError(trained.weights + " holds no optimizer state (or no training config beside it): " +
                     "convert without --with-optimizer");
  const Optimizer& optimizer = trained.model->optimizer();
  std::string prefix = "optimizer/";
  for (char c : optimizer.class_name()) prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  prefix += "/";
  for (const VariablePtr& variable : optimizer.hyperparameter_variables())
    add(prefix + variable->name(), variable->value());
  std::map<const Variable*, std::string> paths;
  std::vector<VariablePtr> variables;
  for (const auto& [path, variable] : weights) {
    paths[variable.get()] = path;
    if (optimizer.has_slots(*variable)) variables.push_back(variable);
  }
  for (const auto& [variable, slot_name] : optimizer.keras_slot_order(variables))
    add(prefix + paths.at(variable.get()) + "/" + slot_name, optimizer.get_slot(*variable, slot_name)->value());
  return contents;
}

void write_contents(Format format, const std::string& destination, const Contents& contents) {
  switch (format) {
    case Format::Checkpoint:
      write_checkpoint(destination, contents);
      break;
    case Format::Safetensors:
      write_safetensors(destination, contents);
      break;
    case Format::Npz:
      for (const StringTensor& strings : contents.strings)
        print_error("convert", "note: left out string tensor '" + strings.key + "', which .npz cannot hold");
      save_npz(destination, contents.tensors);  // atomic
      break;
    case Format::Keras:
      break;  // run_convert writes models
  }
}

// The model's weights (and optimizer, once compiled) as save_weights writes them, at DST or, for a
// directory, at DST/ckpt with the model.json and training_config.json that make it a run directory.
// Returns the checkpoint prefix.
std::string write_model_checkpoint(const std::shared_ptr<Model>& model, const std::string& destination) {
  const std::string prefix = checkpoint_prefix(destination);
  Checkpoint(model_items(model)).write(prefix);
  name_in_state_file(destination, prefix);
  if (prefix != destination) {
    Env& env = Env::Default();
    write_file_atomically(env, join_path(destination, kModelFile), model_to_json(*model, 2) + "\n");
    if (model->compiled())
      write_file_atomically(env, join_path(destination, kTrainingConfigFile),
                            training_config(*model).dump(2) + "\n");
  }
  return prefix;
}

// A Keras model file to a checkpoint (with its object graph; a directory DST also gets the model.json
// and training_config.json that make it a run directory), .safetensors or .npz.
void convert_keras_file(const std::string& source, Format format, const std::string& destination) {
  std::shared_ptr<Model> model = load_trained_model(source, std::nullopt).model;
  if (format != Format::Checkpoint) {
    Contents contents;
    for (auto& [key, tensor] : Checkpoint(model_items(model)).values()) contents.tensors.push_back({key, tensor});
    write_contents(format, destination, contents);
    std::cout << "converted the " << contents.tensors.size() << " tensors of " << source << " to " << destination
              << "\n";
    return;
  }
  std::cout << "converted the weights of " << source << " to " << write_model_checkpoint(model, destination) << "\n";
}

// A model read from model_file with its weights from the layer-path .safetensors or .npz file `source`,
// which must hold each of them (under its path, in its shape) and nothing else but optimizer variables.
std::shared_ptr<Model> model_from_layer_path_file(const std::string& source, const std::string& model_file) {
  Env& env = Env::Default();
  if (!env.file_exists(model_file)) throw IOError(model_file + " does not exist");
  std::shared_ptr<Model> model;
  try {
    model = model_from_json(env.read_file(model_file));
  } catch (const FormatError& e) {
    throw FormatError(model_file + ": " + e.what());
  }
  if (!model->built())
    throw InvalidArgument(model_file + ": the model has no input shape, so its weights do not exist before a call");
  std::unique_ptr<TensorSource> file = TensorSource::open(source);
  std::set<const Variable*> seen;
  std::vector<std::pair<std::string, VariablePtr>> weights;
  collect_layer_paths(*model, seen, weights);
  std::map<std::string, Tensor> values;
  for (const auto& [path, variable] : weights) {
    const auto info = std::find_if(file->tensors().begin(), file->tensors().end(),
                                   [&](const TensorInfo& tensor) { return tensor.key == path; });
    if (info == file->tensors().end())
      throw FormatError(source + " has no tensor '" + path + "' for a weight of the model of " + model_file +
                        " (a file of layer paths, as convert writes by default, is needed)");
    if (info->shape != variable->shape())
      throw ShapeError(source + ": '" + path + "' has shape " + shape_str(info->shape) + ", but the model of " +
                       model_file + " has " + shape_str(variable->shape()));
    TensorValue value = file->read(path);
    if (!std::holds_alternative<Tensor>(value) || std::get<Tensor>(value).dtype() != variable->dtype())
      throw FormatError(source + ": '" + path + "' is not a " + std::string(dtype_name(variable->dtype())) +
                        " tensor, as the model's weight is");
    values.emplace(path, std::get<Tensor>(std::move(value)));
  }
  for (const TensorInfo& info : file->tensors())
    if (!values.contains(info.key) && !info.key.starts_with("optimizer/"))
      throw FormatError(source + ": '" + info.key + "' is no weight of the model of " + model_file);
  for (const auto& [path, variable] : weights) variable->assign(values.at(path));
  return model;
}

int run_convert(const Args& args) {
  const std::string& source = args.positional("SRC");
  const std::string& destination = args.positional("DST");
  const Format format = destination_format(destination);
  const Keys keys = requested_keys(args, format, source, destination);
  const std::optional<std::string> model_file = args.value("model");
  if (is_array_file(source) && model_file && (format == Format::Keras || format == Format::Checkpoint)) {
    std::shared_ptr<Model> model = model_from_layer_path_file(source, *model_file);
    if (format == Format::Keras) {
      save_model(*model, destination);
      std::cout << "converted the weights of " << source << " to " << destination << "\n";
    } else {
      std::cout << "converted the weights of " << source << " to " << write_model_checkpoint(model, destination)
                << "\n";
    }
    return 0;
  }
  if (format == Format::Keras) {
    if (is_array_file(source))
      throw UsageError(destination + " holds a whole model: SRC must be a run directory, a checkpoint with " +
                       "model.json beside it (or --model FILE), a Keras file, or a layer-path file with " +
                       "--model FILE, not " + source);
    TrainedModel trained = load_trained_model(source, args.value("model"), /*with_optimizer=*/true);
    save_model(*trained.model, destination);
    std::cout << "converted the model of " << trained.weights << " to " << destination << "\n";
    return 0;
  }
  if (keys != Keys::Checkpoint) {
    Contents contents = layer_path_contents(source, args.value("model"), keys == Keys::LayerPathsOptimizer);
    write_contents(format, destination, contents);
    std::cout << "converted " << contents.tensors.size() << (contents.tensors.size() == 1 ? " tensor" : " tensors")
              << " from " << source << " to " << destination << " under layer paths"
              << (keys == Keys::LayerPaths ? " (weights only)" : " (weights and optimizer)") << "\n";
    return 0;
  }
  if (args.value("model"))
    throw UsageError("--model is for .h5, .keras and checkpoint destinations and for layer-path names");
  if (is_keras_file(source)) {
    convert_keras_file(source, format, destination);
    return 0;
  }
  Contents contents = read_source(source);
  write_contents(format, destination, contents);
  const size_t converted = contents.tensors.size() + (format == Format::Npz ? 0 : contents.strings.size());
  std::cout << "converted " << converted << (converted == 1 ? " tensor" : " tensors") << " from " << source
            << " to " << destination << "\n";
  return 0;
}

const RegisterCommand kRegistration({
    .name = "convert",
    .summary = "convert between checkpoints, .safetensors, .npz and Keras .h5 / .keras files",
    .description =
        "The format of DST follows its name: .safetensors, .npz, .h5 (or .hdf5), .keras, and anything else\n"
        "a TensorFlow checkpoint prefix (DST.index + DST.data-00000-of-00001), or, for an existing directory\n"
        "or a name ending in '/', the checkpoint DST/ckpt with the directory's `checkpoint` state file.\n"
        "A .safetensors DST of a run directory, a checkpoint or a Keras file gets the model's weights only,\n"
        "under Keras's layer paths: dense/kernel, dense/bias, dense_1/kernel... (an LSTM's under its cell,\n"
        "lstm/lstm_cell/kernel). The layer names come from the model.json beside the checkpoint (or --model\n"
        "FILE). --with-optimizer adds the optimizer's variables under optimizer/<its class in lower case>/:\n"
        "the step count `iter`, the hyperparameters (learning_rate, decay, beta_1...) and one slot per weight\n"
        "and slot name (optimizer/adam/dense/kernel/m, optimizer/adam/dense/kernel/v). An .npz DST takes the\n"
        "same options, and keeps the checkpoint's keys by default.\n"
        "--keys checkpoint keeps every tensor of SRC under its own key (TensorFlow's object-graph keys, such\n"
        "as layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE, and the optimizer's slots): such a file\n"
        "converts back into a checkpoint that load_weights and every command restore. A layer-path file\n"
        "converts into .npz, .safetensors or a name-keyed checkpoint (TF1 Saver style) under the same names,\n"
        "and, with --model FILE (the model.json of its run), into the model's checkpoint (as save_weights\n"
        "writes it, a run directory for a directory DST) or a Keras file, with the weights only: each weight\n"
        "must be in the file under its path and shape, and the file may hold no other tensors but optimizer/.\n"
        "Between checkpoints, .safetensors and .npz files (SRC not a model) the tensors keep their keys. A\n"
        "checkpoint's string tensors (its object graph) are kept in a .safetensors file's __metadata__ and come\n"
        "back when it is converted to a checkpoint; .npz files cannot hold them and they are left out, with a\n"
        "note. float16 and bfloat16 safetensors are read as float32.\n"
        "A Keras file holds a whole model: to write one, SRC is a run directory of `cairn train` (or a\n"
        "checkpoint) whose model.json (or --model FILE) gives the architecture; its training config and\n"
        "optimizer state come along. A Keras SRC gives its weights in save_weights' keys (to a .safetensors\n"
        "DST with --keys checkpoint); converted into a directory, with the model.json and training_config.json\n"
        "that make it a run directory.\n"
        "Everything is read and verified first, and DST appears whole or not at all: a failed conversion\n"
        "leaves no DST (and an existing DST unchanged).",
    .options = {{"model", "FILE", "the model's JSON config, for an .h5 or .keras DST and for layer-path names\n"
                                  "(default: model.json beside the checkpoint); with a layer-path SRC, for a\n"
                                  "checkpoint, .h5 or .keras DST"},
                {"weights-only", "", "the model's weights under their layer paths (the default for .safetensors)"},
                {"with-optimizer", "", "the weights and the optimizer's variables under layer paths"},
                {"keys", "KIND", "checkpoint: every tensor under its own key (TensorFlow's object-graph keys,\n"
                                 "which a checkpoint DST needs); layers: as --weights-only"}},
    .positionals = {{"SRC", std::string(kPathHelp) + ", or an .h5 or .keras file"},
                    {"DST", "the file, checkpoint prefix or directory to write"}},
    .run = run_convert,
});

}  // namespace
}  // namespace cairn::cli
