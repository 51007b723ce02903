// The IMDB sentiment LSTM: Embedding(5000, 32) -> LSTM(100) -> Dense(1, sigmoid), binary
// cross-entropy, Adam, reviews padded to 500 words, batch 64; checkpointed every epoch and
// resumable with BackupAndRestore.
//
//   build/examples/imdb_lstm [--npz imdb.npz] [--epochs 2] [--samples 2000]
//
// With --npz, the file must hold x_train, y_train, x_test, y_test as integer arrays (see
// load_imdb_npz: Keras's own imdb.npz stores pickled objects, which cairn refuses to load). Without
// it, synthetic reviews of the same shapes are generated whose label depends on the words they hold.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "cairn/cairn.h"

using namespace cairn;

namespace {
constexpr int64_t kVocabulary = 5000, kLength = 500;

// Reviews of random length, pre-padded with 0. A positive review draws one word in five from the
// "good" words (10..59), a negative one from the "bad" words (60..109); the rest is noise.
TrainTestData synthetic_reviews(int64_t train, int64_t test, uint64_t seed) {
  Generator g(seed);
  auto make = [&](int64_t n) {
    Tensor x({n, kLength}, DType::Int32);
    Tensor y({n, 1});
    for (int64_t i = 0; i < n; ++i) {
      const bool positive = g.uniform_int(2) == 1;
      const int64_t length = 50 + static_cast<int64_t>(g.uniform_int(kLength - 50));
      for (int64_t t = kLength - length; t < kLength; ++t) {
        const bool telling = g.uniform_int(5) == 0;
        const int32_t word = telling ? (positive ? 10 : 60) + static_cast<int32_t>(g.uniform_int(50))
                                     : 1 + static_cast<int32_t>(g.uniform_int(kVocabulary - 1));
        x.data<int32_t>()[i * kLength + t] = word;
      }
      y.data<float>()[i] = positive ? 1.f : 0.f;
    }
    return LabeledData{x, y};
  };
  return {make(train), make(test)};
}
}  // namespace

int main(int argc, char** argv) {
  std::string npz;
  int epochs = 2;
  int64_t samples = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--npz") npz = next();
    else if (a == "--epochs") epochs = std::stoi(next());
    else if (a == "--samples") samples = std::stoll(next());
    else {
      std::fprintf(stderr, "usage: imdb_lstm [--npz FILE] [--epochs N] [--samples N]\n");
      return 2;
    }
  }
  TrainTestData data = npz.empty() ? synthetic_reviews(samples, samples / 4, 1) : load_imdb_npz(npz, kVocabulary, kLength);
  if (!npz.empty()) {  // Keras's labels are (n,); the model's output is (n, 1)
    data.train.y = data.train.y.to(DType::Float32).reshape({-1, 1});
    data.test.y = data.test.y.to(DType::Float32).reshape({-1, 1});
  }
  std::printf("%s: %ld training and %ld test reviews of %ld words\n", npz.empty() ? "synthetic data" : npz.c_str(),
              static_cast<long>(data.train.x.dim(0)), static_cast<long>(data.test.x.dim(0)), static_cast<long>(kLength));

  set_random_seed(0);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Embedding>(kVocabulary, 32), std::make_shared<LSTM>(100),
                            std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid"})},
      Shape{kLength});
  model->compile({.optimizer = "adam", .loss = "binary_crossentropy", .metrics = {"accuracy"}});
  model->summary();
  std::filesystem::remove_all("imdb_checkpoints");
  auto checkpoint = std::make_shared<ModelCheckpoint>("imdb_checkpoints/cp-{epoch:02d}.ckpt",
                                                      ModelCheckpointOptions{.verbose = 1, .save_weights_only = true});
  auto backup = std::make_shared<BackupAndRestore>("imdb_backup", BackupAndRestoreOptions{.save_freq = int64_t{10}});
  model->fit(data.train.x, data.train.y, {.batch_size = 64, .epochs = epochs, .callbacks = {checkpoint, backup},
                                          .validation_data = std::make_pair(data.test.x, data.test.y)});
  Logs scores = model->evaluate(data.test.x, data.test.y, {.batch_size = 64});
  std::printf("Test accuracy: %.2f%%\n", 100 * scores.at("accuracy"));
  return 0;
}
