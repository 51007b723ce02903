// The other direction of the conformance cases: cairn loads a case's model.h5 (written by real Keras) and
// writes the model in every format it writes, with what it predicts and where one more training step
// takes its weights, as a case directory that check_cairn_files.py has real Keras and TensorFlow judge.
//
//   write_cairn_files CASE_DIR OUT_DIR
//
// OUT_DIR gets model.keras, model.h5, model.weights.h5, and for a tf-keras case also weights.h5 (the
// legacy weights layout), tf_weights/weights (save_weights' TensorFlow checkpoint, the model as the root)
// and tf_checkpoint/ckpt-1 (tf.train.Checkpoint(model=, optimizer=) saved); data.npz with the case's
// inputs, cairn's predictions and cairn's weights after train_on_batch(x_next, y_next); and case.json,
// the case's own with these files. Keras 3 restores no TensorFlow checkpoint of a tf-keras model's graph
// (its model contributes no objects of its own), so its cases have none; nor do the cases of tf-keras's
// legacy optimizers, whose files cairn reads but does not write. Exits 1 with the error on failure.
//
//   write_cairn_files --fixture MODEL_FILE DATA_NPZ keras3|tf_keras OUT_DIR
//
// does the same for a model file of tests/fixtures (check_multi_output.sh): cairn loads it and writes the
// file of that Keras generation (keras3: model.keras; tf_keras: model.h5), data.npz with the inputs
// (DATA_NPZ's arrays named as the model's inputs) and cairn's predictions, and a case.json naming them.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/npy.h"

namespace fs = std::filesystem;
using namespace cairn;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Json file_entry(const std::string& format, const std::string& path, const std::vector<std::string>& holds) {
  return {{"format", format}, {"path", path}, {"holds", holds}};
}

void write(const fs::path& case_dir, const fs::path& out) {
  Json spec = parse_json(read_text(case_dir / "case.json"), (case_dir / "case.json").string());
  std::map<std::string, Tensor> data;
  for (NamedTensor& array : load_npz((case_dir / "data.npz").string())) data.emplace(array.name, array.tensor);
  const bool tf_keras = spec["keras"].get<std::string>() == "tf_keras";
  // cairn writes the files of the current optimizers (tf.keras 2.11+ and Keras 3); tf-keras's legacy ones
  // (TF 2.0-2.10) restore another checkpoint layout and refuse a current config, so their cases have none.
  if (spec["optimizer"].value("legacy", false)) return;

  std::shared_ptr<Model> model = load_model((case_dir / "model.h5").string());
  fs::create_directories(out / "tf_checkpoint");
  const std::vector<std::string> everything = {"config", "weights", "optimizer", "training_config"};
  Json files = Json::array();
  save_model(*model, (out / "model.keras").string());
  // cairn's .keras is Keras 3's layout, whose optimizer variables tf-keras skips (as for Keras 3's own
  // files): tf-keras is judged on the model there.
  files.push_back(file_entry("keras", "model.keras",
                             tf_keras ? std::vector<std::string>{"config", "weights", "training_config"} : everything));
  save_model(*model, (out / "model.h5").string());
  files.push_back(file_entry("h5", "model.h5", everything));
  model->save_weights((out / "model.weights.h5").string());
  files.push_back(file_entry("weights_h5", "model.weights.h5", {"weights"}));
  if (tf_keras) {
    model->save_weights((out / "weights.h5").string());
    files.push_back(file_entry("h5_weights", "weights.h5", {"weights"}));
    model->save_weights((out / "tf_weights" / "weights").string());
    files.push_back(file_entry("tf_weights", "tf_weights/weights", {"weights", "optimizer"}));
    Checkpoint({{"model", model}, {"optimizer", model->optimizer_ptr()}}).save((out / "tf_checkpoint" / "ckpt").string());
    files.push_back(file_entry("tf_checkpoint", "tf_checkpoint/ckpt-1", {"weights", "optimizer"}));
  }

  // What a faithful reader must get from these files: cairn's predictions, and its next step.
  std::vector<NamedTensor> arrays = {{"x", data.at("x")}, {"y_pred", model->predict(data.at("x"))}};
  arrays.push_back({"x_next", data.at("x_next")});
  arrays.push_back({"y_next", data.at("y_next")});
  model->train_on_batch(data.at("x_next"), data.at("y_next"));
  const std::vector<VariablePtr> weights = model->weights();
  const Json& entries = spec["weights"];
  if (weights.size() != entries.size())
    throw InvalidArgument(case_dir.string() + ": cairn's model has " + std::to_string(weights.size()) +
                          " weights, case.json lists " + std::to_string(entries.size()));
  for (size_t i = 0; i < weights.size(); ++i)
    arrays.push_back({"next_" + entries[i]["key"].get<std::string>(), weights[i]->value()});
  save_npz((out / "data.npz").string(), arrays);
  spec["data"] = "data.npz";
  spec["files"] = files;
  std::ofstream(out / "case.json") << spec.dump(1) << "\n";
}

void write_fixture(const fs::path& model_file, const fs::path& data_file, const std::string& generation,
                   const fs::path& out) {
  if (generation != "keras3" && generation != "tf_keras")
    throw InvalidArgument("the Keras generation must be keras3 or tf_keras, got '" + generation + "'");
  std::map<std::string, Tensor> data;
  for (NamedTensor& array : load_npz(data_file.string())) data.emplace(array.name, array.tensor);
  std::shared_ptr<Model> model = load_model(model_file.string());
  fs::create_directories(out);
  const std::string file = generation == "keras3" ? "model.keras" : "model.h5";
  save_model(*model, (out / file).string());
  std::vector<NamedTensor> arrays;
  std::vector<Tensor> inputs;
  for (const std::string& name : model->input_names()) {
    inputs.push_back(data.at(name));
    arrays.push_back({name, data.at(name)});
  }
  const std::vector<Tensor> predictions = model->call_outputs(inputs, false);
  // check_cairn_files.py compares "y_pred" with Keras's predict: one array, or one per output.
  for (size_t i = 0; i < predictions.size(); ++i)
    arrays.push_back({predictions.size() == 1 ? "y_pred" : "y_pred_" + std::to_string(i), predictions[i]});
  save_npz((out / "data.npz").string(), arrays);
  const Json spec = {{"case", generation + "-" + model_file.stem().string()},
                     {"keras", generation},
                     {"data", "data.npz"},
                     {"inputs", model->input_names()},
                     {"outputs", predictions.size()},
                     {"tolerance", {{"predict", 1e-5}, {"train_step", 1e-5}}},
                     {"files", Json::array({file_entry(generation == "keras3" ? "keras" : "h5", file, {"config", "weights"})})}};
  std::ofstream(out / "case.json") << spec.dump(1) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const bool fixture = argc == 6 && std::string(argv[1]) == "--fixture";
  if (argc != 3 && !fixture) {
    std::cerr << "usage: " << argv[0] << " CASE_DIR OUT_DIR\n"
              << "       " << argv[0] << " --fixture MODEL_FILE DATA_NPZ keras3|tf_keras OUT_DIR\n";
    return 2;
  }
  try {
    if (fixture) write_fixture(argv[2], argv[3], argv[4], argv[5]);
    else write(argv[1], argv[2]);
  } catch (const std::exception& e) {
    std::cerr << argv[fixture ? 2 : 1] << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
