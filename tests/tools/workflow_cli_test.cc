// The training workflow through the built `cairn` binary (CAIRN_CLI): train, interrupt and resume,
// evaluate, predict, convert, and the errors each reports.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/config.h"
#include "cairn/data.h"
#include "cairn/npy.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

using testing::CliResult;
using testing::contains;
using testing::lines;
using testing::read_text;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct Prediction {
  int64_t id;
  float probability;
};

class WorkflowCli : public testing::CliFixture {
 protected:
  // `cairn train` of the moons MLP on the built-in moons data, backed up every 5 of its 13 batches an epoch.
  std::vector<std::string> train_moons(const std::string& run, int epochs,
                                       std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"train",
                                     "--model",
                                     "moons_mlp",
                                     "--data",
                                     "moons",
                                     "--epochs",
                                     std::to_string(epochs),
                                     "--checkpoint-dir",
                                     path(run),
                                     "--backup-every",
                                     "5",
                                     "--verbose",
                                     "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Two moons of `samples` points as x.npy (float32) and y.npy (int64) under name_x.npy / name_y.npy.
  LabeledData write_moons(const std::string& name, int64_t samples, uint64_t seed) const {
    LabeledData data = make_moons(samples, 0.2, seed);
    save_npy(path(name + "_x.npy"), data.x);
    save_npy(path(name + "_y.npy"), data.y);
    return data;
  }

  static std::vector<Prediction> parse_predictions(const std::string& out) {
    std::vector<Prediction> predictions;
    for (const std::string& line : lines(out)) {
      std::istringstream fields(line);
      Prediction p{};
      fields >> p.id >> p.probability;
      EXPECT_TRUE(fields && fields.eof()) << line;
      predictions.push_back(p);
    }
    return predictions;
  }
};

TEST_F(WorkflowCli, TrainWritesARunDirectory) {
  CliResult run = cairn(train_moons("run", 3));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "trained to epoch 3: loss ")) << run.out;
  EXPECT_TRUE(contains(run.out, "final weights: " + path("run/final"))) << run.out;
  for (const char* file : {"model.json", "training_config.json", "cp-0001.ckpt.index", "cp-0002.ckpt.index",
                           "cp-0003.ckpt.index", "final.index", "final.data-00000-of-00001"})
    EXPECT_TRUE(fs::exists(path("run/") + file)) << file;
  EXPECT_FALSE(fs::exists(path("run/cp-0004.ckpt.index")));
  EXPECT_FALSE(fs::exists(path("run/backup"))) << "the backup is removed once the final weights are written";
  // The architecture and the training setup read back as the model that was trained.
  std::shared_ptr<Model> model = model_from_json(read_text(path("run/model.json")));
  EXPECT_EQ(model->name(), "moons_mlp");
  EXPECT_EQ(model->layers().size(), 2u);
  Json config = Json::parse(read_text(path("run/training_config.json")));
  EXPECT_EQ(config["loss"]["class_name"], "SparseCategoricalCrossentropy");
  EXPECT_EQ(config["metrics"], Json::parse(R"(["accuracy"])"));
  EXPECT_EQ(config["optimizer_config"]["class_name"], "SGD");
  EXPECT_DOUBLE_EQ(config["optimizer_config"]["config"]["learning_rate"].get<double>(), 0.5);
  // The directory's latest checkpoint is the final one.
  EXPECT_TRUE(contains(read_text(path("run/checkpoint")), "model_checkpoint_path: \"final\""));

  // A finished run is not trained again.
  CliResult again = cairn(train_moons("run", 3));
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "holds a run finished after 3 epochs")) << again.out;
}

