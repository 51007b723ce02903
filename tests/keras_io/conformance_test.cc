// Real Keras and TensorFlow as the judge: every file of tests/conformance/cases (written by Keras 3.15 and
// tf-keras 2.21, see its README) is read by cairn, which must predict what Keras predicted and, from a file
// that holds the optimizer state, take the training step Keras took next; or refuse the file with the
// message recorded below. With CAIRN_CONFORMANCE_TABLE=path the test also writes the markdown table of
// docs/conformance.md there.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <tuple>

#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/npy.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(CAIRN_SOURCE_DIR) / "tests" / "conformance" / "cases";

// Files cairn refuses, by "<case>/<file path>", with a part of the message that says why.
const std::map<std::string, std::string> kExpectedRefusals = {
    // A tensor larger than a shard is saved as slices, which cairn does not read.
    {"tf_keras-embedding_lstm/tf_weights_sharded/weights", "is a partitioned (sliced) variable"},
    {"tf_keras-attention/tf_weights_sharded/weights", "is a partitioned (sliced) variable"},
};

// Files cairn reads and predicts from exactly, whose next training step differs from Keras's because
// Keras's step is not the one its configuration describes, by "<case>/<file path>", with the reason
// the conformance table gives.
const std::map<std::string, std::string> kKnownTrainingDifferences = [] {
  // Binary cross-entropy on a softmax output: both Keras generations take the softmax's cached logits
  // (_keras_logits) and compute sigmoid cross-entropy on them, which is not the cross-entropy of the
  // probabilities the model outputs; cairn computes the loss it is given from the model's output.
  const std::string softmax_bce =
      "Keras trains binary cross-entropy on a softmax output as sigmoid cross-entropy of the softmax's logits";
  // Keras 3 on TensorFlow gets an Embedding's gradient as tf.IndexedSlices, one row per occurrence of a
  // token, and its Adam squares the rows before summing a repeated token's (ops.square keeps the
  // slices): v grows by the sum of g_i^2, not by (sum of g_i)^2. tf-keras, Keras 3 on JAX and cairn
  // square the summed gradient.
  const std::string sparse_adam =
      "Keras 3 on TensorFlow squares an Embedding's gradient per occurrence of a token (IndexedSlices) in "
      "Adam's second moment";
  std::map<std::string, std::string> known;
  const std::vector<std::tuple<std::string, std::vector<std::string>, std::string>> cases = {
      {"keras3-loss_binary_crossentropy", {"model.keras", "model.h5"}, softmax_bce},
      {"tf_keras-loss_binary_crossentropy", {"model.h5", "model.keras"}, softmax_bce},
      {"keras3-embedding_lstm", {"model.keras", "model.h5", "tf_checkpoint/ckpt-1"}, sparse_adam},
  };
  for (const auto& [name, paths, reason] : cases)
    for (const std::string& path : paths) known[name + "/" + path] = reason;
  return known;
}();

struct Outcome {
  enum Kind { Pass, Refused, Wrong } kind = Pass;
  std::string detail;  // the refusal message, or what differs from Keras
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// max|got - want| / max(1, max|want|): the README's error relative to the array's scale.
double relative_error(const Tensor& got, const Tensor& want) {
  const Tensor g = got.to(DType::Float64), w = want.to(DType::Float64);
  double scale = 1, error = 0;
  for (double v : w.span<double>()) scale = std::max(scale, std::abs(v));
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double d = std::abs(g.span<double>()[i] - w.span<double>()[i]);
    error = std::max(error, std::isnan(d) ? INFINITY : d);
  }
  return error / scale;
}

class Case {
 public:
  explicit Case(const fs::path& dir) : dir_(dir), json_(parse_json(read_text(dir / "case.json"), "case.json")) {
    for (NamedTensor& array : load_npz((dir / "data.npz").string())) data_.emplace(array.name, std::move(array.tensor));
  }
  std::string name() const { return dir_.filename().string(); }
  const Json& files() const { return json_["files"]; }

  Outcome check(const Json& file) const {
    try {
      std::shared_ptr<Model> model = load(file);
      const std::string wrong = compare(*model, file);
      return wrong.empty() ? Outcome{} : Outcome{Outcome::Wrong, wrong};
    } catch (const Error& e) {
      return {Outcome::Refused, e.what()};
    }
  }

 private:
  bool holds(const Json& file, const std::string& what) const {
    const Json& held = file["holds"];
    return std::find(held.begin(), held.end(), what) != held.end();
  }

  // A model built from the case's whole-model file through cairn's own config, with fresh weights and a
  // fresh optimizer, for the formats that hold weights only.
  std::shared_ptr<Model> fresh_model() const {
    for (const Json& file : files())
      if (holds(file, "config") && holds(file, "training_config")) {
        std::shared_ptr<Model> saved = load_model((dir_ / file["path"].get<std::string>()).string());
        std::shared_ptr<Model> model = model_from_json(model_to_json(*saved));
        model->compile(compile_options_from_training_config(training_config(*saved)));
        return model;
      }
    throw InvalidArgument(name() + ": no file holds the model's config");
  }

  std::shared_ptr<Model> load(const Json& file) const {
    const std::string format = file["format"];
    const std::string path = (dir_ / file["path"].get<std::string>()).string();
    if (format == "keras" || format == "h5") return load_model(path);
    std::shared_ptr<Model> model = fresh_model();
    // TensorFlow checkpoints are restored as the CLI restores them: the model as the root, its optimizer
    // where the file holds one, and every object given a value.
    std::vector<CheckpointItem> items{{"", model}};
    if (holds(file, "optimizer")) items.emplace_back("optimizer", model->optimizer_ptr());
    if (format == "weights_h5" || format == "h5_weights") {
      model->load_weights(path);
    } else if (format == "tf_weights" || format == "tf_weights_sharded" || format == "tf_checkpoint") {
      Checkpoint(items).restore(path).assert_existing_objects_matched();
    } else if (format == "saved_model") {
      Checkpoint(items).restore((dir_ / file["variables"].get<std::string>()).string()).assert_existing_objects_matched();
    } else {
      throw InvalidArgument("unknown format " + format);
    }
    return model;
  }

