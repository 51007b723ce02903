// `cairn inspect` and `cairn verify` on Keras .h5 and .keras files: every weight and optimizer variable
// listed by HDF5 path, and a damaged dataset named by verify.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace cairn::testing {
namespace {

class KerasInspectCli : public CliFixture {
 protected:
  // A trained iris_dnn (Dense 4→10→10→3, Adagrad) converted to w.h5 and w.keras.
  void SetUp() override {
    const CliResult trained = cairn({"train", "--model", "iris_dnn", "--data", "iris", "--epochs", "1", "--verbose",
                                     "0", "--checkpoint-dir", path("run")});
    ASSERT_EQ(trained.status, 0) << trained.err;
    for (const char* name : {"w.h5", "w.keras"}) {
      const CliResult converted = cairn({"convert", path("run"), path(name)});
      ASSERT_EQ(converted.status, 0) << converted.err;
    }
  }
};

TEST_F(KerasInspectCli, ListsEveryWeightAndOptimizerVariableOfAnH5File) {
  const CliResult run = cairn({"inspect", path("w.h5")});
  ASSERT_EQ(run.status, 0) << run.err;
  const std::vector<std::string> expected = {
      "key                                                      dtype    shape     bytes",
      "/model_weights/dense/dense/bias:0                        float32  (10,)        40",
      "/model_weights/dense/dense/kernel:0                      float32  (4, 10)     160",
      "/model_weights/dense_1/dense_1/bias:0                    float32  (10,)        40",
      "/model_weights/dense_1/dense_1/kernel:0                  float32  (10, 10)    400",
      "/model_weights/dense_2/dense_2/bias:0                    float32  (3,)         12",
      "/model_weights/dense_2/dense_2/kernel:0                  float32  (10, 3)     120",
      "/optimizer_weights/Adagrad/dense/bias/accumulator:0      float32  (10,)        40",
      "/optimizer_weights/Adagrad/dense/kernel/accumulator:0    float32  (4, 10)     160",
      "/optimizer_weights/Adagrad/dense_1/bias/accumulator:0    float32  (10,)        40",
      "/optimizer_weights/Adagrad/dense_1/kernel/accumulator:0  float32  (10, 10)    400",
      "/optimizer_weights/Adagrad/dense_2/bias/accumulator:0    float32  (3,)         12",
      "/optimizer_weights/Adagrad/dense_2/kernel/accumulator:0  float32  (10, 3)     120",
      "/optimizer_weights/Adagrad/iter:0                        int64    ()            8",
      "total: 13 tensors, 1552 bytes in " + path("w.h5"),
  };
  EXPECT_EQ(lines(run.out), expected);

  const CliResult verified = cairn({"verify", path("w.h5")});
  EXPECT_EQ(verified.status, 0) << verified.err;
  EXPECT_EQ(verified.out, "OK: 13 tensors, 1552 bytes verified in " + path("w.h5") + "\n");
}

TEST_F(KerasInspectCli, JsonOfAKerasZipListsItsWeightsFileDatasetsWithValues) {
  const CliResult run = cairn({"inspect", "--json", "--values", path("w.keras")});
  ASSERT_EQ(run.status, 0) << run.err;
  const std::vector<std::string> printed = lines(run.out);
  ASSERT_EQ(printed.size(), 16u) << run.out;  // [ , 14 datasets, ]
  EXPECT_EQ(printed[1], R"( {"key": "/layers/dense/vars/0", "dtype": "float32", "shape": [4, 10], "bytes": 160},)");
  // Values of tensors of at most 20 elements: dense_2's bias, 3 trained floats.
  EXPECT_TRUE(printed[6].starts_with(
      R"( {"key": "/layers/dense_2/vars/1", "dtype": "float32", "shape": [3], "bytes": 12, "values": [)"))
      << printed[6];
  EXPECT_EQ(std::count(printed[6].begin(), printed[6].end(), ','), 7) << printed[6];
  // The optimizer's iteration count after the one epoch's 4 steps.
  EXPECT_EQ(printed[7], R"( {"key": "/optimizer/vars/0", "dtype": "int64", "shape": [], "bytes": 8, "values": 4},)");
  EXPECT_EQ(printed[14].substr(0, printed[14].find(", \"values\"")),
            R"( {"key": "/optimizer/vars/7", "dtype": "float32", "shape": [3], "bytes": 12)");

  const CliResult verified = cairn({"verify", path("w.keras")});
  EXPECT_EQ(verified.status, 0) << verified.err;
  EXPECT_EQ(verified.out, "OK: 14 tensors, 1556 bytes verified in " + path("w.keras") + "\n");
}

// Points the contiguous data of the first 160-byte dataset (dense's kernel: 4×10 float32) past the end
// of the file: the file still opens and lists, but reading that dataset fails.
TEST_F(KerasInspectCli, VerifyNamesTheFileAndTheDatasetWhoseDataIsOutsideTheFile) {
  std::string bytes = read_text(path("w.h5"));
  bool damaged = false;
  // A version 3 contiguous layout message: version 3, class 1, address (8 bytes), size (8 bytes).
  for (size_t at = 0; at + 18 <= bytes.size() && !damaged; ++at) {
    uint64_t address = 0, size = 0;
    std::memcpy(&address, bytes.data() + at + 2, 8);
    std::memcpy(&size, bytes.data() + at + 10, 8);
    if (bytes[at] == 3 && bytes[at + 1] == 1 && size == 160 && address + size <= bytes.size()) {
      const uint64_t outside = bytes.size() * 4;
      std::memcpy(bytes.data() + at + 2, &outside, 8);
      damaged = true;
    }
  }
  ASSERT_TRUE(damaged) << "no contiguous layout of 160 bytes found";
  std::ofstream(path("bad.h5"), std::ios::binary) << bytes;

  const CliResult listed = cairn({"inspect", path("bad.h5")});
  EXPECT_EQ(listed.status, 0) << listed.err;
  const CliResult verified = cairn({"verify", path("bad.h5")});
  EXPECT_EQ(verified.status, 1);
  EXPECT_TRUE(contains(verified.err, path("bad.h5") + ": /model_weights/dense/dense/kernel:0: cannot read the dataset"))
      << verified.err;
  EXPECT_TRUE(contains(verified.err, "FAILED: 1 of 13 tensors damaged in " + path("bad.h5"))) << verified.err;
}

TEST_F(KerasInspectCli, VerifyOfATruncatedH5FileNamesIt) {
  const std::string bytes = read_text(path("w.h5"));
  std::ofstream(path("cut.h5"), std::ios::binary) << bytes.substr(0, bytes.size() - 200);
  const CliResult verified = cairn({"verify", path("cut.h5")});
  EXPECT_EQ(verified.status, 1);
  EXPECT_TRUE(contains(verified.err, path("cut.h5") + ": damaged or truncated HDF5 file")) << verified.err;
}

// Files tf.keras and KotlinDL wrote.
TEST(KerasInspectFixtures, RealFilesAreListedAndVerified) {
  const std::string dir = std::string(CAIRN_SOURCE_DIR) + "/tests/fixtures/keras_h5/";
  TempDir temp;
  const std::string err = std::string(temp.path()) + "/stderr.txt";
  const std::string gru = dir + "frugally_deep_temp_stateful_tfkeras224.h5";
  const CliResult listed = run_cli({"inspect", gru}, err);
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_TRUE(contains(listed.out, "/model_weights/gru_1/gru_1/kernel:0            float32  (1, 3)     12\n"))
      << listed.out;
  EXPECT_EQ(run_cli({"verify", gru}, err).out, "OK: 2 tensors, 24 bytes verified in " + gru + "\n");

  const std::string lstm = dir + "kotlindl_lstm_weights_only.h5";
  const CliResult json = run_cli({"inspect", "--json", lstm}, err);
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_TRUE(contains(json.out, R"({"key": "/lstm_9/lstm_9/lstm_cell_9/kernel:0", "dtype": "float32", )"
                                 R"("shape": [41, 256], "bytes": 41984})"))
      << json.out;
  EXPECT_EQ(run_cli({"verify", lstm}, err).out, "OK: 11 tensors, 383396 bytes verified in " + lstm + "\n");
}

}  // namespace
}  // namespace cairn::testing