TEST_F(WorkflowCli, InterruptedRunsResumeToTheWeightsOfAnUninterruptedOne) {
  ASSERT_EQ(cairn(train_moons("straight", 3)).status, 0);

  // The same command, stopped abruptly after 15 batches each time, until the run finishes: 39 batches
  // with backups every 5 take four processes, each resuming where the last backup left off.
  const std::vector<std::string> command = train_moons("interrupted", 3, {"--stop-after-batches", "15"});
  std::vector<CliResult> runs;
  do {
    runs.push_back(cairn(command));
  } while (runs.back().status == 75 && runs.size() < 10);
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs.back().status, 0) << runs.back().err;
  EXPECT_FALSE(contains(runs[0].out, "resuming"));
  EXPECT_TRUE(contains(runs[0].out, "stopping after 15 batches")) << runs[0].out;
  EXPECT_TRUE(contains(runs[1].out, "resuming from " + path("interrupted/backup/")) &&
              contains(runs[1].out, "(epoch 1, after batch 10)"))
      << runs[1].out;
  EXPECT_TRUE(contains(runs[3].out, "(epoch 3, after batch 4)")) << runs[3].out;

  CliResult diff = cairn({"diff", path("straight/final"), path("interrupted/final")});
  EXPECT_EQ(diff.status, 0) << diff.out << diff.err;
  // 4 weights, tf-keras's SGD's 4 always-zero momentum slots, iter, learning rate, decay, momentum, graph.
  EXPECT_EQ(diff.out, "identical: 13 tensors\n");
  // Every epoch's checkpoint, too, whether written before or after an interruption.
  for (const char* epoch : {"cp-0001.ckpt", "cp-0002.ckpt", "cp-0003.ckpt"})
    EXPECT_EQ(cairn({"diff", path("straight/") + epoch, path("interrupted/") + epoch}).status, 0) << epoch;
  // A different seed gives other weights, so the comparison can fail.
  ASSERT_EQ(cairn(train_moons("other_seed", 3, {"--seed", "1"})).status, 0);
  EXPECT_EQ(cairn({"diff", path("straight/final"), path("other_seed/final")}).status, 1);
}

TEST_F(WorkflowCli, ResumingWithAnotherModelIsRefused) {
  ASSERT_EQ(cairn(train_moons("run", 3, {"--stop-after-batches", "12"})).status, 75);
  CliResult other =
      cairn({"train", "--model", "iris_dnn", "--data", "iris", "--checkpoint-dir", path("run")});
  EXPECT_EQ(other.status, 1);
  EXPECT_TRUE(contains(other.err, path("run") + " holds a run of another model: " + path("run/model.json") +
                                      " differs from this command's at line "))
      << other.err;
  // The run is intact: the original command still finishes it.
  EXPECT_EQ(cairn(train_moons("run", 3)).status, 0);
}

