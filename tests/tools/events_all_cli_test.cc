// `cairn events --all`: every kind of summary, one line each (histograms with their bucket counts,
// images with their size, hparams), a torn last record tolerated with a warning; and `cairn train
// --tensorboard DIR`, whose logs it lists.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/summary.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

using testing::CliResult;
using testing::lines;

class EventsAllCli : public testing::CliFixture {};

TEST_F(EventsAllCli, EveryKindOnItsOwnLine) {
  const std::string logs = path("logs");
  EventFileWriter train(logs + "/train");
  train.add_scalar("epoch_loss", 0.5, 0, 1700000000.5);
  train.add_histogram("dense/kernel/histogram", Tensor::from_values({5}, {0, 1, 1, 2, 4}), 0, 4, 1700000000.5);
  train.add_images("dense/kernel/image", {Image{.height = 2, .width = 3, .channels = 1, .pixels = {0, 1, 2, 3, 4, 5}}},
                   0, 1700000000.5);
  train.add_text("notes", "two, \"quoted\"\nlines", 1, 1700000000.5);
  train.add_keras_model("keras", "{\"class_name\": \"Sequential\"}", 0);
  train.close();
  EventFileWriter session(logs);
  session.add_hparams_session_start({{"lr", 0.25}, {"optimizer", std::string("sgd")}});
  session.add_hparams_session_end(SessionStatus::kSuccess);
  session.close();

  CliResult run = cairn({"events", "--all", logs});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out,
            "run,step,tag,kind,value\n"
            ",0,_hparams_/session_end_info,hparams,session_end_info: STATUS_SUCCESS\n"
            ",0,_hparams_/session_start_info,hparams,\"session_start_info: lr=0.25, optimizer=sgd\"\n"
            "train,0,dense/kernel/histogram,histogram,\"4 buckets from 0 to 4, 5 values: 1 2 1 1\"\n"
            "train,0,dense/kernel/image,images,1 image 3x2 (width x height)\n"
            "train,0,epoch_loss,scalar,0.5\n"
            "train,0,keras,keras_model,\"model config, 28 bytes of JSON\"\n"
            "train,1,notes,text,\"two, \"\"quoted\"\"\nlines\"\n");
  EXPECT_EQ(run.err, "");
  // Without --all, the scalars alone, as before.
  CliResult scalars = cairn({"events", logs});
  EXPECT_EQ(scalars.out, "run,step,tag,value\ntrain,0,epoch_loss,0.5\n");
}

TEST_F(EventsAllCli, ATornLastRecordGivesTheRecordsBeforeItWithAWarning) {
  EventFileWriter writer(path("logs"));
  writer.add_scalar("epoch_loss", 0.5, 0);
  writer.add_histogram("w/histogram", Tensor::from_values({3}, {1, 2, 3}), 0, 3);
  writer.close();
  std::string bytes = Env::Default().read_file(writer.path());
  auto file = Env::Default().new_writable_file(writer.path());
  file->append(bytes.substr(0, bytes.size() - 7));  // inside the histogram's record
  file->close();
  CliResult run = cairn({"events", "--all", path("logs")});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "run,step,tag,kind,value\n,0,epoch_loss,scalar,0.5\n");
  EXPECT_TRUE(run.err.starts_with("cairn: WARNING: " + writer.path() + ": the record at offset ")) << run.err;
  EXPECT_NE(run.err.find(" is truncated: "), std::string::npos) << run.err;
}

TEST_F(EventsAllCli, AnEmptyRunAndARunWithoutValidationData) {
  // A run that ended before its first epoch: its event file holds the file version alone.
  EventFileWriter(path("empty/train")).close();
  for (const char* all : {"--all", ""}) {
    std::vector<std::string> args = {"events", path("empty")};
    if (*all) args.insert(args.begin() + 1, all);
    const CliResult run = cairn(args);
    EXPECT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.out, *all ? "run,step,tag,kind,value\n" : "run,step,tag,value\n");
    EXPECT_EQ(run.err, "");
  }
  // Without validation data the logs have a train run alone, each epoch's values in it.
  const CliResult trained = cairn({"train", "--model", "iris_dnn", "--data", "iris", "--epochs", "2", "--verbose", "0",
                                   "--checkpoint-dir", path("run"), "--tensorboard", path("tb")});
  ASSERT_EQ(trained.status, 0) << trained.err;
  const CliResult listed = cairn({"events", path("tb")});
  ASSERT_EQ(listed.status, 0) << listed.err;
  std::map<std::string, int> lines_per_run;
  for (const std::string& line : lines(listed.out)) ++lines_per_run[line.substr(0, line.find(','))];
  EXPECT_EQ(lines_per_run.count("validation"), 0u) << listed.out;
  // loss, accuracy and the learning rate, for each of 2 epochs
  EXPECT_EQ(lines_per_run["train"], 6) << listed.out;
  EXPECT_NE(listed.out.find("train,1,epoch_learning_rate,"), std::string::npos) << listed.out;
}

TEST_F(EventsAllCli, TrainWritesTensorBoardLogsWithHistogramsImagesGraphAndHParams) {
  const CliResult trained =
      cairn({"train", "--model", "moons_mlp", "--data", "moons", "--epochs", "2", "--verbose", "0", "--validation-split",
             "0.25", "--checkpoint-dir", path("run"), "--tensorboard", path("tb"), "--histogram-freq", "1"});
  ASSERT_EQ(trained.status, 0) << trained.err;
  // kind per run and tag, and the steps of each
  std::map<std::string, std::vector<int64_t>> steps;
  std::map<std::string, std::string> kinds;
  for (const SummaryEvent& e : read_summary_events(path("tb"))) {
    steps[e.run + ":" + e.tag].push_back(e.step);
    kinds[e.run + ":" + e.tag] = e.kind == SummaryEvent::Kind::kScalar       ? "scalar"
                                 : e.kind == SummaryEvent::Kind::kHistogram  ? "histogram"
                                 : e.kind == SummaryEvent::Kind::kImages     ? "images"
                                 : e.kind == SummaryEvent::Kind::kKerasModel ? "keras_model"
                                 : e.kind == SummaryEvent::Kind::kHParams    ? "hparams"
                                                                             : "other";
  }
  EXPECT_EQ(steps["train:epoch_loss"], (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(steps["validation:epoch_accuracy"], (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(kinds["train:dense/kernel/histogram"], "histogram");
  EXPECT_EQ(steps["train:dense_1/bias/histogram"], (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(kinds["train:dense/kernel/image"], "images");
  EXPECT_EQ(kinds["train:keras"], "keras_model");
  EXPECT_EQ(kinds[":_hparams_/session_start_info"], "hparams");

  CliResult listed = cairn({"events", "--all", path("tb")});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find(",0,_hparams_/session_start_info,hparams,\"session_start_info: batch_size=80, "
                            "learning_rate=0.5, model=moons_mlp, optimizer=SGD, seed=0, validation_split=0.25\"\n"),
            std::string::npos)
      << listed.out;

  CliResult misuse = cairn({"train", "--model", "moons_mlp", "--data", "moons", "--verbose", "0", "--checkpoint-dir",
                            path("run2"), "--histogram-freq", "1"});
  EXPECT_EQ(misuse.status, 2);
  EXPECT_NE(misuse.err.find("--histogram-freq and --update-freq go with --tensorboard DIR"), std::string::npos)
      << misuse.err;
}

}  // namespace
}  // namespace cairn
