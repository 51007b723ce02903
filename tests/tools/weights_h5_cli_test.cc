// A weights-only HDF5 file that real Keras wrote (tf-keras's save_weights .h5, Keras 3's .weights.h5) with
// the model's JSON config: `cairn predict --model CONFIG WEIGHTS` predicts what Keras predicted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/npy.h"
#include "cli_runner.h"

namespace cairn::testing {
namespace {

const std::string kCase = std::string(CAIRN_SOURCE_DIR) + "/tests/conformance/cases/tf_keras-dense_mlp/";

class WeightsH5Cli : public CliFixture {
 protected:
  // The model's JSON config (cairn's convert writes it beside a run's checkpoint) and Keras's inputs.
  void SetUp() override {
    const CliResult converted = cairn({"convert", kCase + "model.h5", path("run") + "/"});
    ASSERT_EQ(converted.status, 0) << converted.err;
    for (NamedTensor& array : load_npz(kCase + "data.npz")) data_.emplace(array.name, array.tensor);
    save_npy(path("x.npy"), data_.at("x"));
  }
  std::map<std::string, Tensor> data_;
};

TEST_F(WeightsH5Cli, PredictsAsKerasFromTheConfigAndAWeightsFile) {
  const Tensor& expected = data_.at("y_pred");  // Keras's predictions, 5 rows of 3 probabilities
  for (const char* weights : {"weights.h5", "model.weights.h5"}) {
    SCOPED_TRACE(weights);
    const CliResult run =
        cairn({"predict", "--model", path("run/model.json"), "--input", path("x.npy"), "--raw", kCase + weights});
    ASSERT_EQ(run.status, 0) << run.err;
    std::istringstream lines(run.out);
    std::vector<double> got;
    for (double value; lines >> value;) got.push_back(value);
    ASSERT_EQ(got.size(), static_cast<size_t>(expected.numel())) << run.out;
    const Tensor want = expected.to(DType::Float64);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want.span<double>()[i], 1e-5) << i;
  }
}

TEST_F(WeightsH5Cli, AKerasZipHoldsItsModelAndRefusesAnother) {
  const CliResult run = cairn({"predict", "--model", path("run/model.json"), "--input", path("x.npy"),
                               kCase + "model.keras"});
  EXPECT_NE(run.status, 0);
  EXPECT_TRUE(contains(run.err, "--model is not for")) << run.err;
}

TEST_F(WeightsH5Cli, WeightsThatDoNotFitTheConfigNameTheLayer) {
  const std::string other = std::string(CAIRN_SOURCE_DIR) + "/tests/conformance/cases/tf_keras-conv_pool/weights.h5";
  const CliResult run = cairn({"predict", "--model", path("run/model.json"), "--input", path("x.npy"), other});
  EXPECT_NE(run.status, 0);
  EXPECT_TRUE(contains(run.err, "weights.h5")) << run.err;
}

}  // namespace
}  // namespace cairn::testing
