// The tutorial flow through the CLI, as a transcript checked line by line (timings masked): train,
// Ctrl-C, resume by directory, train 2 epochs further, evaluate with defaults, predict with
// probabilities, convert to safetensors, inspect. And --resume of a directory that holds no run, or a
// run of another model: refused naming the directory and what is missing or different, nothing changed.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "cairn/data.h"
#include "cairn/npy.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

using testing::CliResult;
using testing::contains;
using testing::lines;

class TutorialFlowCli : public testing::CliFixture {
 protected:
  // Runs `cairn ARGS`, expects `status`, and returns stdout with the run's temporary directory as DIR
  // and timings as T, so that it can be compared line by line.
  std::vector<std::string> transcript(const std::vector<std::string>& args, int status) {
    CliResult run = cairn(args);
    EXPECT_EQ(run.status, status) << run.out << run.err;
    std::string text = std::regex_replace(run.out, std::regex(std::regex_replace(
                                                        dir_.path(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)")),
                                          "DIR");
    text = std::regex_replace(text, std::regex(R"(\d+(us|ms|s)/step)"), "T/step");
    text = std::regex_replace(text, std::regex(R"( - \d+s( |/epoch))"), " - Ts$1");
    return lines(text);
  }

  static void expect_lines(const std::vector<std::string>& actual, const std::vector<std::string>& expected) {
    for (size_t i = 0; i < std::max(actual.size(), expected.size()); ++i)
      EXPECT_EQ(i < actual.size() ? actual[i] : "(missing)", i < expected.size() ? expected[i] : "(none)")
          << "line " << i + 1;
  }

  // The directory's files and their sizes, to show that a refused command changed nothing.
  std::vector<std::string> listing(const std::string& dir) const {
    std::vector<std::string> entries;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      entries.push_back(entry.path().string() + (entry.is_regular_file() ? " " + std::to_string(entry.file_size()) : ""));
    std::sort(entries.begin(), entries.end());
    return entries;
  }
};

TEST_F(TutorialFlowCli, TrainInterruptResumeExtendEvaluatePredictConvertInspect) {
  // moons_mlp: 1000 training points, 80 a batch: 13 batches an epoch; a backup every 5 batches. SIGINT
  // after 20 batches: the backup after the 20th (epoch 2, batch 7) is the last one written.
  expect_lines(transcript({"train", "--model", "moons_mlp", "--data", "moons", "--epochs", "3", "--checkpoint-dir",
                           path("run"), "--backup-every", "5", "--verbose", "2", "--interrupt-after-batches", "20"},
                          130),
               {"Epoch 1/3",
                "13/13 - Ts - loss: 0.4723 - accuracy: 0.8030 - Ts/epoch - T/step",
                "",
                "Epoch 1: saving model to DIR/run/cp-0001.ckpt",
                "Epoch 2/3",
                "",
                "interrupted in epoch 2 after batch 7 of 13.",
                "saved in DIR/run:",
                "  DIR/run/backup/backup-4 (the backup, written every --backup-every batches)",
                "  DIR/run/cp-0001.ckpt (the weights of the last epoch checkpoint)",
                "resume with: cairn train --resume DIR/run"});

  expect_lines(transcript({"train", "--resume", path("run"), "--verbose", "2"}, 0),
               {"resuming from DIR/run/backup/backup-4 (epoch 2, after batch 7)", "Epoch 2/3",
                "13/13 - Ts - loss: 0.3164 - accuracy: 0.8650 - Ts/epoch - T/step", "",
                "Epoch 2: saving model to DIR/run/cp-0002.ckpt", "Epoch 3/3",
                "13/13 - Ts - loss: 0.3031 - accuracy: 0.8650 - Ts/epoch - T/step", "",
                "Epoch 3: saving model to DIR/run/cp-0003.ckpt", "trained to epoch 3: loss 0.3031, accuracy 0.8650",
                "final weights: DIR/run/final"});
  // Finished: the same again has nothing to do, and says how to go further.
  expect_lines(transcript({"train", "--resume", path("run")}, 0),
               {"DIR/run holds a run finished after 3 epochs (DIR/run/final): nothing to train. Give --epochs N, "
                "more than 3, to train it further."});

  expect_lines(transcript({"train", "--resume", path("run"), "--epochs", "5", "--verbose", "2"}, 0),
               {"continuing DIR/run from epoch 3 (DIR/run/final) to epoch 5", "Epoch 4/5",
                "13/13 - Ts - loss: 0.2961 - accuracy: 0.8720 - Ts/epoch - T/step", "",
                "Epoch 4: saving model to DIR/run/cp-0004.ckpt", "Epoch 5/5",
                "13/13 - Ts - loss: 0.2940 - accuracy: 0.8730 - Ts/epoch - T/step", "",
                "Epoch 5: saving model to DIR/run/cp-0005.ckpt", "trained to epoch 5: loss 0.2940, accuracy 0.8730",
                "final weights: DIR/run/final"});

  // The run's own data (moons, its test part), 4 decimals.
  expect_lines(transcript({"evaluate", path("run")}, 0),
               {"weights: DIR/run/final", "samples: 300", "loss: 0.3030", "accuracy: 0.8567"});

  LabeledData points = make_moons(20, 0.2, 7);
  save_npy(path("points.npy"), points.x);
  // Five of the 20 points, every class's probability; then the point of index 3 alone, its top class.
  expect_lines(transcript({"predict", path("run"), "--input", path("points.npy"), "--probabilities", "--limit", "5"}, 0),
               {"0.0538 0.9462", "0.1980 0.8020", "0.4616 0.5384", "0.8676 0.1324", "0.9769 0.0231"});
  expect_lines(transcript({"predict", path("run"), "--input", path("points.npy"), "--top-k", "2", "--index", "3"}, 0),
               {"0:0.8676 1:0.1324"});

  // The weights alone under Keras layer paths, for safetensors users, and what the file holds.
  expect_lines(transcript({"convert", path("run"), path("weights.safetensors")}, 0),
               {"converted 4 tensors from DIR/run to DIR/weights.safetensors under layer paths (weights only)"});
  expect_lines(transcript({"inspect", path("weights.safetensors")}, 0),
               {"key             dtype    shape    bytes", "dense/bias      float32  (10,)       40",
                "dense/kernel    float32  (2, 10)     80", "dense_1/bias    float32  (2,)         8",
                "dense_1/kernel  float32  (10, 2)     80", "total: 4 tensors, 208 bytes in DIR/weights.safetensors"});
}

TEST_F(TutorialFlowCli, ResumeRefusesADirectoryWithoutARunOrARunOfAnotherModel) {
  fs::create_directories(path("empty"));
  CliResult empty = cairn({"train", "--resume", path("empty")});
  EXPECT_EQ(empty.status, 1);
  EXPECT_TRUE(contains(empty.err, path("empty") + " holds no run to resume: " + path("empty/run.json") +
                                      " is missing"))
      << empty.err;
  EXPECT_TRUE(listing(path("empty")).empty());

  CliResult missing = cairn({"train", "--resume", path("nowhere")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(contains(missing.err, path("nowhere") + ": no such run directory")) << missing.err;
  EXPECT_FALSE(fs::exists(path("nowhere")));

  ASSERT_EQ(cairn({"train", "--model", "moons_mlp", "--data", "moons", "--checkpoint-dir", path("run"), "--verbose",
                   "0", "--stop-after-batches", "12", "--backup-every", "5"})
                .status,
            75);
  const std::vector<std::string> before = listing(path("run"));
  CliResult other = cairn({"train", "--resume", path("run"), "--model", "iris_dnn"});
  EXPECT_EQ(other.status, 1);
  EXPECT_TRUE(contains(other.err, path("run") + " holds a run of another model than --model iris_dnn: " +
                                      path("run/model.json") + " differs from this command's at line "))
      << other.err;
  CliResult other_command = cairn({"train", "--model", "iris_dnn", "--data", "iris", "--checkpoint-dir", path("run")});
  EXPECT_EQ(other_command.status, 1);
  EXPECT_TRUE(contains(other_command.err, path("run") + " holds a run of another model")) << other_command.err;
  EXPECT_EQ(listing(path("run")), before);

  CliResult setup_option = cairn({"train", "--resume", path("run"), "--batch-size", "8"});
  EXPECT_EQ(setup_option.status, 2);
  EXPECT_TRUE(contains(setup_option.err, "--batch-size cannot be given with --resume")) << setup_option.err;
  EXPECT_EQ(listing(path("run")), before);
}

}  // namespace
}  // namespace cairn
