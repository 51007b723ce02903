// RunReport (cairn/report.h): each section from in-memory pieces, with values checked, and the line
// each missing piece leaves.
#include "cairn/report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "cairn/config.h"
#include "cairn/layers.h"
#include "cairn/metrics.h"
#include "cairn/ops.h"
#include "cairn/summary.h"
#include "temp_dir.h"

namespace cairn {
namespace {

int64_t count_of(const std::string& text, const std::string& what) {
  int64_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The filter grids' values as the page carries them (<script class="filter-values">).
std::vector<Json> filter_values(const std::string& html) {
  const std::regex block("<script type=\"application/json\" class=\"filter-values\">(.*?)</script>");
  std::vector<Json> grids;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), block); it != std::sregex_iterator(); ++it)
    grids.push_back(Json::parse((*it)[1].str()));
  return grids;
}

std::shared_ptr<Sequential> small_cnn() {
  set_random_seed(7);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_conv2d(4, {3, 3}), make_flatten(), make_dense(3, {.activation = "softmax"})},
      Shape{5, 5, 1});
  model->compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}

TEST(RunReport, SaysWhatIsMissingWhenNothingIsGiven) {
  const std::string html = RunReport("empty").html();
  for (const char* line : {"No training curves: no history or TensorBoard logs were given.", "No checkpoints.",
                           "No confusion matrix: no test data was given.",
                           "No misclassified examples: there is no confusion matrix (above).",
                           "No filters: no model was given.", "No model summary: no model was given."})
    EXPECT_NE(html.find(line), std::string::npos) << line;
  EXPECT_EQ(count_of(html, "<svg"), 0);
  EXPECT_EQ(count_of(html, "<img"), 0);
}

TEST(RunReport, CurvesFromAHistoryWithTheBestCheckpointMarked) {
  History history;
  history.epoch = {0, 1, 2};
  history.history = {{"loss", {0.9, 0.5, 0.4}}, {"val_loss", {1.0, 0.6, 0.7}}, {"accuracy", {0.5, 0.7, 0.8}}};
  testing::TempDir dir;
  auto model = small_cnn();
  for (int epoch = 1; epoch <= 3; ++epoch) model->save_weights(dir / ("cp-000" + std::to_string(epoch) + ".ckpt"));
  RunReport report("history");
  report.add_history(history);
  report.add_checkpoints(dir.path());
  const std::string html = report.html();
  EXPECT_EQ(count_of(html, "<svg class=\"curve\""), 2);  // accuracy, loss
  EXPECT_EQ(count_of(html, "<polyline class=\"training\""), 2);
  EXPECT_EQ(count_of(html, "<polyline class=\"validation\""), 1);
  EXPECT_NE(html.find("<title>validation epoch 2: 0.6</title>"), std::string::npos) << html;
  EXPECT_NE(html.find("<title>training epoch 3: 0.8</title>"), std::string::npos);
  // Three checkpoints on the timeline of each chart; the lowest val_loss is epoch 2's; the last is latest.
  EXPECT_EQ(count_of(html, "<line class=\"checkpoint\""), 6);
  EXPECT_NE(html.find("<td>cp-0002.ckpt</td><td>2</td><td>best val_loss</td><td>verified ("), std::string::npos) << html;
  EXPECT_NE(html.find("<td>cp-0003.ckpt</td><td>3</td><td>latest</td><td>verified ("), std::string::npos);
  // Without validation values for the monitor, no best; with a monitor of the training values, one.
  report.set_monitor("accuracy");
  EXPECT_NE(report.html().find("<td>cp-0003.ckpt</td><td>3</td><td>latest, best accuracy</td>"), std::string::npos);
}

TEST(RunReport, ADamagedCheckpointIsShownAsDamaged) {
  testing::TempDir dir;
  small_cnn()->save_weights(dir / "weights");
  {
    auto file = Env::Default().new_writable_file(dir / "weights.data-00000-of-00001");
    file->append("garbage");
    file->close();
  }
  RunReport report("damaged");
  report.add_checkpoint(dir / "weights", std::nullopt);
  EXPECT_NE(report.html().find("<td>weights</td><td></td><td></td><td>DAMAGED: data file " + dir / "weights.data"),
            std::string::npos)
      << report.html();
}

TEST(RunReport, FilterSnapshotsKeepTheirValuesAndThePageCarriesThem) {
  auto model = small_cnn();
  const std::optional<FilterSnapshot> before = first_convolution_filters(*model, "before training");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->layer, model->layers()[0]->name());
  EXPECT_EQ(before->kernel.shape(), (Shape{3, 3, 1, 4}));
  const std::vector<float> initial = before->kernel.to_vector<float>();
  // Changing the weights afterwards leaves the snapshot as it was.
  Variable& kernel = *model->layers()[0]->weights()[0];
  kernel.assign(ops::scale(kernel.value(), 2.0));
  EXPECT_EQ(before->kernel.to_vector<float>(), initial);

  RunReport report("filters");
  report.add_filters(before);
  report.add_filters(first_convolution_filters(*model, "doubled <twice> \"x\""));
  const std::string html = report.html();
  EXPECT_EQ(count_of(html, "style=\"image-rendering:pixelated\""), 8);
  EXPECT_NE(html.find("<h3>doubled &lt;twice&gt; &quot;x&quot;</h3>"), std::string::npos);
  const std::vector<Json> grids = filter_values(html);
  ASSERT_EQ(grids.size(), 2u);
  EXPECT_EQ(grids[0]["caption"], "before training");
  EXPECT_EQ(grids[1]["caption"], "doubled <twice> \"x\"");
  EXPECT_EQ(grids[0]["shape"], Json::parse("[3, 3, 1, 4]"));
  const std::vector<float> doubled = kernel.value().to_vector<float>();
  ASSERT_EQ(grids[0]["values"].size(), initial.size());
  for (size_t i = 0; i < initial.size(); ++i) {
    EXPECT_EQ(grids[0]["values"][i].get<float>(), initial[i]) << i;
    EXPECT_EQ(grids[1]["values"][i].get<float>(), doubled[i]) << i;
  }
  // A model without a convolution: said so.
  auto dense = std::make_shared<Sequential>(std::vector<LayerPtr>{make_dense(2)}, Shape{3});
  EXPECT_FALSE(first_convolution_filters(*dense, "x"));
  RunReport none("dense");
  none.add_filters(first_convolution_filters(*dense, "x"));
  EXPECT_NE(none.html().find("The model has no convolution layer: no filters to show."), std::string::npos);
}

