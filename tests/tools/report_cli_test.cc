// `cairn report RUN_DIR`: the page's curves, checkpoints, confusion matrix, misclassified examples and
// filters, with values checked against the run; and what it says when a piece is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/cairn.h"
#include "cairn/config.h"
#include "cairn/npy.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

using testing::CliResult;

int64_t count_of(const std::string& text, const std::string& what) {
  int64_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

class ReportCli : public testing::CliFixture {
 protected:
  std::string report(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"report", path("run")};
    args.insert(args.end(), extra.begin(), extra.end());
    last_ = cairn(args);
    EXPECT_EQ(last_.status, 0) << last_.err;
    return Env::Default().read_file(path("run/report.html"));
  }
  CliResult last_;
};

TEST_F(ReportCli, CurvesCheckpointsAndConfusionMatrixOfAClassifier) {
  const CliResult trained =
      cairn({"train", "--model", "moons_mlp", "--data", "moons", "--epochs", "3", "--verbose", "0",
             "--validation-split", "0.25", "--checkpoint-dir", path("run"), "--tensorboard", path("run/logs")});
  ASSERT_EQ(trained.status, 0) << trained.err;
  const std::string html = report();
  EXPECT_EQ(last_.out, "wrote " + path("run/report.html") + "\n");
  // One chart per metric, each with both curves and a point per epoch, and a tick per checkpoint.
  EXPECT_EQ(count_of(html, "<svg class=\"curve\""), 2);
  EXPECT_EQ(count_of(html, "<polyline class=\"training\""), 2);
  EXPECT_EQ(count_of(html, "<polyline class=\"validation\""), 2);
  EXPECT_EQ(count_of(html, "<title>validation epoch "), 6);
  EXPECT_EQ(count_of(html, "<line class=\"checkpoint\""), 6);
  // The curve's points are the logs' values.
  const std::vector<ScalarEvent> scalars = read_scalar_events(path("run/logs"));
  for (const ScalarEvent& e : scalars)
    if (e.run == "validation" && e.tag == "epoch_loss") {
      std::ostringstream value;
      value.precision(4);
      value << e.value;
      EXPECT_NE(html.find("validation epoch " + std::to_string(e.step + 1) + ": " + value.str() + "</title>"),
                std::string::npos)
          << e.step;
    }
  // Checkpoints: three epochs and the final weights, each verified; the latest marked.
  EXPECT_EQ(count_of(html, "<td>verified ("), 4);
  EXPECT_NE(html.find("<td>final</td><td></td><td>latest</td>"), std::string::npos) << html;
  // The best checkpoint: the epoch of the lowest validation loss in the logs.
  int64_t best = -1;
  double lowest = 0;
  for (const ScalarEvent& e : read_scalar_events(path("run/logs")))
    if (e.run == "validation" && e.tag == "epoch_loss" && (best < 0 || e.value < lowest)) best = e.step, lowest = e.value;
  ASSERT_GE(best, 0);
  EXPECT_NE(html.find("<td>cp-000" + std::to_string(best + 1) + ".ckpt</td><td>" + std::to_string(best + 1) +
                      "</td><td>best val_loss</td>"),
            std::string::npos)
      << html;
  // The confusion matrix counts every test example once.
  const std::regex cell("<title>true (\\d+), predicted (\\d+): (\\d+)</title>");
  int64_t total = 0, correct = 0, cells = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), cell); it != std::sregex_iterator(); ++it) {
    ++cells;
    total += std::stoll((*it)[3]);
    if ((*it)[1] == (*it)[2]) correct += std::stoll((*it)[3]);
  }
  EXPECT_EQ(cells, 4);
  const CliResult evaluated = cairn({"evaluate", path("run"), "--json"});
  ASSERT_EQ(evaluated.status, 0) << evaluated.err;
  const Json result = Json::parse(evaluated.out);
  EXPECT_EQ(total, result["samples"].get<int64_t>());
  EXPECT_NEAR(static_cast<double>(correct) / static_cast<double>(total), result["accuracy"].get<double>(), 1e-6);
  // Not images, no convolution: said so, and the misclassified examples shown by their features.
  EXPECT_NE(html.find("The model has no convolution layer"), std::string::npos);
  EXPECT_EQ(count_of(html, "<img"), 0);
  ASSERT_LT(correct, total);
  EXPECT_EQ(count_of(html, "<figure><code>"), std::min<int64_t>(total - correct, 24));
}