TEST_F(WorkflowCli, EvaluateAgreesWithPredict) {
  LabeledData data = write_moons("test", 200, 5);
  ASSERT_EQ(cairn(train_moons("run", 2)).status, 0);

  CliResult evaluated =
      cairn({"evaluate", path("run"), "--x", path("test_x.npy"), "--y", path("test_y.npy"), "--json"});
  ASSERT_EQ(evaluated.status, 0) << evaluated.err;
  Json results = Json::parse(evaluated.out);
  EXPECT_EQ(results["weights"], path("run/final"));
  EXPECT_EQ(results["samples"], 200);
  const double accuracy = results["accuracy"].get<double>();
  EXPECT_GT(accuracy, 0.7);  // two epochs learn the moons well beyond chance

  CliResult predicted = cairn({"predict", path("run"), "--input", path("test_x.npy")});
  ASSERT_EQ(predicted.status, 0) << predicted.err;
  std::vector<Prediction> predictions = parse_predictions(predicted.out);
  ASSERT_EQ(predictions.size(), 200u);
  int64_t correct = 0;
  for (size_t i = 0; i < predictions.size(); ++i) {
    EXPECT_TRUE(predictions[i].id == 0 || predictions[i].id == 1);
    EXPECT_GE(predictions[i].probability, 0.5f);
    EXPECT_LE(predictions[i].probability, 1.0f);
    correct += predictions[i].id == data.y.data<int64_t>()[i];
  }
  EXPECT_EQ(static_cast<double>(correct) / 200, accuracy);

  // The probabilities as an array: the printed class is the larger one, with the printed probability.
  CliResult written =
      cairn({"predict", path("run"), "--input", path("test_x.npy"), "--output", path("p.npy")});
  ASSERT_EQ(written.status, 0) << written.err;
  EXPECT_EQ(written.out, "wrote probabilities (200, 2) to " + path("p.npy") + "\n");
  Tensor probabilities = load_npy(path("p.npy"));
  ASSERT_EQ(probabilities.shape(), (Shape{200, 2}));
  const float* p = probabilities.data<float>();
  for (int64_t i = 0; i < 200; ++i) {
    EXPECT_NEAR(p[2 * i] + p[2 * i + 1], 1.0f, 1e-6f);
    EXPECT_EQ(predictions[i].id, p[2 * i + 1] > p[2 * i] ? 1 : 0) << i;
    EXPECT_EQ(predictions[i].probability, p[2 * i + predictions[i].id]) << i;
  }
  // The model ends in a softmax: its raw outputs are these probabilities.
  CliResult raw = cairn({"predict", path("run"), "--input", path("test_x.npy"), "--raw"});
  ASSERT_EQ(raw.status, 0);
  std::vector<std::string> raw_lines = lines(raw.out);
  ASSERT_EQ(raw_lines.size(), 200u);
  std::istringstream first(raw_lines[0]);
  float a = 0, b = 0;
  first >> a >> b;
  EXPECT_EQ(a, p[0]);
  EXPECT_EQ(b, p[1]);

  // The text form: the loss first, with 4 decimals as Keras prints them (the JSON has every digit).
  CliResult text = cairn({"evaluate", path("run"), "--x", path("test_x.npy"), "--y", path("test_y.npy")});
  ASSERT_EQ(text.status, 0);
  std::vector<std::string> text_lines = lines(text.out);
  ASSERT_EQ(text_lines.size(), 4u) << text.out;
  EXPECT_EQ(text_lines[0], "weights: " + path("run/final"));
  EXPECT_EQ(text_lines[1], "samples: 200");
  EXPECT_EQ(text_lines[2], "loss: " + format_log_value(results["loss"].get<double>()));
  EXPECT_EQ(text_lines[3], "accuracy: " + format_log_value(accuracy));

  // An epoch's checkpoint evaluates too, to other numbers than the final weights.
  CliResult epoch1 = cairn(
      {"evaluate", path("run/cp-0001.ckpt"), "--x", path("test_x.npy"), "--y", path("test_y.npy"), "--json"});
  ASSERT_EQ(epoch1.status, 0) << epoch1.err;
  EXPECT_NE(Json::parse(epoch1.out)["loss"], results["loss"]);
}

TEST_F(WorkflowCli, CsvFilesGiveTheSameDataAsNpyFiles) {
  LabeledData data = write_moons("test", 50, 9);
  std::string csv = "x0,x1,label\n";
  char field[64];
  for (int64_t i = 0; i < 50; ++i) {
    for (int j = 0; j < 2; ++j) {
      std::snprintf(field, sizeof field, "%.9g,", data.x.data<float>()[2 * i + j]);  // float32 exactly
      csv += field;
    }
    csv += std::to_string(data.y.data<int64_t>()[i]) + "\n";
  }
  write_text(path("test.csv"), csv);
  ASSERT_EQ(cairn(train_moons("run", 1)).status, 0);

  CliResult from_npy =
      cairn({"evaluate", path("run"), "--x", path("test_x.npy"), "--y", path("test_y.npy"), "--json"});
  CliResult from_csv = cairn({"evaluate", path("run"), "--x", path("test.csv"), "--header", "--json"});
  ASSERT_EQ(from_csv.status, 0) << from_csv.err;
  EXPECT_EQ(from_csv.out, from_npy.out);
  // Training from the .csv (label in its last column) runs too.
  CliResult trained = cairn({"train", "--model", "moons_mlp", "--x", path("test.csv"), "--header",
                           "--checkpoint-dir", path("csv_run"), "--verbose", "0"});
  EXPECT_EQ(trained.status, 0) << trained.err;
  EXPECT_TRUE(fs::exists(path("csv_run/final.index")));
}

