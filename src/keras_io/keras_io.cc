// save_model / load_model for Keras's .h5 and .keras files, and the HDF5 side of Model::save_weights and
// load_weights (which the saving module, above this one, calls).
#include "cairn/keras_io.h"

#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <new>
#include <set>

#include "cairn/allocation_budget.h"
#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/internal/config/config_reader.h"
#include "cairn/internal/keras_io/weights_files.h"
#include "cairn/zip.h"
#include "hdf5.h"
#include "keras_archive.h"
#include "keras_weights.h"

namespace cairn {

namespace {

using keras_io_detail::kWeightsMember;
using keras_io_detail::PendingLoad;
using keras_io_detail::weights_member;

constexpr const char* kConfigMember = "config.json";
constexpr const char* kMetadataMember = "metadata.json";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_hdf5_name(const std::string& path) { return ends_with(path, ".h5") || ends_with(path, ".hdf5"); }

std::span<const uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string_view as_text(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The tensor memory loading a model file may take. The file holds the weights, so they take at most its
// size; compiling adds optimizer slots beside them, the values read are held until they are assigned,
// and initializers make temporaries: 8 times the file, plus room for a small file's model.
uint64_t load_allocation_limit(uint64_t file_bytes) { return (uint64_t{64} << 20) + 8 * file_bytes; }

bool looks_like_zip(std::span<const uint8_t> bytes) { return bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == 'K'; }

// Runs a step of reading a config, prefixing its errors with where they come from.
template <class F>
auto with_context(const std::string& where, F&& step) {
  try {
    return step();
  } catch (const ShapeError& e) {
    throw ShapeError(where + ": " + e.what());
  } catch (const ResourceLimitError& e) {
    throw ResourceLimitError(where + ": " + e.what());
  } catch (const Error& e) {
    throw FormatError(where + ": " + e.what());
  }
}

bool is_model_class(const std::string& class_name) {
  return class_name == "Sequential" || class_name == "Functional" || class_name == "Model";
}

// A layer class cairn does not implement is reported by name before anything else in the config (an
// input's fixed batch size, say) can fail first.
void check_layer_classes(const Json& entry, const std::string& where) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string()) return;
  const std::string class_name = entry["class_name"].get<std::string>();
  const Json* config = entry.contains("config") ? &entry["config"] : nullptr;
  if (is_model_class(class_name)) {
    if (!config) return;
    // Keras 2.0's Sequential config is the list of layers itself.
    const Json* layers = config;
    if (config->is_object() && config->contains("layers")) layers = &(*config)["layers"];
    if (layers->is_array())
      for (const Json& layer : *layers) check_layer_classes(layer, where);
    return;
  }
  if (class_name == "InputLayer" || is_registered_layer(class_name) || config_detail::is_keras_mask_operation(class_name))
    return;
  const bool has_module = entry.contains("module") && entry["module"].is_string();
  if (config_detail::is_operation_entry(has_module ? entry["module"].get<std::string>() : "", class_name))
    return;  // the operation table names the operations it lacks
  std::string name;
  if (config && config->is_object() && config->contains("name") && (*config)["name"].is_string())
    name = (*config)["name"].get<std::string>();
  throw FormatError(where + ": layer " + config_detail::quote_name(name) + " is a " + config_detail::clipped(class_name) +
                    ", a layer class cairn does not implement");
}

std::shared_ptr<Model> model_from_file_config(const Json& config, const std::string& where) {
  check_layer_classes(config, where);
  // No budget of its own: load_model's, derived from the file's size, is in force.
  auto model = with_context(where, [&] { return model_from_config(config, std::numeric_limits<uint64_t>::max()); });
  if (!model->built())
    throw FormatError(where + ": the config gives the model no input shape, so it cannot be built to take its weights");
  return model;
}

void compile_from(Model& model, const Json& training_config, const std::string& where) {
  model.compile(with_context(where, [&] { return compile_options_from_training_config(training_config); }));
}

void require_built(const Model& model, const std::string& what, const std::string& path) {
  if (!model.built())
    throw InvalidArgument(what + "('" + path + "'): model '" + model.name() +
                          "' is not built yet, so its layers have no weights; build it or call it on data first");
}

// ---------------------------------------------------------------- tf.keras 2.x whole-model HDF5

// The training_config of an .h5 file. tf-keras revives an optimizer config without "is_legacy_optimizer"
// as its legacy class, whose Adagrad and RMSprop (without momentum) step differently from the current
// ones; for those cairn writes what tf.keras 2.11+ writes for its current optimizers ("Custom>RMSprop",
// "is_legacy_optimizer": false). Keras 3 refuses that key under a plain class name, and revives a
// "Custom>" name as the optimizer of that name with default arguments, as for tf-keras's own files.
Json legacy_h5_training_config(const Model& model) {
  Json training = training_config(model);
  const Optimizer& optimizer = model.optimizer();
  const auto* adagrad = dynamic_cast<const Adagrad*>(&optimizer);
  const auto* rmsprop = dynamic_cast<const RMSprop*>(&optimizer);
  if ((adagrad && !adagrad->legacy()) || (rmsprop && !rmsprop->legacy() && rmsprop->momentum() == 0)) {
    Json& config = training["optimizer_config"];
    config["class_name"] = "Custom>" + optimizer.class_name();
    config["config"]["is_legacy_optimizer"] = false;
  }
  return training;
}

std::vector<uint8_t> encode_legacy_h5(const Model& model, const std::string& path) {
  const Json config = model_config(model);  // InvalidArgument for a subclassed model
  require_built(model, "save_model", path);
  auto lock = h5::lock();
  h5::File file = h5::File::create(path);
  h5::Group root = file.root();
  root.set_string_attribute("keras_version", kKerasVersion);
  root.set_string_attribute("backend", "tensorflow");
  root.set_string_attribute("model_config", config.dump());
  if (model.compiled()) root.set_string_attribute("training_config", legacy_h5_training_config(model).dump());
  h5::Group weights = root.create_group("model_weights");
  keras_io_detail::write_keras2_layers(weights, model.layers());
  weights.set_string_attribute("backend", "tensorflow");
  weights.set_string_attribute("keras_version", kKerasVersion);
  keras_io_detail::write_keras2_optimizer(root, model);
  keras_io_detail::write_generator_states(root, model);
  return file.image();
}

std::shared_ptr<Model> decode_legacy_h5(std::span<const uint8_t> bytes, const std::string& path) {
  auto lock = h5::lock();
  h5::File file = h5::File::open(bytes, path);
  const h5::Group root = file.root();
  if (!root.has_attribute("model_config")) {
    if (root.has_attribute("layer_names"))
      throw FormatError(path + ": a weights-only file (no model_config); load it into its model with load_weights");
    throw FormatError(path + ": not a Keras model file (no model_config attribute)");
  }
  const std::string where = path + ": model_config";
  auto model = model_from_file_config(parse_json(root.string_attribute("model_config"), where), where);
  if (root.has_attribute("training_config")) {
    const std::string training_where = path + ": training_config";
    compile_from(*model, parse_json(root.string_attribute("training_config"), training_where), training_where);
  }
  if (!root.is_group("model_weights")) throw FormatError(path + ": group model_weights is missing");
  PendingLoad pending;
  keras_io_detail::read_keras2_layers(root.open_group("model_weights"), model->layers(), {}, pending);
  if (model->compiled() && root.is_group("optimizer_weights"))
    keras_io_detail::read_keras2_optimizer(root.open_group("optimizer_weights"), *model, pending);
  keras_io_detail::read_generator_states(root, *model, pending);
  pending.apply(model->compiled() ? &model->optimizer() : nullptr);
  return model;
}

// ---------------------------------------------------------------- Keras 3 zip

// Keras 3 (and tf-keras 2.13+) deserialize an object of a .keras config only by its module: without one,
// even a built-in class such as Sequential or Adam "could not be located". The object's kind gives it.
void name_module(Json& object, const std::string& module) {
  if (!object.is_object() || !object.contains("class_name") || !object["class_name"].is_string()) return;
  object["module"] = module;
  object["registered_name"] = nullptr;
}

// Names the module of a model (Sequential or Functional, also nested as a layer) and of every object in it.
void name_modules_of_model_or_layer(Json& entry, bool is_layer) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string()) return;
  if (entry.contains("module")) return;  // an operation, whose entry model_config writes in Keras 3's form
  const std::string class_name = entry["class_name"].get<std::string>();
  if (class_name == "Sequential") {
    name_module(entry, "keras");
  } else if (class_name == "Functional" || class_name == "Model") {
    // keras.Model builds a Functional from its config in both generations; the module Keras 3 writes
    // (keras.src.models.functional) has no counterpart in tf-keras.
    entry["class_name"] = "Model";
    name_module(entry, "keras");
  } else {
    name_module(entry, is_layer ? "keras.layers" : "keras");
  }
  if (!entry.contains("config") || !entry["config"].is_object()) return;
  for (auto& [key, value] : entry["config"].items()) {
    if (key == "layers" && value.is_array()) {
      for (Json& layer : value) name_modules_of_model_or_layer(layer, /*is_layer=*/true);
    } else if (key == "layer" || key == "backward_layer") {  // a wrapper's (Bidirectional, TimeDistributed)
      name_modules_of_model_or_layer(value, /*is_layer=*/true);
    } else if (ends_with(key, "_initializer")) {
      name_module(value, "keras.initializers");
    } else if (ends_with(key, "_regularizer")) {
      name_module(value, "keras.regularizers");
    } else if (ends_with(key, "_constraint")) {
      name_module(value, "keras.constraints");
    }
  }
}

