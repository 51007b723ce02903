// fuzz_make_seeds REPO: (re)writes the seed corpora REPO/fuzz/corpus/<target>/ from small valid files
// that cairn writes itself, plus a few small files of the repository's tests, data and fixtures
// (fuzz/corpus/MANIFEST.tsv names the third-party ones). Built with the fuzz targets; run by hand when a
// format changes, and commit the result.
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>

#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/image.h"
#include "cairn/keras_io.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/merge.h"
#include "cairn/model.h"
#include "cairn/npy.h"
#include "cairn/optimizers.h"
#include "cairn/safetensors.h"
#include "cairn/summary.h"
#include "cairn/tensor_bundle.h"
#include "cairn/zip.h"

namespace fs = std::filesystem;
using namespace cairn;

namespace {

fs::path repo;
fs::path scratch;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_seed(const std::string& target, const std::string& name, std::string_view bytes) {
  const fs::path dir = repo / "fuzz" / "corpus" / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void copy_seed(const std::string& target, const fs::path& relative_to_repo) {
  write_seed(target, relative_to_repo.filename().string(), read_bytes(repo / relative_to_repo));
}

std::string as_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// The bundle target's input: the index's length (4 bytes, little-endian), the index, the data shard.
std::string bundle_input(const fs::path& prefix) {
  const std::string index = read_bytes(bundle_index_path(prefix.string()));
  const std::string data = read_bytes(bundle_data_path(prefix.string()));
  const uint32_t length = static_cast<uint32_t>(index.size());
  std::string input(sizeof length, '\0');
  std::memcpy(input.data(), &length, sizeof length);
  return input + index + data;
}

std::string gzip(const std::string& bytes) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip
  std::string out(deflateBound(&stream, bytes.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// The same architecture as the bundle target restores into, trained one step with `optimizer` so that
// it has slots.
std::shared_ptr<Model> trained_dense_model(std::shared_ptr<Optimizer> optimizer = std::make_shared<Adam>()) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(3, DenseOptions{.activation = "relu"}), std::make_shared<Dense>(2)},
      Shape{4});
  model->compile({.optimizer = optimizer, .loss = "sparse_categorical_crossentropy"});
  model->train_on_batch(Tensor::from_vector<float>({2, 4}, {1, 2, 3, 4, -1, 0, 1, 0.5f}),
                        Tensor::from_vector<int64_t>({2}, {0, 1}));
  return model;
}

std::shared_ptr<Model> functional_model() {
  SymbolicTensor input = Input({4}, "features");
  SymbolicTensor a = (*std::make_shared<Dense>(3, DenseOptions{.activation = "tanh"}))(input);
  SymbolicTensor b = (*std::make_shared<Dense>(3))(input);
  SymbolicTensor sum = (*std::make_shared<Add>())(std::vector<SymbolicTensor>{a, b});
  SymbolicTensor joined = (*std::make_shared<Concatenate>())(std::vector<SymbolicTensor>{sum, a});
  SymbolicTensor out = (*std::make_shared<Dense>(2, DenseOptions{.activation = "softmax"}))(
      (*std::make_shared<Dropout>(0.25))(joined));
  return std::make_shared<Functional>(input, out);
}

void make_checkpoint_seeds() {
  auto adam = std::make_shared<Adam>();
  auto model = trained_dense_model(adam);
  Checkpoint checkpoint({{"model", model}, {"optimizer", adam}});
  const fs::path prefix = scratch / "ckpt";
  checkpoint.write(prefix.string());
  write_seed("bundle", "cairn_model_adam", bundle_input(prefix));
  write_seed("table", "cairn_model_adam.index", read_bytes(bundle_index_path(prefix.string())));
  model->save_weights((scratch / "weights").string());
  write_seed("bundle", "cairn_save_weights", bundle_input(scratch / "weights"));

  const fs::path fixture = repo / "tests/fixtures/tf_checkpoint/variables";
  write_seed("bundle", "tf_keras_variables", bundle_input(fixture));
  write_seed("table", "tf_keras_variables.index", read_bytes(bundle_index_path(fixture.string())));
  const fs::path snappy_fixture = repo / "tests/fixtures/tf_checkpoint_snappy/model.ckpt";
  write_seed("bundle", "tf1_snappy_index", bundle_input(snappy_fixture));
  write_seed("table", "tf1_snappy_index.index", read_bytes(bundle_index_path(snappy_fixture.string())));

  CheckpointState state{.model_checkpoint_path = "ckpt-3",
                        .all_model_checkpoint_paths = {"ckpt-2", "/abs/ckpt-3"},
                        .all_model_checkpoint_timestamps = {1700000000.5, 1700000100.25},
                        .last_preserved_timestamp = 1699999999.0};
  write_seed("checkpoint_state", "three_fields", checkpoint_state_to_text(state));
  write_seed("checkpoint_state", "path_only", checkpoint_state_to_text({.model_checkpoint_path = "model.ckpt-1"}));
}

void make_keras_seeds() {
  auto model = trained_dense_model();
  save_model(*model, (scratch / "dense.h5").string());
  write_seed("keras_model", "cairn_dense_adam.h5", read_bytes(scratch / "dense.h5"));
  save_model(*model, (scratch / "dense.keras").string());
  write_seed("keras_model", "cairn_dense_adam.keras", read_bytes(scratch / "dense.keras"));
  auto functional = functional_model();
  save_model(*functional, (scratch / "functional.h5").string());
  write_seed("keras_model", "cairn_functional.h5", read_bytes(scratch / "functional.h5"));
  copy_seed("keras_model", "tests/fixtures/keras_h5/frugally_deep_temp_stateful_tfkeras224.h5");

  model->save_weights((scratch / "dense.h5").string());
  write_seed("keras_weights", "cairn_dense_tf_keras.h5", read_bytes(scratch / "dense.h5"));
  model->save_weights((scratch / "dense.weights.h5").string());
  write_seed("keras_weights", "cairn_dense_keras3.weights.h5", read_bytes(scratch / "dense.weights.h5"));

  write_seed("keras_json", "cairn_sequential.json", model_to_json(*model, 1));
  write_seed("keras_json", "cairn_functional.json", model_to_json(*functional));
  copy_seed("keras_json", "tests/fixtures/keras_h5/kotlindl_lstm_model.json");
}

void make_array_seeds() {
  const Tensor floats = Tensor::from_vector<float>({2, 3}, {0.5f, -1, 2, 3.25f, 0, 1e-3f});
  const Tensor ints = Tensor::from_vector<int64_t>({4}, {-2, 0, 7, 1LL << 40});
  for (const char* name : {"b1", "be_f4", "be_i8", "empty_f4", "f4", "f8", "fortran_f4", "i4", "i8", "object",
                           "scalar_f8", "u1", "complex64"})
    copy_seed("npy", fs::path("tests/data/testdata") / (std::string(name) + ".npy"));
  write_seed("npy", "cairn_f4.npy", as_string(encode_npy(floats)));

  save_npz((scratch / "pair.npz").string(), {{"x", floats}, {"y", ints}});
  for (const std::string target : {"npz", "zip"}) {
    write_seed(target, "cairn_pair.npz", read_bytes(scratch / "pair.npz"));
    for (const char* name : {"deflated.npz", "stored.npz", "imdb_padded.npz"})
      copy_seed(target, fs::path("tests/data/testdata") / name);
  }
  write_seed("zip", "cairn_text.zip", as_string(encode_zip({{"a.txt", {'h', 'i'}}, {"dir/empty", {}}})));

  save_safetensors((scratch / "pair.safetensors").string(), {{"x", floats}, {"y", ints}}, {{"format", "pt"}});
  write_seed("safetensors", "cairn_pair.safetensors", read_bytes(scratch / "pair.safetensors"));
  copy_seed("safetensors", "tests/data/testdata/half.safetensors");
  copy_seed("safetensors", "tests/data/testdata/small.safetensors");
  copy_seed("safetensors", "tests/fixtures/safetensors/overall.safetensors");
}

void make_data_seeds() {
  const fs::path log_dir = scratch / "logs";
  EventFileWriter writer(log_dir.string(), Env::Default(), ".seed");
  writer.add_scalar("epoch_loss", 0.75, 0, 1700000000.0);
  writer.add_scalar("epoch_loss", 0.5, 1, 1700000001.0);
  writer.add_scalar("epoch_accuracy", 0.875, 1, 1700000001.5);
  writer.close();
  write_seed("events", "cairn_three_scalars", read_bytes(writer.path()));
  // One file for each other kind of summary the TensorBoard callback writes, so that the fuzzer mutates
  // each decoder's records (histograms, images, text, the Keras model config, hparams).
  auto seed_of = [&](const std::string& name, const std::function<void(EventFileWriter&)>& write) {
    EventFileWriter kind_writer((log_dir / name).string(), Env::Default(), ".seed");
    write(kind_writer);
    kind_writer.close();
    write_seed("events", "cairn_" + name, read_bytes(kind_writer.path()));
  };
  seed_of("histograms", [](EventFileWriter& w) {
    w.add_histogram("dense/kernel/histogram", Tensor::from_vector<float>({2, 3}, {-1, 0.5f, 0.5f, 2, 3, 3}), 0, 4,
                    1700000000.0);
    w.add_histogram("dense/bias/histogram", Tensor::from_vector<float>({2}, {0.25f, 0.25f}), 1, 30, 1700000001.0);
  });
  seed_of("images", [](EventFileWriter& w) {
    const Image gray{.height = 2, .width = 3, .channels = 1, .pixels = {0, 50, 100, 150, 200, 250}};
    const Image other{.height = 2, .width = 3, .channels = 1, .pixels = {9, 8, 7, 6, 5, 4}};
    w.add_images("conv2d/kernel/image", {gray, other}, 0, 1700000000.0);
    const Image rgb{.height = 1, .width = 2, .channels = 3, .pixels = {255, 0, 0, 0, 0, 255}};
    w.add_images("rgb", {rgb}, 1, 1700000001.0);
  });
  seed_of("text", [](EventFileWriter& w) { w.add_text("notes/summary", "# cairn\n*two* epochs", 2, 1700000000.0); });
  seed_of("keras_model", [](EventFileWriter& w) {
    auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{make_dense(2)}, Shape{3});
    w.add_keras_model("keras", model_to_json(*model), 0);
  });
  seed_of("hparams", [](EventFileWriter& w) {
    const HParams hparams = {{"learning_rate", 0.01}, {"optimizer", std::string("adam")}, {"augment", true}};
    w.add_hparams_experiment(hparams, {{"train", "epoch_loss"}, {"validation", "epoch_accuracy"}});
    w.add_hparams_session_start(hparams, "group");
    w.add_hparams_session_end(SessionStatus::kSuccess);
  });

  copy_seed("csv", "data/iris_test.csv");
  write_seed("csv", "plain.csv", "1,2.5,-3e2\n\n4,5,6\r\n0.125,nan,inf\n");

  std::string idx = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2};
  for (int i = 0; i < 12; ++i) idx.push_back(static_cast<char>(i * 20));
  write_seed("idx", "images_2x3x2.idx", idx);
  write_seed("idx", "images_2x3x2.idx.gz", gzip(idx));
  write_seed("idx", "labels_3.idx", std::string{0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds REPO_DIR\n";
    return 2;
  }
  repo = argv[1];
  scratch = fs::temp_directory_path() / ("cairn_seeds_" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  make_checkpoint_seeds();
  make_keras_seeds();
  make_array_seeds();
  make_data_seeds();
  fs::remove_all(scratch);
  return 0;
}
