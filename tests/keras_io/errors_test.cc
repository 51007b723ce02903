// Bad input and failed saves: damaged files are FormatErrors naming the file, weights that do not fit
// are ShapeErrors naming the layer and both shapes, unknown layer classes are named, and a save that
// fails leaves nothing new at the destination (and a previous file intact).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/zip.h"
#include "io/fault_injection_env.h"
#include "keras_io/hdf5.h"
#include "keras_io/keras_weights.h"
#include "keras_io/test_models.h"
#include "temp_dir.h"
#include "expect_error.h"

namespace cairn {
namespace {

using testing::ModelKind;

class Errors : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(31);
  }
  std::shared_ptr<Model> trained_model() {
    auto model = testing::make_model(ModelKind::Dense);
    model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    auto [x, y] = testing::make_batch(ModelKind::Dense, 1);
    model->train_on_batch(x, y);
    return model;
  }
  testing::TempDir dir_;
};

std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> names = Env::Default().list_dir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

void write_bytes(const std::string& path, std::string_view bytes) {
  write_file_atomically(Env::Default(), path, bytes);
}

// An h5 whole-model file whose model_config is `config` and whose model_weights come from `weights_of`.
void write_whole_model(const std::string& path, const Json& config, const Model& weights_of) {
  std::vector<uint8_t> bytes;
  {
    auto lock = h5::lock();
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    root.set_string_attribute("model_config", config.dump());
    h5::Group weights = root.create_group("model_weights");
    keras_io_detail::write_keras2_layers(weights, weights_of.layers());
    bytes = file.image();
  }
  write_bytes(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

TEST_F(Errors, TruncatedAndGarbageFilesAreFormatErrorsNamingTheFile) {
  auto model = trained_model();
  for (const std::string extension : {".h5", ".keras"}) {
    SCOPED_TRACE(extension);
    const std::string good = dir_ / ("good" + extension);
    save_model(*model, good);
    const std::string content = Env::Default().read_file(good);
    for (size_t keep : {content.size() / 2, content.size() - 1, size_t{600}, size_t{10}, size_t{0}}) {
      SCOPED_TRACE(keep);
      const std::string path = dir_ / ("truncated_" + std::to_string(keep) + extension);
      write_bytes(path, std::string_view(content).substr(0, keep));
      testing::expect_error_mentioning<FormatError>([&] { load_model(path); }, {path});
      auto target = testing::make_model(ModelKind::Dense);
      testing::expect_error_mentioning<FormatError>([&] { target->load_weights(path); }, {path});
    }
    std::string garbage(4096, '\0');
    Generator gen(7);
    for (char& c : garbage) c = static_cast<char>(gen.next_u32());
    for (const std::string& prefix : {std::string("PK\x03\x04"), std::string("\x89HDF\r\n\x1a\n"), std::string()}) {
      const std::string path = dir_ / ("garbage" + extension);
      write_bytes(path, prefix + garbage);
      testing::expect_error_mentioning<FormatError>([&] { load_model(path); }, {path});
    }
  }
}

TEST_F(Errors, KerasZipWithoutItsMembers) {
  const std::string path = dir_ / "incomplete.keras";
  const std::vector<uint8_t> json = {'{', '}'};
  const std::vector<uint8_t> metadata_only = encode_zip({{"metadata.json", json}});
  write_bytes(path, std::string(metadata_only.begin(), metadata_only.end()));
  testing::expect_error_mentioning<FormatError>([&] { load_model(path); }, {path, "config.json"});
  const std::vector<uint8_t> zip = encode_zip({{"config.json", json}, {"model.weights.npz", json}});
  write_bytes(path, std::string(zip.begin(), zip.end()));
  testing::expect_error_mentioning<FormatError>([&] { load_model(path); }, {path, "model.weights.npz"});
}

TEST_F(Errors, WeightsThatDoNotFitNameTheLayerAndBothShapes) {
  auto expected = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(4, DenseOptions{.name = "hidden"}),
                            std::make_shared<Dense>(3, DenseOptions{.name = "out"})},
      Shape{5}, "net");
  auto wider = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(6, DenseOptions{.name = "hidden"}),
                            std::make_shared<Dense>(3, DenseOptions{.name = "out"})},
      Shape{5});
  const std::string shapes = dir_ / "shapes.h5";
  write_whole_model(shapes, model_config(*expected), *wider);
  testing::expect_error_mentioning<ShapeError>([&] { load_model(shapes); }, {"'hidden'", "(5, 4)", "(5, 6)", shapes});

  auto no_bias = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(4, DenseOptions{.name = "hidden"}),
                            std::make_shared<Dense>(3, DenseOptions{.use_bias = false, .name = "out"})},
      Shape{5});
  const std::string counts = dir_ / "counts.h5";
  write_whole_model(counts, model_config(*expected), *no_bias);
  testing::expect_error_mentioning<ShapeError>([&] { load_model(counts); },
                           {"layer 'out' (Dense) has 2 weights [(4, 3), (3,)]", "holds 1", counts});
}