// Keras 3's compile_config, from the tf.keras 2.x training_config of the same compile.
Json compile_config(const Model& model) {
  Json training = training_config(model);
  name_module(training["optimizer_config"], "keras.optimizers");
  name_module(training["loss"], "keras.losses");
  if (!training["loss"].contains("class_name"))  // one loss per output, by output name
    for (auto& [output, loss] : training["loss"].items()) name_module(loss, "keras.losses");
  return {{"optimizer", training["optimizer_config"]},
          {"loss", training["loss"]},
          {"loss_weights", training["loss_weights"]},
          {"metrics", training["metrics"]},
          {"weighted_metrics", training["weighted_metrics"]},
          {"run_eagerly", false},
          {"steps_per_execution", 1},
          {"jit_compile", false}};
}

std::string date_saved() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d@%H:%M:%S", &local);
  return text;
}

// Keras 3 records each layer call of a functional model as {"args": [...], "kwargs": {}} of Keras tensors
// (shape, dtype, keras_history). It still reads tf.keras 2's nodes ([[name, node, tensor, kwargs], ...]),
// but as one list argument, which a layer that takes its inputs as separate arguments (MultiHeadAttention's
// query, value, key) cannot be called with, nor a recurrent layer given initial states (Keras 3 takes them
// as the initial_state argument only): the calls of those layers are written Keras 3's way. The others
// keep tf.keras 2's form, which tf-keras, reading the same .keras files, needs (it reads no other).
void write_keras3_calls(Json& config, const Functional& model) {
  // Each output's shape by layer name and tensor index (a layer's calls give outputs of one shape).
  std::map<std::pair<std::string, int64_t>, Shape> shapes;
  std::set<const SymbolicNode*> seen;
  std::function<void(const SymbolicNode*)> visit = [&](const SymbolicNode* node) {
    if (!seen.insert(node).second) return;
    for (size_t i = 0; i < node->output_shapes.size(); ++i) shapes[{node->name, static_cast<int64_t>(i)}] = node->output_shapes[i];
    for (const SymbolicTensor& in : node->inputs) visit(in.node().get());
  };
  for (const SymbolicTensor& output : model.outputs()) visit(output.node().get());
  auto keras_tensor = [&](const Json& reference) -> Json {
    const std::string name = reference.at(0).get<std::string>();
    const auto shape = shapes.find({name, reference.at(2).get<int64_t>()});
    return {{"class_name", "__keras_tensor__"},
            {"config", {{"shape", config_detail::shape_config(shape != shapes.end() ? shape->second
                                                                                   : model.get_layer(name)->last_output_shape())},
                        {"dtype", "float32"},
                        {"keras_history", Json::array({reference.at(0), reference.at(1), reference.at(2)})}}}};
  };
  for (Json& entry : config["config"]["layers"]) {
    if (entry["inbound_nodes"].empty()) continue;  // an InputLayer
    const LayerPtr layer = model.get_layer(entry["name"].get<std::string>());
    const bool takes_initial_state = config_detail::takes_initial_state(*layer);
    if (!layer->takes_inputs_as_arguments() && !takes_initial_state) continue;
    Json calls = Json::array();
    for (const Json& node : entry["inbound_nodes"]) {
      Json tensors = Json::array();
      for (const Json& reference : node) {
        tensors.push_back(keras_tensor(reference));
        if (reference.size() > 3)  // tf-keras's call arguments: MultiHeadAttention's value and key
          for (const char* argument : {"value", "key"})
            if (reference[3].contains(argument)) tensors.push_back(keras_tensor(reference[3][argument]));
      }
      if (takes_initial_state && tensors.size() > 1) {  // the sequence, then its initial states
        Json states(tensors.begin() + 1, tensors.end());
        calls.push_back({{"args", Json::array({tensors[0]})}, {"kwargs", {{"initial_state", states}}}});
      } else {
        calls.push_back({{"args", tensors}, {"kwargs", Json::object()}});
      }
    }
    entry["inbound_nodes"] = calls;
  }
}