  // "" when cairn's predictions (and next training step) agree with Keras's.
  std::string compare(Model& model, const Json& file) const {
    const double tolerance = json_["tolerance"]["predict"];
    const double predict_error = relative_error(model.predict(data_.at("x")), data_.at("y_pred"));
    if (!(predict_error <= tolerance)) return "predictions differ by " + std::to_string(predict_error);
    if (!holds(file, "optimizer") || !json_["train_step_reproducible"].get<bool>()) return "";
    model.train_on_batch(data_.at("x_next"), data_.at("y_next"));
    const std::vector<VariablePtr> weights = model.weights();
    const Json& expected = json_["weights"];
    if (weights.size() != expected.size()) return "the model has " + std::to_string(weights.size()) + " weights";
    for (size_t i = 0; i < weights.size(); ++i) {
      const std::string key = "next_" + expected[i]["key"].get<std::string>();
      const double error = relative_error(weights[i]->value(), data_.at(key));
      if (!(error <= json_["tolerance"]["train_step"].get<double>()))
        return "after one more step, " + expected[i]["layer"].get<std::string>() + "/" +
               expected[i]["name"].get<std::string>() + " differs by " + std::to_string(error);
    }
    return "";
  }

  fs::path dir_;
  Json json_;
  std::map<std::string, Tensor> data_;
};

// The first line of a message, with the cases' directory left out so that the table reads the same
// from any checkout.
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, 300);
  for (size_t at; (at = line.find("\n  ")) != std::string::npos;) line.replace(at, 3, " ");
  line = line.substr(0, line.find('\n'));
  for (size_t at; (at = line.find(kCases.string() + "/")) != std::string::npos;)
    line.erase(at, kCases.string().size() + 1);
  std::replace(line.begin(), line.end(), '|', '/');
  return line;
}

TEST(Conformance, EveryKerasFileLoadsPredictsAndTrainsAsInKerasOrIsRefusedWithItsReason) {
  ASSERT_TRUE(fs::is_directory(kCases)) << kCases;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kCases))
    if (fs::exists(entry.path() / "case.json")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  ASSERT_GT(dirs.size(), 30u);
  std::ostringstream table;
  table << "# Conformance: files written by real Keras, read by cairn\n\n"
           "Generated by `CAIRN_CONFORMANCE_TABLE=docs/conformance.md build/tests/test_keras_io "
           "--gtest_filter='Conformance*'` from the cases of tests/conformance (Keras 3.15 and tf-keras 2.21 on "
           "TensorFlow 2.21; see its README). A file passes when cairn's predictions match Keras's within 1e-5 "
           "of the output's scale and, where the file holds the optimizer state, one more training step gives "
           "Keras's next weights within 1e-5. The other direction, files cairn writes judged by real Keras and "
           "TensorFlow, is scripts/conformance (tests/conformance/README.md).\n\n"
           "| case | format | result |\n| --- | --- | --- |\n";
  int passed = 0, total = 0, refused = 0, differ = 0;
  for (const fs::path& dir : dirs) {
    clear_session();
    const Case c(dir);
    for (const Json& file : c.files()) {
      const std::string id = c.name() + "/" + file["path"].get<std::string>();
      Outcome outcome = c.check(file);
      ++total;
      auto expected = kExpectedRefusals.find(id);
      if (outcome.kind == Outcome::Pass) {
        ++passed;
        EXPECT_EQ(expected, kExpectedRefusals.end()) << id << " now passes: remove its expected refusal";
        EXPECT_EQ(kKnownTrainingDifferences.count(id), 0u) << id << " now passes: remove its known difference";
      } else if (outcome.kind == Outcome::Wrong) {
        ++differ;
        auto known = kKnownTrainingDifferences.find(id);
        if (known == kKnownTrainingDifferences.end() || outcome.detail.find("after one more step") == std::string::npos)
          ADD_FAILURE() << id << ": " << outcome.detail;
        else
          outcome.detail += " (" + known->second + ")";
      } else if (++refused; expected == kExpectedRefusals.end()) {
        ADD_FAILURE() << id << " is refused: " << outcome.detail;
      } else {
        EXPECT_NE(outcome.detail.find(expected->second), std::string::npos)
            << id << " is refused for another reason: " << outcome.detail;
      }
      const std::string result = outcome.kind == Outcome::Pass      ? "pass"
                                 : outcome.kind == Outcome::Refused ? "refused: " + first_line(outcome.detail)
                                                                    : "predicts as Keras; " + outcome.detail;
      table << "| " << c.name() << " | " << file["format"].get<std::string>() << " | " << result << " |\n";
    }
  }
  table << "\n" << passed << " of " << total << " files pass; " << differ
        << " predict as Keras and take a different next step, for the reason given; refused: " << refused
        << ".\n";
  if (const char* out = std::getenv("CAIRN_CONFORMANCE_TABLE")) {
    // The keras.applications section after the table is tests/conformance/check_applications.py's: kept.
    std::string applications;
    if (std::ifstream in(out); in) {
      const std::string old((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (const size_t at = old.find("\n## keras.applications"); at != std::string::npos) applications = old.substr(at);
    }
    std::ofstream(out) << table.str() << applications;
  }
}

}  // namespace
}  // namespace cairn