TEST_F(Errors, UnknownLayerClassIsNamed) {
  auto model = trained_model();
  Json config = model_config(*model);
  config["config"]["layers"][2]["class_name"] = "Conv3D";  // layers[0] is the InputLayer
  config["config"]["layers"][2]["config"]["name"] = "volume";
  const std::string h5_path = dir_ / "unknown.h5";
  write_whole_model(h5_path, config, *model);
  testing::expect_error_mentioning<FormatError>([&] { load_model(h5_path); }, {"Conv3D", "'volume'", h5_path});

  const std::string keras_path = dir_ / "unknown.keras";
  const std::string text = config.dump();
  const std::vector<uint8_t> zip = encode_zip({{"config.json", std::vector<uint8_t>(text.begin(), text.end())},
                                               {"model.weights.h5", {1, 2, 3}}});
  write_bytes(keras_path, std::string(zip.begin(), zip.end()));
  testing::expect_error_mentioning<FormatError>([&] { load_model(keras_path); }, {"Conv3D", "'volume'", keras_path});

  Json bad_json = model_config(*model);
  bad_json["config"]["layers"][1]["config"]["units"] = "many";
  const std::string value_path = dir_ / "value.h5";
  write_whole_model(value_path, bad_json, *model);
  testing::expect_error_mentioning<FormatError>([&] { load_model(value_path); }, {value_path, "model_config"});
}

TEST_F(Errors, ArgumentsLoadModelDoesNotTake) {
  auto model = trained_model();
  testing::expect_error_mentioning<InvalidArgument>([&] { load_model(dir_.path()); }, {"directory", "load_exported_model"});
  testing::expect_error_mentioning<InvalidArgument>([&] { load_model(dir_ / "model.txt"); }, {"model.txt"});
  testing::expect_error_mentioning<IOError>([&] { load_model(dir_ / "missing.h5"); }, {"missing.h5"});
  model->save_weights(dir_ / "weights.h5");
  testing::expect_error_mentioning<FormatError>([&] { load_model(dir_ / "weights.h5"); }, {"weights-only", "load_weights"});
}

TEST_F(Errors, FailedSaveLeavesNothingAndKeepsThePreviousFile) {
  auto model = trained_model();
  for (const std::string extension : {".h5", ".keras"}) {
    SCOPED_TRACE(extension);
    const std::string path = dir_ / ("model" + extension);
    for (FileOp op : {FileOp::Create, FileOp::Append, FileOp::Sync, FileOp::Rename}) {
      FaultInjectionEnv env(Env::Default());
      env.fail_nth(1, op);
      EXPECT_THROW(save_model(*model, path, env), IOError);
      EXPECT_TRUE(env.fault_fired());
      EXPECT_TRUE(listing(dir_.path()).empty()) << static_cast<int>(op);
    }
    save_model(*model, path);
    const std::string previous = Env::Default().read_file(path);
    auto [x, y] = testing::make_batch(ModelKind::Dense, 2);
    model->train_on_batch(x, y);
    for (FileOp op : {FileOp::Append, FileOp::Sync, FileOp::Rename}) {
      FaultInjectionEnv env(Env::Default());
      env.fail_nth(1, op);
      EXPECT_THROW(save_model(*model, path, env), IOError);
      EXPECT_EQ(listing(dir_.path()), std::vector<std::string>{"model" + extension});
      EXPECT_EQ(Env::Default().read_file(path), previous);
    }
    Env::Default().remove_file(path);
  }
}

TEST_F(Errors, SavesThatCannotStartWriteNothing) {
  auto model = trained_model();
  EXPECT_THROW(save_model(*model, dir_ / "missing_dir/model.h5"), IOError);
  EXPECT_THROW(model->save_weights(dir_ / "missing_dir/w.h5"), IOError);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "missing_dir"));
  testing::expect_error_mentioning<InvalidArgument>([&] { save_model(*model, dir_ / "model.txt"); }, {"model.txt", ".keras"});

  class Net : public Model {
   public:
    Net() : Model("net", "Net") { dense = track("dense", std::make_shared<Dense>(3)); }
    std::shared_ptr<Dense> dense;

   protected:
    Tensor call(const Tensor& x, bool training) override { return (*dense)(x, training); }
  };
  auto net = std::make_shared<Net>();
  (*net)(Tensor::ones({1, 2}));
  for (const std::string name : {"net.h5", "net.keras"})
    testing::expect_error_mentioning<InvalidArgument>([&] { save_model(*net, dir_ / name); }, {"subclassed"});
  auto unbuilt = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(3)});
  testing::expect_error_mentioning<InvalidArgument>([&] { save_model(*unbuilt, dir_ / "unbuilt.h5"); }, {"not built"});
  EXPECT_TRUE(listing(dir_.path()).empty());

  // A subclassed model's weights go to an h5 weights file (Keras does the same) and load back.
  net->save_weights(dir_ / "net_weights.h5");
  auto other = std::make_shared<Net>();
  (*other)(Tensor::ones({1, 2}));
  other->load_weights(dir_ / "net_weights.h5");
  testing::expect_same_weights(*net, *other);
}

}  // namespace
}  // namespace cairn