std::vector<uint8_t> encode_keras_zip(const Model& model, const std::string& path) {
  Json config = model_config(model);  // InvalidArgument for a subclassed model
  require_built(model, "save_model", path);
  name_modules_of_model_or_layer(config, /*is_layer=*/false);
  if (const auto* functional = dynamic_cast<const Functional*>(&model)) write_keras3_calls(config, *functional);
  if (model.compiled()) config["compile_config"] = compile_config(model);
  const Json metadata = {{"keras_version", kKerasVersion}, {"date_saved", date_saved()}};
  std::vector<uint8_t> weights;
  {
    auto lock = h5::lock();
    h5::File file = h5::File::create(path + ": " + kWeightsMember);
    h5::Group root = file.root();
    keras_io_detail::write_keras3_weights(root, model, /*include_optimizer=*/true);
    keras_io_detail::write_generator_states(root, model);
    weights = file.image();
  }
  auto text = [](const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); };
  return encode_zip({{kMetadataMember, text(metadata.dump(4))},
                     {kConfigMember, text(config.dump(4))},
                     {kWeightsMember, std::move(weights)}});
}

}  // namespace

const ZipMember& keras_io_detail::weights_member(const ZipArchive& archive) {
  if (const ZipMember* weights = archive.find(kWeightsMember)) return *weights;
  if (archive.find("model.weights.npz"))
    throw FormatError(archive.source() + ": its weights are in model.weights.npz (weights_format=\"npz\"), which "
                                         "cairn does not read");
  throw FormatError(archive.source() + ": no " + kWeightsMember + " in the archive (not a .keras file)");
}

