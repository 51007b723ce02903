// The report of cnn_early_stopping --quick: the Saver tutorial's three filter grids with the values the
// run had (before training = after re-initialization, the same seed; after the restore = the saved
// checkpoint's kernel), and the confusion matrix of the restored model's test predictions.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "cairn/config.h"
#include "cairn/env.h"
#include "cairn/tensor_bundle.h"
#include "temp_dir.h"

namespace cairn {
namespace {

TEST(CnnEarlyStoppingReport, FilterGridsAndConfusionMatrixHoldTheRunsValues) {
  testing::TempDir dir;
  const std::string command = "cd '" + dir.path() + "' && '" CAIRN_CNN_EARLY_STOPPING "' --quick --report report.html > out.txt 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << Env::Default().read_file(dir / "out.txt");
  const std::string out = Env::Default().read_file(dir / "out.txt");
  const std::string html = Env::Default().read_file(dir / "report.html");

  // The three grids, in the tutorial's order.
  const std::regex block("<script type=\"application/json\" class=\"filter-values\">(.*?)</script>");
  std::vector<Json> grids;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), block); it != std::sregex_iterator(); ++it)
    grids.push_back(Json::parse((*it)[1].str()));
  ASSERT_EQ(grids.size(), 3u);
  EXPECT_EQ(grids[0]["caption"], "before training");
  EXPECT_EQ(grids[1]["caption"], "after re-initialization");
  EXPECT_EQ(grids[2]["caption"], "after restoring checkpoints/best_validation");
  for (const Json& grid : grids) EXPECT_EQ(grid["shape"], Json::parse("[5, 5, 1, 16]"));
  const std::regex filter_image("alt=\"(before training|after re-initialization|after restoring [^\"]*): filter \\d+\"");
  EXPECT_EQ(std::distance(std::sregex_iterator(html.begin(), html.end(), filter_image), std::sregex_iterator()), 48);

  // Re-initialization draws the initial weights again (create_model seeds them); the restore brings
  // back the kernel the checkpoint holds, which training moved away from them.
  EXPECT_EQ(grids[1]["values"], grids[0]["values"]);
  BundleReader checkpoint(Env::Default(), dir / "checkpoints/best_validation");
  const std::string key = "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE";
  ASSERT_TRUE(checkpoint.contains(key));
  const std::vector<float> saved = checkpoint.read(key).to_vector<float>();
  ASSERT_EQ(grids[2]["values"].size(), saved.size());
  for (size_t i = 0; i < saved.size(); ++i) EXPECT_EQ(grids[2]["values"][i].get<float>(), saved[i]) << i;
  EXPECT_NE(grids[2]["values"], grids[0]["values"]);

  // The confusion matrix: 10x10 cells over the 1000 test images, its diagonal the restored model's
  // test accuracy as the example printed it.
  const std::regex cell("<title>true (\\d+), predicted (\\d+): (\\d+)</title>");
  int64_t cells = 0, total = 0, correct = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), cell); it != std::sregex_iterator(); ++it, ++cells) {
    total += std::stoll((*it)[3]);
    if ((*it)[1] == (*it)[2]) correct += std::stoll((*it)[3]);
  }
  EXPECT_EQ(cells, 100);
  EXPECT_EQ(total, 1000);
  std::smatch printed;
  ASSERT_TRUE(std::regex_search(out, printed, std::regex("Restored best model: .*test accuracy ([0-9.]+)"))) << out;
  EXPECT_NEAR(static_cast<double>(correct) / 1000.0, std::stod(printed[1]), 5e-5);
  // Misclassified images, the checkpoint verified and marked latest, curves with validation.
  EXPECT_NE(html.find(std::to_string(1000 - correct) + " of 1000 test examples misclassified"), std::string::npos);
  EXPECT_NE(html.find("<td>best_validation</td><td></td><td>latest</td><td>verified ("), std::string::npos);
  EXPECT_NE(html.find("<polyline class=\"validation\""), std::string::npos);
}

}  // namespace
}  // namespace cairn