TEST_F(WorkflowCli, ConvertRoundTripsAndInspect) {
  ASSERT_EQ(cairn(train_moons("run", 1)).status, 0);

  CliResult inspected = cairn({"inspect", path("run")});
  ASSERT_EQ(inspected.status, 0) << inspected.err;
  EXPECT_TRUE(
      contains(inspected.out, "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE  float32  (2, 10)"))
      << inspected.out;
  EXPECT_TRUE(contains(inspected.out, "total: 13 tensors, ") &&
              contains(inspected.out, " in " + path("run/final")))
      << inspected.out;

  CliResult to_safetensors = cairn({"convert", path("run"), path("w.safetensors"), "--keys", "checkpoint"});
  ASSERT_EQ(to_safetensors.status, 0) << to_safetensors.err;
  EXPECT_EQ(to_safetensors.out,
            "converted 13 tensors from " + path("run") + " to " + path("w.safetensors") + "\n");
  CliResult listed = cairn({"inspect", path("w.safetensors")});
  EXPECT_TRUE(contains(listed.out, "total: 12 tensors")) << listed.out;  // the object graph is in __metadata__
  EXPECT_EQ(cairn({"diff", path("run/final"), path("w.safetensors")}).status, 1);

  ASSERT_EQ(cairn({"convert", path("w.safetensors"), path("back")}).status, 0);
  CliResult same = cairn({"diff", path("run/final"), path("back")});
  EXPECT_EQ(same.status, 0) << same.out;
  EXPECT_EQ(same.out, "identical: 13 tensors\n");

  // The converted checkpoint holds working weights: it evaluates exactly as the run does.
  CliResult original = cairn({"evaluate", path("run"), "--data", "moons", "--json"});
  CliResult converted =
      cairn({"evaluate", path("back"), "--model", path("run/model.json"), "--loss",
             "sparse_categorical_crossentropy", "--metrics", "accuracy", "--data", "moons", "--json"});
  ASSERT_EQ(converted.status, 0) << converted.err;
  Json a = Json::parse(original.out), b = Json::parse(converted.out);
  EXPECT_EQ(a["loss"], b["loss"]);
  EXPECT_EQ(a["accuracy"], b["accuracy"]);

  // .npz cannot hold the object graph: it is left out, with a note, and the numbers come back whole.
  CliResult to_npz = cairn({"convert", path("run/final"), path("w.npz")});
  ASSERT_EQ(to_npz.status, 0) << to_npz.err;
  EXPECT_TRUE(contains(to_npz.err, "left out string tensor '_CHECKPOINTABLE_OBJECT_GRAPH'")) << to_npz.err;
  EXPECT_EQ(load_npz(path("w.npz")).size(), 12u);
  ASSERT_EQ(cairn({"convert", path("w.npz"), path("from_npz/")}).status, 0);
  EXPECT_TRUE(fs::exists(path("from_npz/ckpt.index")));
  CliResult partial = cairn({"diff", path("run/final"), path("from_npz")});
  EXPECT_EQ(partial.status, 1);
  EXPECT_TRUE(contains(partial.out, "0 of 12 common tensors differ, 1 only in")) << partial.out;
}