namespace {

// A model's config is a few kilobytes to a few megabytes of JSON; more is refused before inflating it.
constexpr uint64_t kMaxConfigBytes = uint64_t{64} << 20;

std::vector<uint8_t> read_config_member(const ZipArchive& archive) {
  const ZipMember* config = archive.find(kConfigMember);
  if (!config) throw FormatError(archive.source() + ": no " + kConfigMember + " in the archive (not a .keras file)");
  if (config->size > kMaxConfigBytes)
    throw ResourceLimitError(archive.source() + ": zip member '" + kConfigMember + "' declares " +
                             std::to_string(config->size) + " bytes, more than the " +
                             std::to_string(kMaxConfigBytes >> 20) + " MiB cairn reads as a model config");
  return archive.read(*config);
}

std::shared_ptr<Model> decode_keras_zip(std::span<const uint8_t> bytes, const std::string& path) {
  const ZipArchive archive(bytes, path);
  const std::vector<uint8_t> config_text = read_config_member(archive);
  const ZipMember& weights = weights_member(archive);
  const std::string where = path + ": " + kConfigMember;
  const Json config = parse_json(as_text(config_text), where);
  auto model = model_from_file_config(config, where);
  // Keras 3 writes {} for a model that was never compiled.
  if (config.is_object() && config.contains("compile_config") && !config["compile_config"].is_null() &&
      !(config["compile_config"].is_object() && config["compile_config"].empty()))
    compile_from(*model, config["compile_config"], where + ": compile_config");
  auto lock = h5::lock();
  h5::File file = h5::File::open(archive.read(weights), path + ": " + kWeightsMember);
  const h5::Group root = file.root();
  PendingLoad pending;
  keras_io_detail::read_keras3_weights(root, *model, {}, pending);
  keras_io_detail::read_generator_states(root, *model, pending);
  pending.apply(model->compiled() ? &model->optimizer() : nullptr);
  return model;
}

}  // namespace

// ---------------------------------------------------------------- weights-only files