TEST_F(ReportCli, ImagesOfMisclassifiedExamplesAndFiltersOfAConvolution) {
  // 6x6 one-channel images of two classes, and a small CNN as a Keras JSON config.
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  for (int i = 0; i < 40; ++i) {
    labels.push_back(i % 2);
    for (int p = 0; p < 36; ++p) pixels.push_back(static_cast<uint8_t>((p * 37 + i * 11) % 256));
  }
  save_npy(path("x.npy"), Tensor::from_vector<uint8_t>({40, 6, 6, 1}, pixels));
  save_npy(path("y.npy"), Tensor::from_vector<int64_t>({40}, labels));
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_conv2d(3, {3, 3}), make_flatten(), make_dense(2, {.activation = "softmax"})},
      Shape{6, 6, 1});
  {
    auto file = Env::Default().new_writable_file(path("cnn.json"));
    file->append(model_to_json(*model));
    file->close();
  }
  const CliResult trained = cairn({"train", "--model", path("cnn.json"), "--x", path("x.npy"), "--y", path("y.npy"),
                                   "--epochs", "1", "--verbose", "0", "--checkpoint-dir", path("run")});
  ASSERT_EQ(trained.status, 0) << trained.err;
  const std::string html = report();
  // No logs, no curves: said so.
  EXPECT_NE(html.find("No training curves: " + path("run/logs") + " holds no TensorBoard logs"), std::string::npos);
  // Three 3x3 filters, drawn 16 times their size; misclassified examples as 6x6 images.
  EXPECT_NE(html.find("conv2d: 3 filters of 3x3"), std::string::npos) << html;
  EXPECT_EQ(count_of(html, "alt=\"after training (" + path("run/final") + "): filter "), 3);
  EXPECT_NE(html.find("<h3>after training (" + path("run/final") + ")</h3>"), std::string::npos) << html;
  EXPECT_EQ(count_of(html, "width=\"48\" height=\"48\" style=\"image-rendering:pixelated\" src=\"data:image/png;base64,"),
            3);
  const int64_t wrong = count_of(html, "alt=\"#");
  EXPECT_GT(wrong, 0);  // one epoch on noise gets some wrong
  EXPECT_EQ(count_of(html, "width=\"84\" height=\"84\""), wrong);
}

TEST_F(ReportCli, TrainWritesTheReportWhenAskedTo) {
  const CliResult trained = cairn({"train", "--model", "iris_dnn", "--data", "iris", "--epochs", "2", "--verbose", "0",
                                   "--checkpoint-dir", path("run"), "--tensorboard", path("tb"), "--report"});
  ASSERT_EQ(trained.status, 0) << trained.err;
  EXPECT_NE(trained.out.find("\nreport: " + path("run/report.html") + "\n"), std::string::npos) << trained.out;
  const std::string html = Env::Default().read_file(path("run/report.html"));
  EXPECT_EQ(count_of(html, "<svg class=\"curve\""), 2);  // from --tensorboard's logs: loss and accuracy
  EXPECT_EQ(count_of(html, "<title>training epoch "), 4);
  EXPECT_NE(html.find("<svg class=\"confusion\""), std::string::npos);
}

TEST_F(ReportCli, AnEmptyRunAndATornLogSayWhatIsMissing) {
  const CliResult trained = cairn({"train", "--model", "iris_dnn", "--data", "iris", "--epochs", "1", "--verbose", "0",
                                   "--checkpoint-dir", path("run"), "--tensorboard", path("run/logs")});
  ASSERT_EQ(trained.status, 0) << trained.err;
  std::string html = report();
  EXPECT_NE(html.find("No validation curves: the run had no validation data"), std::string::npos);
  EXPECT_NE(html.find("<td>cp-0001.ckpt</td><td>1</td><td>best loss</td>"), std::string::npos) << html;

  // Cut the training log inside its last record: the report warns and draws what is before it.
  const std::vector<std::string> files = Env::Default().list_dir(path("run/logs/train"));
  ASSERT_EQ(files.size(), 1u);
  const std::string log = path("run/logs/train/" + files[0]);
  const std::string bytes = Env::Default().read_file(log);
  {
    auto file = Env::Default().new_writable_file(log);
    file->append(bytes.substr(0, bytes.size() - 3));
    file->close();
  }
  html = report();
  EXPECT_TRUE(last_.err.starts_with("cairn: WARNING: " + log + ": the record at offset ")) << last_.err;
  EXPECT_NE(html.find("warning: " + log + ": the record at offset "), std::string::npos);

  // Logs without any epoch: an empty run.
  std::filesystem::remove_all(path("run/logs"));
  EventFileWriter(path("run/logs/train")).close();
  html = report();
  EXPECT_NE(html.find("holds no epoch scalars (an empty run)"), std::string::npos);

  // Damaged final weights: the checkpoint table says so, the rest says why it is missing, and the
  // summary, which needs only model.json, is still there.
  {
    auto file = Env::Default().new_writable_file(path("run/final.data-00000-of-00001"));
    file->append("garbage");
    file->close();
  }
  html = report();
  EXPECT_NE(html.find("<td>DAMAGED: data file " + path("run/final.data-00000-of-00001") + " is truncated"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("The model could not be loaded or run: data file "), std::string::npos);
  EXPECT_NE(html.find("dense_2 (Dense)"), std::string::npos);  // the summary

  // Not a run directory at all.
  const CliResult refused = cairn({"report", path("nothing")});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find(path("nothing") + " is not a run directory"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace cairn
