// SavedModel-like export directories: model.json + signature.json + variables/.
#include "cairn/export.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/tensor_bundle.h"

namespace cairn {

namespace {

Json shape_json(const Shape& shape) {
  Json dims = Json::array();
  for (size_t i = 0; i < shape.size(); ++i) dims.push_back(i == 0 || shape[i] < 0 ? Json() : Json(shape[i]));
  return dims;
}

Json signature(const Model& model) {
  Json inputs = Json::array(), outputs = Json::array();
  if (const auto* functional = dynamic_cast<const Functional*>(&model)) {
    for (const auto& input : functional->inputs())
      inputs.push_back({{"name", input.node()->name}, {"dtype", "float32"}, {"shape", shape_json(input.shape())}});
  } else {
    inputs.push_back({{"name", "input"}, {"dtype", "float32"}, {"shape", shape_json(model.built_input_shape())}});
  }
  const auto layers = model.layers();
  outputs.push_back({{"name", layers.empty() ? model.name() : layers.back()->name()},
                     {"dtype", "float32"},
                     {"shape", shape_json(model.compute_output_shape(model.built_input_shape()))}});
  return {{"inputs", inputs}, {"outputs", outputs}};
}

bool is_version_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string export_model(const Model& model, const std::string& dir, Env& env) {
  if (!model.built()) throw InvalidArgument("export_model: model \"" + model.name() + "\" is not built yet");
  const std::string config = model_to_json(model, 2);  // throws for subclassed models
  std::shared_ptr<Layer> root = const_cast<Model&>(model).weak_from_this().lock();
  if (!root) throw InvalidArgument("export_model: the model must be owned by a std::shared_ptr");

  env.create_dirs(dir);
  int64_t version = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  while (env.file_exists(join_path(dir, std::to_string(version)))) ++version;  // two exports in one second
  const std::string final_dir = join_path(dir, std::to_string(version));
  const std::string temp_dir = join_path(dir, ".tmp-" + std::to_string(version) + "-" + std::to_string(std::random_device{}()));
  try {
    env.create_dirs(temp_dir + "/variables");
    write_file_atomically(env, temp_dir + "/model.json", config);
    write_file_atomically(env, temp_dir + "/signature.json", signature(model).dump(2));
    Checkpoint({{"", root}}, env).write(temp_dir + "/variables/variables");
    env.sync_dir(temp_dir);
    env.rename_file(temp_dir, final_dir);
    env.sync_dir(dir);
  } catch (...) {
    // Leave no partial version behind; the temporary name is never loaded anyway.
    try {
      for (const auto& sub : {temp_dir + "/variables", temp_dir})
        if (env.file_exists(sub))
          for (const auto& name : env.list_dir(sub))
            if (!env.is_directory(sub + "/" + name)) env.remove_file(sub + "/" + name);
    } catch (const Error&) {
    }
    throw;
  }
  return final_dir;
}

std::shared_ptr<Model> load_exported_model(const std::string& dir, Env& env) {
  std::string version_dir = dir;
  if (!env.file_exists(join_path(dir, "model.json"))) {
    std::vector<std::string> versions;
    for (const auto& name : env.list_dir(dir))
      if (is_version_name(name) && env.file_exists(join_path(dir, name) + "/model.json")) versions.push_back(name);
    if (versions.empty()) throw IOError("load_exported_model: no export (a <timestamp>/model.json) under '" + dir + "'");
    std::sort(versions.begin(), versions.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    version_dir = join_path(dir, versions.back());
  }
  std::shared_ptr<Model> model;
  try {
    model = model_from_json(env.read_file(version_dir + "/model.json"));
  } catch (const Json::exception& e) {
    throw FormatError(version_dir + "/model.json: " + e.what());
  }
  Checkpoint({{"", model}}, env).restore(version_dir + "/variables/variables").assert_existing_objects_matched();
  return model;
}

}  // namespace cairn