void save_hdf5_weights(Model& model, const std::string& path) {
  if (ends_with(path, ".keras"))
    throw InvalidArgument("save_weights('" + path + "'): a .keras file holds a whole model: use save_model, or name "
                          "the weights file *.weights.h5 (Keras 3) or *.h5 (tf.keras 2.x)");
  require_built(model, "save_weights", path);
  std::vector<uint8_t> bytes;
  {
    auto lock = h5::lock();
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    if (ends_with(path, ".weights.h5")) {
      keras_io_detail::write_keras3_weights(root, model, /*include_optimizer=*/true);
      keras_io_detail::write_generator_states(root, model);
    } else {
      keras_io_detail::write_keras2_layers(root, model.layers());
      root.set_string_attribute("backend", "tensorflow");
      root.set_string_attribute("keras_version", kKerasVersion);
    }
    bytes = file.image();
  }
  write_file_atomically(Env::Default(), path, as_text(bytes));
}

namespace {

// Keras 3's layout: weights, the optimizer state when the model is compiled (skipped with a warning
// when it does not fit, as Keras does), and the random streams.
void read_keras3_file(const h5::Group& root, Model& model, const LoadWeightsOptions& options, PendingLoad& pending) {
  keras_io_detail::read_keras3_weights(root, model, options, pending);
  keras_io_detail::read_generator_states(root, model, pending);
}

}  // namespace

void load_hdf5_weights(Model& model, const std::string& path, const LoadWeightsOptions& options) {
  require_built(model, "load_weights", path);
  const std::string content = Env::Default().read_file(path);
  const std::span<const uint8_t> bytes = as_bytes(content);
  PendingLoad pending;
  auto lock = h5::lock();
  if (looks_like_zip(bytes)) {
    const ZipArchive archive(bytes, path);
    h5::File file = h5::File::open(archive.read(weights_member(archive)), path + ": " + kWeightsMember);
    read_keras3_file(file.root(), model, options, pending);
  } else {
    h5::File file = h5::File::open(bytes, path);
    const h5::Group root = file.root();
    if (root.has_attribute("layer_names")) {
      keras_io_detail::read_keras2_layers(root, model.layers(), options, pending);
    } else if (root.is_group("model_weights")) {  // a whole-model file: its weights, as Keras's load_weights
      keras_io_detail::read_keras2_layers(root.open_group("model_weights"), model.layers(), options, pending);
    } else if (root.is_group("layers") || root.is_group("vars")) {
      read_keras3_file(root, model, options, pending);
    } else {
      throw FormatError(path + ": neither tf.keras's weights layout (attribute layer_names) nor Keras 3's "
                               "(layers/<name>/vars)");
    }
  }
  pending.apply(model.compiled() ? &model.optimizer() : nullptr);
}

void save_model(const Model& model, const std::string& path, Env& env) {
  std::vector<uint8_t> bytes;
  if (ends_with(path, ".keras")) {
    bytes = encode_keras_zip(model, path);
  } else if (is_hdf5_name(path)) {
    bytes = encode_legacy_h5(model, path);
  } else {
    throw InvalidArgument("save_model('" + path + "'): the name must end in .h5 or .hdf5 (tf.keras 2.x's HDF5) or "
                          ".keras (Keras 3's zip); export directories are written by export_model");
  }
  write_file_atomically(env, path, as_text(bytes));
}

std::shared_ptr<Model> load_model(const std::string& path, Env& env) {
  if (env.is_directory(path))
    throw InvalidArgument("load_model('" + path + "'): a directory; load_model reads .h5, .hdf5 and .keras files "
                          "(export directories are read by load_exported_model)");
  if (!ends_with(path, ".keras") && !is_hdf5_name(path))
    throw InvalidArgument("load_model('" + path + "'): the name must end in .h5, .hdf5 or .keras");
  const std::string content = env.read_file(path);
  const std::span<const uint8_t> bytes = as_bytes(content);
  try {
    ScopedAllocationBudget budget(load_allocation_limit(bytes.size()), "load_model('" + path + "')");
    // The content decides: tf.keras 2.x also wrote HDF5 under .keras names.
    if (looks_like_zip(bytes)) return decode_keras_zip(bytes, path);
    if (h5::looks_like_hdf5(bytes)) return decode_legacy_h5(bytes, path);
  } catch (const std::bad_alloc&) {
    throw ResourceLimitError(path + ": out of memory while loading the model (the file has " +
                             std::to_string(bytes.size()) + " bytes)");
  }
  throw FormatError(path + ": neither an HDF5 file nor a zip archive (" + std::to_string(bytes.size()) + " bytes)");
}

}  // namespace cairn
