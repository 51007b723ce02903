// Model files whose config is hostile: sizes out of range, weights far larger than the file, deep
// nesting and numbers out of range are cairn errors naming the file; nothing crashes or allocates
// what the file cannot justify.
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/zip.h"
#include "expect_error.h"
#include "keras_io/hdf5.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;

class HostileModelFile : public ::testing::Test {
 protected:
  void SetUp() override { clear_session(); }

  // A tf.keras 2.x whole-model file whose model_config is `config`, with no weights.
  std::string write_h5(const std::string& name, const std::string& config) {
    std::vector<uint8_t> bytes;
    {
      auto lock = h5::lock();
      h5::File file = h5::File::create(name);
      h5::Group root = file.root();
      root.set_string_attribute("model_config", config);
      root.create_group("model_weights");
      bytes = file.image();
    }
    return write(name, bytes);
  }

  // A Keras 3 archive whose config.json is `config`, with an empty weights file.
  std::string write_keras(const std::string& name, const std::string& config) {
    std::vector<uint8_t> weights;
    {
      auto lock = h5::lock();
      weights = h5::File::create(name).image();
    }
    return write(name, encode_zip({{"config.json", std::vector<uint8_t>(config.begin(), config.end())},
                                   {"model.weights.h5", weights}}));
  }

  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = dir_ / name;
    write_file_atomically(Env::Default(), path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    return path;
  }

  testing::TempDir dir_;
};

// A Sequential on 4 features whose one Dense layer 'd' has `units`.
std::string dense_model(const std::string& units) {
  return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4]}},
      {"class_name": "Dense", "config": {"name": "d", "units": )" +
         units + "}}]}}";
}

TEST_F(HostileModelFile, SizesOutOfRangeAreFormatErrorsNamingFileLayerAndKey) {
  // 2^62 units overflowed the kernel's element count: an under-allocated tensor, then a SIGSEGV.
  for (const std::string& path : {write_h5("units.h5", dense_model("4611686018427387904")),
                                  write_keras("units.keras", dense_model("4611686018427387904"))}) {
    SCOPED_TRACE(path);
    expect_error_mentioning<FormatError>([&] { load_model(path); },
                                         {path, "Dense 'd'", "units", "4611686018427387904"});
  }
}

TEST_F(HostileModelFile, WeightsTheFileCannotHoldAreRefusedBeforeAllocating) {
  // 4 x 2^24 float32 weights take 256 MiB, which a file of a few kilobytes cannot hold; 2^31 - 1 units
  // (32 GiB) ended in a bare std::bad_alloc.
  for (const std::string units : {"16777216", "2147483647"}) {
    for (const std::string& path : {write_h5("big.h5", dense_model(units)), write_keras("big.keras", dense_model(units))}) {
      SCOPED_TRACE(path);
      expect_error_mentioning<ResourceLimitError>([&] { load_model(path); },
                                                  {path, "load_model", "shape (4, " + units + ")"});
    }
  }
}

TEST_F(HostileModelFile, DeepNestingAndBadNumbersAreErrorsNamingTheFile) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  expect_error_mentioning<ResourceLimitError>([&] { load_model(write_h5("deep.h5", deep)); },
                                              {"deep.h5", "model_config", "more than 512 levels"});
  expect_error_mentioning<ResourceLimitError>([&] { load_model(write_keras("deep.keras", deep)); },
                                              {"deep.keras", "config.json", "more than 512 levels"});
  expect_error_mentioning<FormatError>([&] { load_model(write_h5("number.h5", dense_model("56e7373"))); },
                                       {"number.h5", "model_config", "56e7373"});
}

}  // namespace
}  // namespace cairn