TEST_F(WorkflowCli, FailedConversionsWriteNothing) {
  ASSERT_EQ(cairn(train_moons("run", 1)).status, 0);
  auto leftovers = [&](const std::string& name) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir_.path()))
      if (entry.path().filename().string().starts_with(name)) found.push_back(entry.path().filename());
    return found;
  };

  // A damaged data file: its checksum fails while the source is read, before anything is written.
  ASSERT_EQ(cairn({"convert", path("run/final"), path("damaged")}).status, 0);
  {
    std::fstream data(path("damaged.data-00000-of-00001"), std::ios::in | std::ios::out | std::ios::binary);
    data.seekp(3);
    data.put('\x7f');
  }
  for (const char* destination : {"out.safetensors", "out.npz", "out_ckpt"}) {
    CliResult failed = cairn({"convert", path("damaged"), path(destination)});
    EXPECT_EQ(failed.status, 1) << destination;
    EXPECT_TRUE(contains(failed.err, "cairn convert: ") && contains(failed.err, path("damaged")))
        << failed.err;
    EXPECT_EQ(leftovers(destination), std::vector<std::string>{}) << destination;
  }
  // An existing destination is left as it was.
  write_text(path("kept.npz"), "previous content");
  EXPECT_EQ(cairn({"convert", path("damaged"), path("kept.npz")}).status, 1);
  EXPECT_EQ(read_text(path("kept.npz")), "previous content");
  EXPECT_EQ(leftovers("kept.npz"), std::vector<std::string>{"kept.npz"});

  CliResult missing = cairn({"convert", path("nothing"), path("out.safetensors")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(contains(missing.err, path("nothing") + ": no such ")) << missing.err;

  // A Keras file holds a whole model: tensors alone cannot make one, and damaged weights make none.
  ASSERT_EQ(cairn({"convert", path("run"), path("w.safetensors")}).status, 0);
  CliResult arrays = cairn({"convert", path("w.safetensors"), path("model.h5")});
  EXPECT_EQ(arrays.status, 2);
  EXPECT_TRUE(contains(arrays.err, "holds a whole model")) << arrays.err;
  CliResult damaged =
      cairn({"convert", path("damaged"), path("model.h5"), "--model", path("run/model.json")});
  EXPECT_EQ(damaged.status, 1);
  EXPECT_TRUE(contains(damaged.err, path("damaged"))) << damaged.err;
  EXPECT_EQ(leftovers("model.h5"), std::vector<std::string>{});
}

TEST_F(WorkflowCli, KerasFilesRoundTripARun) {
  ASSERT_EQ(cairn(train_moons("run", 2)).status, 0);
  for (const char* file : {"model.h5", "model.keras"}) {
    CliResult saved = cairn({"convert", path("run"), path(file)});
    ASSERT_EQ(saved.status, 0) << saved.err;
    EXPECT_EQ(saved.out, "converted the model of " + path("run/final") + " to " + path(file) + "\n");
    // Back to a checkpoint: the same weights and optimizer state under the same keys, in a directory
    // that is a run directory again.
    const std::string back = path(std::string(file) + "_run");
    CliResult restored = cairn({"convert", path(file), back + "/"});
    ASSERT_EQ(restored.status, 0) << restored.err;
    EXPECT_TRUE(fs::exists(back + "/model.json") && fs::exists(back + "/training_config.json"));
    CliResult same = cairn({"diff", path("run/final"), back});
    EXPECT_EQ(same.out, "identical: 13 tensors\n") << file;
    EXPECT_EQ(same.status, 0) << file;
    // The Keras file evaluates like the run.
    CliResult from_run = cairn({"evaluate", path("run"), "--data", "moons", "--json"});
    CliResult from_file = cairn({"evaluate", path(file), "--data", "moons", "--json"});
    ASSERT_EQ(from_file.status, 0) << from_file.err;
    Json a = Json::parse(from_run.out), b = Json::parse(from_file.out);
    EXPECT_EQ(a["loss"], b["loss"]) << file;
    EXPECT_EQ(a["accuracy"], b["accuracy"]) << file;
  }
}

TEST_F(WorkflowCli, ErrorsNameTheirCause) {
  CliResult missing =
      cairn({"train", "--model", path("nothere.json"), "--data", "moons", "--checkpoint-dir", path("r1")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(contains(missing.err, "cairn train: " + path("nothere.json") + ": no such model file"))
      << missing.err;
  EXPECT_FALSE(fs::exists(path("r1")));

  write_text(path("bad.json"), R"({"class_name": "Sequential", "config": {"layers": [)");
  CliResult bad =
      cairn({"train", "--model", path("bad.json"), "--data", "moons", "--checkpoint-dir", path("r2")});
  EXPECT_EQ(bad.status, 1);
  EXPECT_TRUE(contains(bad.err, path("bad.json") + ": ") && contains(bad.err, "parse error")) << bad.err;
  EXPECT_FALSE(fs::exists(path("r2")));

  CliResult dataset =
      cairn({"train", "--model", "moons_mlp", "--data", "nope", "--checkpoint-dir", path("r3")});
  EXPECT_EQ(dataset.status, 2);
  EXPECT_TRUE(contains(dataset.err, "unknown dataset 'nope'")) << dataset.err;

  write_moons("a", 200, 1);
  write_moons("b", 150, 2);
  CliResult mismatch = cairn({"train", "--model", "moons_mlp", "--x", path("a_x.npy"), "--y", path("b_y.npy"),
                            "--checkpoint-dir", path("r4")});
  EXPECT_EQ(mismatch.status, 1);
  EXPECT_TRUE(contains(mismatch.err, "Data cardinality is ambiguous: x sizes: 200, y sizes: 150"))
      << mismatch.err;

  CliResult no_model = cairn({"train", "--data", "moons"});
  EXPECT_EQ(no_model.status, 2);
  EXPECT_TRUE(contains(no_model.err, "--model is required")) << no_model.err;
  CliResult bad_number = cairn({"train", "--model", "moons_mlp", "--data", "moons", "--epochs", "three"});
  EXPECT_EQ(bad_number.status, 2);
  EXPECT_TRUE(contains(bad_number.err, "--epochs needs an integer, not 'three'")) << bad_number.err;
  CliResult optimizer = cairn({"train", "--model", "moons_mlp", "--data", "moons", "--optimizer", "adamz",
                             "--checkpoint-dir", path("r5")});
  EXPECT_EQ(optimizer.status, 2);
  EXPECT_TRUE(contains(optimizer.err, "unknown optimizer 'adamz'")) << optimizer.err;

  // A run interrupted before its first epoch ended has no weights to evaluate yet.
  ASSERT_EQ(cairn(train_moons("early", 1, {"--stop-after-batches", "3"})).status, 75);
  CliResult early = cairn({"evaluate", path("early"), "--data", "moons"});
  EXPECT_EQ(early.status, 1);
  EXPECT_TRUE(contains(early.err, path("early") + " holds no weights yet")) << early.err;

  CliResult no_input = cairn({"predict", path("early")});
  EXPECT_EQ(no_input.status, 2);
  EXPECT_TRUE(contains(no_input.err, "--input FILE is required")) << no_input.err;
}

TEST_F(WorkflowCli, EveryCommandHasHelp) {
  for (const char* command : {"train", "evaluate", "predict", "convert"}) {
    CliResult help = cairn({command, "--help"});
    EXPECT_EQ(help.status, 0) << command;
    EXPECT_TRUE(help.out.starts_with("usage: cairn " + std::string(command) + " ")) << help.out;
    EXPECT_TRUE(contains(cairn({"--help"}).out, "\n  " + std::string(command) + " ")) << command;
  }
  EXPECT_TRUE(contains(cairn({"train", "--help"}).out, "--stop-after-batches N"));
  EXPECT_EQ(cairn({"convert", "only-one"}).status, 2);
}

}  // namespace
}  // namespace cairn
