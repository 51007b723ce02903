// `cairn` on a hostile model config (--model JSON, or the model_config of an .h5 file): a nonzero exit
// with a short message naming the file and what is wrong, within 1 GB, instead of a crash, a bare
// std::bad_alloc or a hang.
#include <gtest/gtest.h>

#include "cairn/env.h"
#include "cairn/keras_io.h"
#include "cairn/layers/dense.h"
#include "cli_runner.h"

namespace cairn::testing {
namespace {

// A Sequential on the 4 iris features whose one Dense layer 'd' has `units`.
std::string dense_model(const std::string& units) {
  return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4]}},
      {"class_name": "Dense", "config": {"name": "d", "units": )" +
         units + "}}]}}";
}

class HostileModelCliTest : public CliFixture {
 protected:
  std::string write_json(const std::string& name, const std::string& json) {
    write_file_atomically(Env::Default(), path(name), json);
    return path(name);
  }

  // A tf.keras 2.x .h5 of a Dense layer with `units` in its model_config: saved with 3 units and a
  // 19-character name, then patched in place to a shorter name and the hostile units, so that every
  // length in the file stays right.
  std::string write_h5(const std::string& name, const std::string& units) {
    const std::string padded_name = "d" + std::string(18, 'P');
    auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(3, DenseOptions{.name = padded_name})},
                                              Shape{4});
    save_model(*model, path(name));
    std::string bytes = Env::Default().read_file(path(name));
    const std::string middle = "\",\"trainable\":true,\"dtype\":\"float32\",\"units\":";
    const std::string saved = "\"name\":\"" + padded_name + middle + "3";
    const std::string hostile = "\"name\":\"" + padded_name.substr(0, padded_name.size() + 1 - units.size()) + middle + units;
    const size_t at = bytes.find(saved);
    EXPECT_NE(at, std::string::npos) << "the saved model_config changed its layout";
    EXPECT_EQ(hostile.size(), saved.size());
    if (at != std::string::npos) bytes.replace(at, saved.size(), hostile);
    write_file_atomically(Env::Default(), path(name), bytes);
    return path(name);
  }

  // Runs `args` within 1 GB and expects a failure whose message names `file` and every one of `parts`.
  void expect_refused(const std::vector<std::string>& args, const std::string& file,
                      const std::vector<std::string>& parts) {
    SCOPED_TRACE(file);
    const CliResult run = cairn(args, 1024);
    EXPECT_EQ(run.status, 1) << run.err.substr(0, 1000);
    EXPECT_LT(run.err.size(), 1000u) << run.err.substr(0, 1000);
    EXPECT_TRUE(contains(run.err, file)) << run.err.substr(0, 1000);
    for (const std::string& part : parts) EXPECT_TRUE(contains(run.err, part)) << run.err.substr(0, 1000);
  }

  std::vector<std::string> train(const std::string& model_file) {
    return {"train", "--model", model_file, "--data", "iris", "--epochs", "1", "--verbose", "0", "--checkpoint-dir",
            path("run")};
  }
};

TEST_F(HostileModelCliTest, TrainWithAHostileModelJsonFailsNamingTheFile) {
  std::string file = write_json("overflow.json", dense_model("4611686018427387904"));
  expect_refused(train(file), file, {"Dense 'd'", "units"});
  file = write_json("huge.json", dense_model("2147483647"));
  expect_refused(train(file), file, {"shape (4, 2147483647)", "bytes allowed"});
  file = write_json("deep.json", std::string(100000, '[') + std::string(100000, ']'));
  expect_refused(train(file), file, {"more than 512 levels"});
  file = write_json("number.json", dense_model("56e7373"));
  expect_refused(train(file), file, {"56e7373"});
}

TEST_F(HostileModelCliTest, EvaluateAHostileH5FailsNamingTheFile) {
  std::string file = write_h5("overflow.h5", "4611686018427387904");
  expect_refused({"evaluate", file, "--data", "iris"}, file, {"model_config", "units"});
  file = write_h5("huge.h5", "2147483647");
  expect_refused({"evaluate", file, "--data", "iris"}, file, {"load_model", "shape (4, 2147483647)"});
}

}  // namespace
}  // namespace cairn::testing