TEST(RunReport, ConfusionMatrixAndMisclassifiedImagesOfTheModelsPredictions) {
  auto model = small_cnn();
  std::vector<float> pixels;
  std::vector<int64_t> labels;
  for (int i = 0; i < 30; ++i) {
    labels.push_back(i % 3);
    for (int p = 0; p < 25; ++p) pixels.push_back(static_cast<float>((p * 7 + i * 13) % 10) / 10.0f);
  }
  const Tensor x = Tensor::from_vector<float>({30, 5, 5, 1}, pixels);
  const Tensor y = Tensor::from_vector<int64_t>({30}, labels);
  RunReport report("cnn");
  report.add_test_results(*model, x, y);
  report.set_model_summary(*model);
  const std::string html = report.html();
  // The cells are the model's own confusion matrix.
  const Tensor predicted = ops::argmax(model->predict(x), -1);
  const std::vector<std::vector<int64_t>> expected = confusion_matrix(y, predicted, 3);
  const std::regex cell("<title>true (\\d+), predicted (\\d+): (\\d+)</title>");
  int64_t cells = 0, wrong = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), cell); it != std::sregex_iterator(); ++it, ++cells)
    EXPECT_EQ(std::stoll((*it)[3]), expected[std::stoul((*it)[1])][std::stoul((*it)[2])]);
  EXPECT_EQ(cells, 9);
  for (int64_t i = 0; i < 30; ++i) wrong += predicted.to_vector<int64_t>()[i] != labels[i];
  ASSERT_GT(wrong, 0);  // an untrained model
  EXPECT_EQ(count_of(html, "alt=\"#"), std::min<int64_t>(wrong, 24));
  EXPECT_NE(html.find(model->layers()[0]->name() + " (Conv2D)"), std::string::npos);  // the summary

  // Float targets: not a classifier of integer labels.
  RunReport regression("regression");
  regression.add_test_results(*model, x, ops::scale(y.to(DType::Float32), 1.0));
  EXPECT_NE(regression.html().find("No confusion matrix: the model is not a classifier of integer labels."),
            std::string::npos);
}

TEST(RunReport, TensorBoardLogsTornEmptyOrMissing) {
  testing::TempDir dir;
  RunReport absent("absent");
  absent.add_tensorboard_logs(dir / "nothing");
  EXPECT_NE(absent.html().find("No training curves: " + dir / "nothing" + " holds no TensorBoard logs."),
            std::string::npos);

  EventFileWriter(dir / "empty/train").close();
  RunReport empty("empty");
  empty.add_tensorboard_logs(dir / "empty");
  EXPECT_NE(empty.html().find("holds no epoch scalars (an empty run)"), std::string::npos);

  {
    EventFileWriter writer(dir / "logs/train");
    writer.add_scalar("epoch_loss", 0.75, 0);
    writer.add_scalar("epoch_learning_rate", 0.01, 0);
    writer.add_scalar("epoch_loss", 0.5, 1);
    writer.close();
  }
  const std::string file = dir / ("logs/train/" + Env::Default().list_dir(dir / "logs/train").at(0));
  const std::string bytes = Env::Default().read_file(file);
  {
    auto out = Env::Default().new_writable_file(file);
    out->append(bytes.substr(0, bytes.size() - 3));  // the last record torn
    out->close();
  }
  RunReport torn("torn");
  torn.add_tensorboard_logs(dir / "logs");
  ASSERT_EQ(torn.warnings().size(), 1u);
  EXPECT_TRUE(torn.warnings()[0].starts_with(file + ": the record at offset ")) << torn.warnings()[0];
  const std::string html = torn.html();
  EXPECT_NE(html.find("warning: " + file), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg class=\"curve\""), 1);  // the loss; the learning rate is no curve
  EXPECT_NE(html.find("<title>training epoch 1: 0.75</title>"), std::string::npos) << html;
  EXPECT_EQ(count_of(html, "<title>training epoch "), 1);
  EXPECT_NE(html.find("No validation curves"), std::string::npos);
}

TEST(RunReport, WritesThePageAtomically) {
  testing::TempDir dir;
  RunReport report("written");
  report.write(dir / "report.html");
  EXPECT_EQ(Env::Default().read_file(dir / "report.html"), report.html());
}

}  // namespace
}  // namespace cairn
